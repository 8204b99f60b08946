"""The live check's attempt as a state machine (frontend/static/frontend/capture_attempt.js), run in
Node: every allowed transition lands where the table says, every other event is refused (the state
comes back unchanged), `captured` and `ended(reason)` are terminal, the failed step is named only
when it was prompted, states are frozen, and the page keeps no attempt flag beside the one state."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from tests.environment import PROJECT_ROOT, needs_tool

STATIC = PROJECT_ROOT / "frontend" / "static" / "frontend"
ATTEMPT = STATIC / "capture_attempt.js"
NODE = shutil.which("node")

pytestmark = needs_tool("node", "Node.js is not installed: the page's JavaScript cannot run")

SCRIPT = """
const attempt = await import(process.argv[1]);
const cases = JSON.parse(process.argv[2]);
const run = (state, path) => path.reduce((current, event) => attempt.next(current, event), state);
const out = cases.map(({ path, probe, previous, after }) => {
  let state = attempt.newAttempt(after ? run(attempt.newAttempt(), after) : previous ? { lights: previous } : null);
  const names = [];
  for (const event of path) {
    state = attempt.next(state, event);
    names.push(state.name);
  }
  const before = JSON.stringify(state);
  const result = { names, state, frozen: Object.isFrozen(state) && Object.isFrozen(state.prompted) };
  if (probe) {
    const after = attempt.next(state, probe);
    Object.assign(result, {
      allowed: attempt.allowed(state, probe),
      identical: after === state,
      after,
      unchanged: JSON.stringify(state) === before,
      owns: attempt.ownsTheScreen(after),
      over: attempt.isOver(after),
    });
  }
  return result;
});
const table = Object.fromEntries(Object.entries(attempt.TRANSITIONS).map(([name, row]) => [name, Object.keys(row)]));
let mutation = null;
try {
  attempt.newAttempt().name = "step";
} catch (error) {
  mutation = error.name;
}
console.log(JSON.stringify({ out, table, states: attempt.STATES, mutation }));
"""

START = {"type": "start", "lightChallenge": False}
READY = {"type": "ready", "steps": 3, "attempt": 1}


def status(step_index: int, step: str | None, steps_done: int, **extra: Any) -> dict[str, Any]:
    message = {"step_index": step_index, "step": step, "steps_done": steps_done, "seconds_left": 4, "hint": None}
    message.update({"finished": False, "passed": None, **extra})
    return {"type": "status", "status": message, "at": 1000}


CALIBRATE = status(0, None, 0)
BLINK = status(0, "blink", 0)
GAP = status(1, None, 1)
TURN = status(1, "turn_left", 1)
PASSED = status(2, None, 3, finished=True, passed=True)
FAILED = status(1, None, 1, finished=True, passed=False)

# How the page reaches each state from a new attempt.
PATHS: dict[str, list[dict[str, Any]]] = {
    "idle": [],
    "choosing_lights": [{"type": "start", "lightChallenge": True}],
    "starting": [START],
    "opening": [START, {"type": "camera_opened"}],
    "connecting": [START, {"type": "camera_opened"}, READY],
    "calibrating": [START, {"type": "camera_opened"}, READY, {"type": "answer", "sdp": "v=0"}],
    "step": [START, {"type": "camera_opened"}, READY, {"type": "answer", "sdp": "v=0"}, BLINK],
    "holding": [START, {"type": "camera_opened"}, READY, {"type": "answer", "sdp": "v=0"}, BLINK, GAP],
    "finished": [START, {"type": "camera_opened"}, READY, {"type": "answer", "sdp": "v=0"}, BLINK, PASSED],
    "captured": [START, {"type": "camera_opened"}, READY, {"type": "answer", "sdp": "v=0"}, {"type": "captured"}],
    "ended": [START, {"type": "camera_opened"}, READY, {"type": "ended", "reason": "disconnected"}],
}

EVENTS: dict[str, dict[str, Any]] = {
    "start": START,
    "lights_chosen": {"type": "lights_chosen", "choice": "lights"},
    "camera_opened": {"type": "camera_opened"},
    "camera_failed": {"type": "camera_failed", "denied": True},
    "ready": READY,
    "answer": {"type": "answer", "sdp": "v=0"},
    "status": TURN,
    "captured": {"type": "captured"},
    "ended": {"type": "ended", "reason": "video_stalled"},
    "error": {"type": "error", "code": "busy"},
}

# The specification: (state, event) -> the state it leads to. Everything else is refused.
ALLOWED: dict[tuple[str, str], str] = {
    ("idle", "start"): "starting",
    ("choosing_lights", "lights_chosen"): "starting",
    ("starting", "camera_opened"): "opening",
    ("starting", "camera_failed"): "ended",
    ("opening", "ready"): "connecting",
    ("opening", "ended"): "ended",
    ("opening", "error"): "ended",
    ("connecting", "answer"): "calibrating",
    ("connecting", "status"): "step",
    ("connecting", "captured"): "captured",
    ("connecting", "ended"): "ended",
    ("connecting", "error"): "ended",
    **{(live, "status"): "step" for live in ("calibrating", "holding", "step")},
    **{(live, "captured"): "captured" for live in ("calibrating", "holding", "step", "finished")},
    **{(live, "ended"): "ended" for live in ("calibrating", "holding", "step", "finished")},
    **{(live, "error"): "ended" for live in ("calibrating", "holding", "step", "finished")},
}


def run(cases: list[dict[str, Any]]) -> dict[str, Any]:
    result = subprocess.run(
        [NODE or "node", "--input-type=module", "-e", SCRIPT, ATTEMPT.as_uri(), json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(json.loads(result.stdout))


def probe(state: str, event: str) -> dict[str, Any]:
    return {"path": PATHS[state], "probe": EVENTS[event]}


def test_the_table_in_the_module_is_the_specification() -> None:
    result = run([{"path": path} for path in PATHS.values()])

    assert set(result["states"]) == set(PATHS)
    assert {(state, event) for state, row in result["table"].items() for event in row} == set(ALLOWED)
    for (state, _path), reached in zip(PATHS.items(), result["out"], strict=True):
        assert reached["state"]["name"] == state  # each path reaches its state


def test_every_allowed_transition_lands_where_the_table_says() -> None:
    pairs = sorted(ALLOWED)
    result = run([probe(state, event) for state, event in pairs])

    for (state, event), case in zip(pairs, result["out"], strict=True):
        assert case["allowed"] is True, (state, event)
        assert case["after"]["name"] == ALLOWED[state, event], (state, event)
        assert case["unchanged"] is True, (state, event)  # `next` never changes the state it is given


def test_every_other_event_is_refused_and_the_state_stays_as_it_was() -> None:
    pairs = [(state, event) for state in PATHS for event in EVENTS if (state, event) not in ALLOWED]
    result = run([probe(state, event) for state, event in pairs])

    assert {("captured", "status"), ("ended", "start")} <= set(pairs)
    for (state, event), case in zip(pairs, result["out"], strict=True):
        assert (case["allowed"], case["identical"]) == (False, True), (state, event)


@pytest.mark.parametrize(
    ("path", "reason", "source"),
    [
        (PATHS["step"] + [{"type": "ended", "reason": "disconnected"}], "disconnected", "server"),
        (PATHS["opening"] + [{"type": "error", "code": "capture_in_progress"}], "capture_in_progress", "refused"),
        (PATHS["starting"] + [{"type": "camera_failed", "denied": True}], "camera_denied", "camera"),
        (PATHS["starting"] + [{"type": "camera_failed", "denied": False}], "no_camera", "camera"),
    ],
)
def test_ended_keeps_its_reason_and_takes_no_further_event(path: list[Any], reason: str, source: str) -> None:
    cases = [{"path": path, "probe": event} for event in EVENTS.values()]
    result = run(cases)

    for case in result["out"]:
        assert (case["state"]["name"], case["state"]["reason"], case["state"]["source"]) == ("ended", reason, source)
        assert (case["allowed"], case["identical"], case["over"], case["owns"]) == (False, True, True, False)


def test_a_soft_error_leaves_an_open_attempt_running_but_refuses_one_not_yet_open() -> None:
    soft = {"type": "error", "code": "invalid_message"}
    cases = [{"path": PATHS["step"], "probe": soft}, {"path": PATHS["opening"], "probe": soft}]
    open_step, not_open = run(cases)["out"]

    assert (open_step["identical"], open_step["after"]["name"]) == (True, "step")
    assert (not_open["after"]["name"], not_open["after"]["reason"]) == ("ended", "invalid_message")


def test_the_steps_are_followed_from_calibration_through_the_gaps_to_the_pass() -> None:
    path = [*PATHS["calibrating"], CALIBRATE, BLINK, BLINK, GAP, TURN, PASSED, {"type": "captured"}]
    [case] = run([{"path": path}])["out"]

    assert case["names"] == [
        "starting", "opening", "connecting", "calibrating", "calibrating",
        "step", "step", "holding", "step", "finished", "captured",
    ]  # fmt: skip
    state = case["state"]
    assert (state["prompted"], state["steps"], state["passed"], state["finishedAt"]) == (
        ["blink", "turn_left"], 3, True, 1000)  # fmt: skip
    assert case["frozen"] is True


def test_the_failed_step_is_named_only_when_it_was_prompted() -> None:
    during_turn = [*PATHS["step"], TURN, status(1, None, 1, finished=True, passed=False)]
    in_the_gap = [*PATHS["step"], GAP, FAILED]  # step 0 done, step 1 not yet asked for
    before_any = [*PATHS["calibrating"], CALIBRATE, status(0, None, 0, finished=True, passed=False)]
    cases = [{"path": path} for path in (during_turn, in_the_gap, before_any)]
    turn, gap, calibration = (case["state"] for case in run(cases)["out"])

    assert (turn["failedIndex"], turn["failedStep"], turn["passed"]) == (1, {"index": 1, "step": "turn_left"}, False)
    assert (gap["failedIndex"], gap["failedStep"]) == (1, None)
    assert (calibration["failedIndex"], calibration["failedStep"]) == (-1, None)


def test_the_light_warning_is_asked_once_and_the_choice_carries_to_the_next_attempt() -> None:
    lights = {"type": "start", "lightChallenge": True}
    first, retry = run(
        [
            {"path": [lights, {"type": "lights_chosen", "choice": "no_lights"}]},
            {"path": [lights], "previous": "no_lights"},
        ]
    )["out"]

    assert (first["names"], first["state"]["lights"]) == (["choosing_lights", "starting"], "no_lights")
    assert (retry["names"], retry["state"]["lights"]) == (["starting"], "no_lights")


def test_after_a_failed_light_step_the_customer_is_asked_again_before_any_light() -> None:
    lights = {"type": "start", "lightChallenge": True}
    chosen = [lights, {"type": "lights_chosen", "choice": "lights"}, {"type": "camera_opened"}, READY]
    light_failed = [*chosen, status(0, "light", 0), status(0, None, 0, finished=True, passed=False)]
    turn_failed = [*chosen, status(0, "light", 0), status(1, "turn_left", 1), FAILED]
    after_light, after_turn = run(
        [{"path": [lights], "after": light_failed}, {"path": [lights], "after": turn_failed}]
    )["out"]

    assert (after_light["names"], after_light["state"]["lightsFailed"]) == (["choosing_lights"], True)
    assert after_light["state"]["lights"] is None
    assert (after_turn["names"], after_turn["state"]["lights"]) == (["starting"], "lights")
    assert after_turn["state"]["lightsFailed"] is False


def test_states_are_frozen_so_nothing_changes_an_attempt_behind_the_machine() -> None:
    assert run([])["mutation"] == "TypeError"


TOP_LEVEL_MUTABLE = re.compile(r"^(?:let|var)\s+(\w+)", re.MULTILINE)


def test_the_page_keeps_no_attempt_flag_beside_the_attempt_state() -> None:
    """capture.js holds two changing values at module level (the server's session and the attempt);
    the other capture modules hold none: a flag such as `attemptOpen` or `lightChoice` coming back
    makes this fail."""
    declared = {path.name: TOP_LEVEL_MUTABLE.findall(path.read_text()) for path in sorted(STATIC.glob("capture*.js"))}

    assert declared == {
        "capture.js": ["session", "attempt"],
        "capture_attempt.js": [],
        "capture_light.js": [],
        "capture_signalling.js": [],
    }
    machine = ATTEMPT.read_text()
    assert [word for word in ("import ", "document", "window") if word in machine] == []  # pure: no page
