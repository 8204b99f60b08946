"""The screen-light overlay of the live check (frontend/static/frontend/capture_light.js), run in
Node with a fake display: frames every 1/60 s, each late by a chosen pattern (a busy renderer). The
colours in order on the server's grid (colour k from k x hold after the first colour's frame,
without the lateness of earlier frames adding up), each held at least 1/3 s (at most three changes
a second), the prompt acknowledged from the frame that first shows the first colour, and the
overlay hidden at the end or when stopped."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

from tests.environment import PROJECT_ROOT, needs_tool

LIGHT = PROJECT_ROOT / "frontend" / "static" / "frontend" / "capture_light.js"
NODE = shutil.which("node")

pytestmark = needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")

SCRIPT = """
const { LightOverlay } = await import(process.argv[1]);
const [colours, seconds, stopAtMs, lateMs] = JSON.parse(process.argv[2]);
const FRAME_MS = 1000 / 60;
let now = 0;
let frames = 0;
let pending = null;
const log = [];
const element = { style: {} };
Object.defineProperty(element.style, "backgroundColor", { set: (colour) => log.push([now, "paint", colour]) });
const overlay = new LightOverlay(element, {
  show: (el, visible) => log.push([now, visible ? "show" : "hide"]),
  timers: {
    requestAnimationFrame: (fn) => { pending = { fn }; return pending; },
    cancelAnimationFrame: (frame) => { if (pending === frame) pending = null; },
  },
});
const played = overlay.play(colours, seconds, () => log.push([now, "painted"]));
while (pending) {
  frames += 1;
  const at = frames * FRAME_MS + (lateMs.length ? lateMs[frames % lateMs.length] : 0);
  if (stopAtMs !== null && at > stopAtMs) { now = stopAtMs; overlay.stop(); break; }
  now = Math.max(now, at);
  const { fn } = pending;
  pending = null;
  fn(now);
}
console.log(JSON.stringify({ played, log, playing: overlay.playing }));
"""


def play(
    colours: list[str], seconds: float, stop_at_ms: int | None = None, late_ms: Sequence[float] | None = None
) -> dict[str, Any]:
    arguments = json.dumps([colours, seconds, stop_at_ms, list(late_ms or ())])
    result = subprocess.run(
        [NODE or "node", "--input-type=module", "-e", SCRIPT, LIGHT.as_uri(), arguments],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(json.loads(result.stdout))


def paints(result: dict[str, Any]) -> list[float]:
    """When each colour after the first was painted, in ms after the first colour's frame."""
    painted = next(entry[0] for entry in result["log"] if entry[1] == "painted")
    return [entry[0] - painted for entry in result["log"] if entry[1] == "paint"][1:]


def test_the_colours_play_in_order_and_the_prompt_counts_from_the_first_colours_frame() -> None:
    result = play(["#ff8800", "#0088ff", "#00ff88"], 0.5)

    assert result["played"] is True
    assert [entry[1:] for entry in result["log"]] == [
        ["hide"], ["show"], ["paint", "#ff8800"], ["painted"], ["paint", "#0088ff"], ["paint", "#00ff88"], ["hide"],
    ]  # fmt: skip
    assert result["log"][3][0] > 0  # acknowledged from a display frame, not when the colour was set
    assert [round(at) for at in paints(result)] == [500, 1000]
    assert result["playing"] is False


def test_late_frames_do_not_push_the_later_colours_off_the_servers_grid() -> None:
    """A renderer that is busy now and then (one frame in 30 late by 100 ms, a long task): each
    colour starts within a frame of its place on the grid, or of the one frame late, never a sum
    of the lateness before it (a chain of timers drifted by every late one: light_mismatch in
    Chromium). A late colour's successor catches up as far as the 1/3 s hold allows."""
    late = [0] * 29 + [100]
    colours = ["#111111", "#222222", "#333333", "#444444", "#555555", "#666666", "#777777", "#888888"]
    result = play(colours, 0.35, late_ms=late)

    for index, at in enumerate(paints(result), start=1):
        assert 350 * index <= at <= 350 * index + 100 + 1000 / 60 + 1, (index, at)


def test_no_colour_changes_faster_than_three_times_a_second() -> None:
    for late in ([], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100]):
        changes = paints(play(["#111111", "#222222", "#333333", "#444444"], 0.05, late_ms=late))
        gaps = [second - first for first, second in zip([0.0, *changes], changes, strict=False)]
        assert len(changes) == 3
        assert min(gaps) >= 334, gaps


def test_stopping_hides_the_overlay_and_paints_nothing_more() -> None:
    result = play(["#111111", "#222222", "#333333"], 1, stop_at_ms=1500)

    assert [entry[1:] for entry in result["log"] if entry[1] == "paint"] == [["paint", "#111111"], ["paint", "#222222"]]
    assert result["log"][-1] == [1500, "hide"]
    assert result["playing"] is False


def test_a_step_without_colours_shows_nothing_and_acknowledges_nothing() -> None:
    assert play([], 0.5) == {"played": False, "log": [], "playing": False}
