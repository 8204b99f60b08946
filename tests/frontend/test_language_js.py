"""The language switch's pieces (frontend/static/frontend/language.js), run in Node on a fake
document: the server's words of the page in the new language replace those of the marked elements
(text, or only the named attribute), unmarked and twinless elements keep theirs, the word data the
page's script reads is copied, `<html lang>` and the title follow; the new catalogue replaces the old
one whole (a msgid the new language leaves untranslated is not kept in the old)."""

from __future__ import annotations

import json
import shutil
import subprocess

from tests.environment import PROJECT_ROOT, needs_tool

LANGUAGE_JS = PROJECT_ROOT / "frontend" / "static" / "frontend" / "language.js"
NODE = shutil.which("node")

pytestmark = needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")

SCRIPT = """
const element = (dataset, text, attrs = {}) => ({
  dataset, textContent: text, attrs,
  getAttribute(name) { return name in this.attrs ? this.attrs[name] : null; },
  setAttribute(name, value) { this.attrs[name] = value; },
});
const page = (lang, title, elements, data) => ({
  documentElement: { lang }, title,
  querySelectorAll: () => elements.filter((item) => item.dataset.i18n),
  querySelector(selector) {
    const key = selector.match(/^\\[data-i18n="(.+)"\\]$/)[1];
    return elements.find((item) => item.dataset.i18n === key) || null;
  },
  getElementById: (id) => data[id] || null,
});
const { swapWords, useCatalogue } = await import(process.argv[1]);
const [start, steps, gone, unmarked] = [
  element({ i18n: "start" }, "开始检测"),
  element({ i18n: "steps", i18nAttr: "aria-label" }, "", { "aria-label": "进度" }),
  element({ i18n: "gone" }, "只在这里"),
  element({}, "提示"),
];
const current = page("zh-hans", "活体检测", [start, steps, gone, unmarked], {
  "state-labels": element({}, '{"approved": "已通过"}'),
  "session-payload": element({}, "{}"),
});
const fresh = page("en", "Live check", [
  element({ i18n: "start" }, "Start the check"),
  element({ i18n: "steps", i18nAttr: "aria-label" }, "", { "aria-label": "Progress" }),
  element({}, "Hint"),
], { "state-labels": element({}, '{"approved": "Approved"}'), "session-payload": element({}, '{"state": "x"}') });
swapWords(current, fresh);
const django = { catalog: { "Checking…": "检查中…", "Only Chinese": "只有中文" } };
useCatalogue(django, { catalog: { "Checking…": "Checking…" }, formats: { DATE_FORMAT: "N j, Y" } });
console.log(JSON.stringify({
  texts: [start.textContent, steps.textContent, gone.textContent, unmarked.textContent],
  label: steps.attrs["aria-label"],
  data: current.getElementById("state-labels").textContent,
  payload: current.getElementById("session-payload").textContent,
  lang: current.documentElement.lang, title: current.title, django,
}));
"""


def test_the_marked_words_the_word_data_and_the_catalogue_follow_the_new_language() -> None:
    assert NODE is not None
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", SCRIPT, LANGUAGE_JS.as_uri()],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    swapped = json.loads(result.stdout)
    # the attribute only; an element with no twin or no mark keeps its words
    assert swapped["texts"] == ["Start the check", "", "只在这里", "提示"]
    assert swapped["label"] == "Progress"
    assert swapped["data"] == '{"approved": "Approved"}'
    assert swapped["payload"] == "{}"  # state, not words: the page's own
    assert (swapped["lang"], swapped["title"]) == ("en", "Live check")
    assert swapped["django"] == {"catalog": {"Checking…": "Checking…"}, "formats": {"DATE_FORMAT": "N j, Y"}}
