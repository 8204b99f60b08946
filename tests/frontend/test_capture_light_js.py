"""The screen-light overlay of the live check (frontend/static/frontend/capture_light.js), run in
Node with a fake clock: the colours in order, each held at least 1/3 s (at most three changes a
second), the prompt acknowledged once the first colour is painted, and the overlay hidden at the
end or when stopped."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from tests.environment import PROJECT_ROOT, needs_tool

LIGHT = PROJECT_ROOT / "frontend" / "static" / "frontend" / "capture_light.js"
NODE = shutil.which("node")

pytestmark = needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")

SCRIPT = """
const { LightOverlay } = await import(process.argv[1]);
const [colours, seconds, stopAtMs] = JSON.parse(process.argv[2]);
let now = 0;
let timers = [];
const log = [];
const element = { style: {} };
Object.defineProperty(element.style, "backgroundColor", { set: (colour) => log.push([now, "paint", colour]) });
const overlay = new LightOverlay(element, {
  show: (el, visible) => log.push([now, visible ? "show" : "hide"]),
  timers: {
    setTimeout: (fn, ms) => { const t = { at: now + ms, fn }; timers.push(t); return t; },
    clearTimeout: (t) => { timers = timers.filter((x) => x !== t); },
  },
});
const played = overlay.play(colours, seconds, () => log.push([now, "painted"]));
while (timers.length) {
  const next = timers.reduce((a, b) => (a.at <= b.at ? a : b));
  if (stopAtMs !== null && next.at > stopAtMs) { now = stopAtMs; overlay.stop(); break; }
  timers = timers.filter((x) => x !== next);
  now = next.at;
  next.fn();
}
console.log(JSON.stringify({ played, log, playing: overlay.playing }));
"""


def play(colours: list[str], seconds: float, stop_at_ms: int | None = None) -> dict[str, Any]:
    arguments = json.dumps([colours, seconds, stop_at_ms])
    result = subprocess.run(
        [NODE or "node", "--input-type=module", "-e", SCRIPT, LIGHT.as_uri(), arguments],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(json.loads(result.stdout))


def test_the_colours_play_in_order_and_the_prompt_counts_from_the_first_paint() -> None:
    result = play(["#ff8800", "#0088ff", "#00ff88"], 0.5)

    assert result["played"] is True
    assert result["log"] == [
        [0, "hide"], [0, "show"], [0, "paint", "#ff8800"], [0, "painted"],
        [500, "paint", "#0088ff"], [1000, "paint", "#00ff88"], [1500, "hide"],
    ]  # fmt: skip
    assert result["playing"] is False


def test_no_colour_changes_faster_than_three_times_a_second() -> None:
    paints = [entry[0] for entry in play(["#111111", "#222222", "#333333"], 0.05)["log"] if entry[1] == "paint"]

    assert paints == [0, 334, 668]


def test_stopping_hides_the_overlay_and_paints_nothing_more() -> None:
    result = play(["#111111", "#222222", "#333333"], 1, stop_at_ms=1500)

    assert [entry[1:] for entry in result["log"] if entry[1] == "paint"] == [["paint", "#111111"], ["paint", "#222222"]]
    assert result["log"][-1] == [1500, "hide"]
    assert result["playing"] is False


def test_a_step_without_colours_shows_nothing_and_acknowledges_nothing() -> None:
    assert play([], 0.5) == {"played": False, "log": [], "playing": False}
