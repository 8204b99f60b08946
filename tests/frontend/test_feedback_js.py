"""The live-check page's wording and hint logic (frontend/static/frontend/feedback.js), run in Node.

The module has no DOM: it is imported by a small Node script with `window.gettext` backed by the
compiled zh_Hans catalogue, so the assertions read the customer's real words."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from django.utils.translation.trans_real import DjangoTranslation
from django.views.i18n import JavaScriptCatalog

from tests.environment import PROJECT_ROOT, needs_tool

FEEDBACK = PROJECT_ROOT / "frontend" / "static" / "frontend" / "feedback.js"
NODE = shutil.which("node")

pytestmark = needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")

SCRIPT = """
const catalog = JSON.parse(process.argv[1]);
globalThis.window = {
  gettext: (text) => catalog[text] || text,
  interpolate: (text, values) => text.replace(/%\\((\\w+)\\)s/g, (w, name) => String(values[name])),
};
const feedback = await import(process.argv[2]);
const calls = JSON.parse(process.argv[3]);
const out = [];
for (const [name, args] of calls) {
  if (name === "settle") {
    // A fake clock: [ [time_ms, hint], ... ] proposed in order; returns what was rendered, when.
    let now = 0;
    let timers = [];
    const rendered = [];
    const settler = new feedback.HintSettler((code) => rendered.push([now, code]), {
      timers: {
        setTimeout: (fn, ms) => { const t = {at: now + ms, fn}; timers.push(t); return t; },
        clearTimeout: (t) => { timers = timers.filter((x) => x !== t); },
      },
    });
    for (const [at, hint] of args) {
      while (timers.length && Math.min(...timers.map((t) => t.at)) <= at) {
        const next = timers.reduce((a, b) => (a.at <= b.at ? a : b));
        timers = timers.filter((x) => x !== next);
        now = next.at;
        next.fn();
      }
      now = at;
      settler.propose(hint);
    }
    out.push(rendered);
  } else {
    out.push(feedback[name](...args));
  }
}
console.log(JSON.stringify(out));
"""


def run(calls: list[tuple[str, list[Any]]]) -> list[Any]:
    view = JavaScriptCatalog()
    view.translation = DjangoTranslation("zh-hans", domain="djangojs")
    messages = {key: value for key, value in view.get_catalog().items() if isinstance(value, str)}
    result = subprocess.run(
        [
            NODE or "node",
            "--input-type=module",
            "-e",
            SCRIPT,
            json.dumps(messages),
            FEEDBACK.as_uri(),
            json.dumps(calls),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)


def test_a_failed_turn_step_is_named_and_not_blamed_on_a_missing_blink() -> None:
    (text,) = run([("failureText", [{"index": 1, "step": "turn_left"}, ["step_timeout", "no_turn", "no_blink"]])])

    assert text.startswith("第 2 步“请向左转头，再转回来”未通过。")
    assert "规定时间内没有看到您向左转头。" in text
    assert "眨眼" not in text


def test_no_face_before_the_first_step_says_the_face_was_not_seen() -> None:
    (text,) = run([("failureText", [None, ["calibration_failed", "no_blink"]])])

    assert text == "摄像头前没有清楚地看到您的脸。"


def test_other_reasons_are_kept_and_a_reload_without_the_step_still_drops_the_incidental_no_blink() -> None:
    named, reloaded, alone = run(
        [
            ("failureText", [{"index": 0, "step": "blink"}, ["step_timeout", "planar_motion"]]),
            ("failureText", [None, ["planar_motion", "no_blink"]]),
            ("failureText", [None, ["no_blink"]]),
        ]
    )

    assert named == "第 1 步“请眨眨眼”未通过。 规定时间内没有看到眨眼。 面部的移动像一张平面照片。"
    assert reloaded == "面部的移动像一张平面照片。"
    assert alone == "未检测到眨眼。"


def test_a_turn_that_stopped_short_asks_for_a_little_more() -> None:
    (text,) = run([("failureText", [{"index": 0, "step": "turn_left"}, ["step_timeout", "turn_too_small"]])])

    assert text == "第 1 步“请向左转头，再转回来”未通过。 头部转动了，但幅度不够：请再多转一点。"


def test_a_turn_far_enough_that_did_not_come_back_says_so_not_that_it_was_not_seen() -> None:
    (text,) = run([("failureText", [{"index": 0, "step": "turn_right"}, ["step_timeout", "turn_not_back"]])])

    assert text == "第 1 步“请向右转头，再转回来”未通过。 转头幅度已够，但没有及时转回面向屏幕。"


def test_a_face_lost_after_a_prompt_says_so_instead_of_blaming_the_movement() -> None:
    lost, changed = run(
        [
            ("failureText", [{"index": 1, "step": "blink"}, ["face_lost"]]),
            ("failureText", [{"index": 0, "step": "turn_left"}, ["identity_jump", "no_blink"]]),
        ]
    )

    assert lost == "第 2 步“请眨眨眼”未通过。 检测过程中人脸离开了画面：请保持在画面中直到检测结束。"
    assert changed.endswith("未通过。 检测过程中画面中的人脸发生了变化。"), changed


def test_during_a_turn_the_oval_hint_becomes_a_turn_hint() -> None:
    assert run(
        [
            ("hintForStep", ["turn_left", "look_at_camera"]),
            ("hintForStep", ["turn_right", "look_at_camera"]),
            ("hintForStep", ["blink", "look_at_camera"]),
            ("hintForStep", ["turn_left", "more_light"]),
            ("hintForStep", [None, None]),
        ]
    ) == ["turn_and_return_left", "turn_and_return_right", "look_at_camera", "more_light", None]


def test_a_hint_that_comes_and_goes_every_few_frames_does_not_flicker() -> None:
    flicker = [[t, "look_at_camera" if (t // 300) % 2 else None] for t in range(0, 4000, 66)]
    steady = [[t, "move_closer"] for t in range(0, 2000, 66)] + [[t, None] for t in range(2000, 4000, 66)]
    (flickered, settled) = run([("settle", flicker), ("settle", steady)])

    assert flickered == []  # never held 0.8 s: never shown
    assert [code for _at, code in settled] == ["move_closer", None]
    assert 790 <= settled[0][0] <= 900


def test_a_step_chip_names_its_action_only_once_the_step_was_prompted() -> None:
    """The "ready" message gives the count alone: the page learns each action from its prompt."""
    before, second, failed = run(
        [
            ("stepChips", [[], 3, 0, -1]),  # connected, no prompt yet
            ("stepChips", [["turn_left", "blink"], 3, 1, 1]),  # step 1 done, step 2 prompted
            ("stepChips", [["turn_left"], 3, 0, -1, 0]),  # the first step failed
        ]
    )

    assert before == [{"text": f"第 {n} 步，共 3 步", "state": "todo", "label": None} for n in (1, 2, 3)]
    assert [(chip["text"], chip["state"]) for chip in second] == [
        ("请向左转头，再转回来", "done"),
        ("请眨眨眼", "current"),
        ("第 3 步，共 3 步", "todo"),
    ]
    assert failed[0] == {"text": "请向左转头，再转回来", "state": "failed", "label": "请向左转头，再转回来: 未通过"}
    assert [chip["text"] for chip in failed[1:]] == ["第 2 步，共 3 步", "第 3 步，共 3 步"]
