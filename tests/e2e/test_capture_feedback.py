"""What the customer sees when a live check goes wrong: a failed attempt
never looks like a success, the failed step is named in the customer's words with the attempts
left, no countdown runs before a face is tracked, and a turn prompt is not contradicted by the
"face inside the oval" hint.

The sessions here have the plan turn_left, blink, blink: the motionless face never turns, so the
first step fails after its timeout."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.capture.dbseed import seed_reference_rows
from tests.e2e.conftest import HAPPY_CLIP, BrowserFactory, Screens, Server, running_daphne
from tests.e2e.media import ffmpeg
from tests.e2e.test_capture_flow import FINAL_PHASES, prepared_session, sign_in, start_check, state_of, wait_phase

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

TURN_FIRST_PLAN = "turn_left,blink,blink"
TABLET = {"width": 1024, "height": 768}

# Records every change of the hint line, the countdown, the prompt and the step chips, before the
# page's own script runs.
RECORDER = """
window.__seen = {hints: [], countdownShown: [], prompts: [], chips: []};
document.addEventListener("DOMContentLoaded", () => {
  const hint = document.getElementById("hint");
  const countdown = document.getElementById("countdown");
  const prompt = document.getElementById("prompt-text");
  const root = document.getElementById("capture");
  const steps = document.getElementById("steps");
  if (!hint) return;
  new MutationObserver(() => window.__seen.chips.push([...steps.children].map((item) => item.textContent))).observe(
    steps, {childList: true});
  new MutationObserver(() => {
    window.__seen.hints.push({visible: !hint.hidden, code: hint.dataset.code || null,
      step: document.querySelector("#steps li.current")?.textContent || null, t: performance.now()});
  }).observe(hint, {attributes: true, childList: true, characterData: true, subtree: true});
  new MutationObserver(() => {
    if (!countdown.hidden) window.__seen.countdownShown.push({phase: root.dataset.phase,
      step: document.querySelector("#steps li.current")?.textContent || null});
  }).observe(countdown, {attributes: true, childList: true, subtree: true});
  new MutationObserver(() => window.__seen.prompts.push(prompt.textContent)).observe(
    prompt, {childList: true, characterData: true, subtree: true});
});
"""


@pytest.fixture(scope="module")
def turn_first_server(
    e2e_tools: None, subprocess_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    env = {**subprocess_env, "SHIMING_FIXED_CHALLENGE_PLAN": TURN_FIRST_PLAN}
    with running_daphne(env, tmp_path_factory.mktemp("turn-server") / "daphne.log") as server:
        yield server


@pytest.fixture
def turn_stack(
    reseed_after_flush: None,
    transactional_db: None,
    turn_first_server: Server,
    celery_worker_process: Path,
    settings: Any,
) -> Server:
    # The plan is drawn when the session is opened, here in the test process.
    settings.SHIMING_FIXED_CHALLENGE_PLAN = TURN_FIRST_PLAN.split(",")
    seed_reference_rows()
    return turn_first_server


@pytest.fixture
def clerk(turn_stack: Server) -> tuple[Any, str]:
    from registration.roles import CLERK
    from tests.factories import OutletFactory, UserFactory

    return UserFactory(role=CLERK, outlet=OutletFactory(name="E2E outlet")), "correct horse battery"


@pytest.fixture(scope="module")
def flickering_camera(e2e_tools: None, testdata: Path, media_dir: Path) -> Path:
    """The clip with the picture blacked out for 0.3 s in every 0.6 s: the face comes and goes."""
    out = media_dir / "flicker.y4m"
    fit = "scale=480:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2"
    black = "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='lt(mod(t\\,0.6)\\,0.3)'"
    ffmpeg("-i", str(testdata / HAPPY_CLIP), "-vf", f"{fit},{black},format=yuv420p", "-r", "30", str(out))
    return out


@pytest.fixture(scope="module")
def motionless_camera(e2e_tools: None, testdata: Path, media_dir: Path) -> Path:
    """A face that holds perfectly still (never blinks, never turns), with a live sensor's noise."""
    from tests.e2e.media import still_frame

    frame = still_frame(testdata / HAPPY_CLIP, 0.4, media_dir / "motionless_frame.png")
    out = media_dir / "motionless.y4m"
    noisy = "noise=alls=12:allf=t,format=yuv420p"
    ffmpeg("-loop", "1", "-i", str(frame), "-t", "6", "-r", "30", "-vf", noisy, str(out))
    return out


@pytest.fixture(scope="module")
def empty_camera(e2e_tools: None, media_dir: Path) -> Path:
    """A camera pointed at an empty grey wall (with sensor noise: identical frames would be an injection)."""
    out = media_dir / "empty.y4m"
    source = "color=c=0x777777:s=640x480:r=30:d=4,noise=alls=30:allf=t"
    ffmpeg("-f", "lavfi", "-i", source, "-pix_fmt", "yuv420p", str(out))
    return out


def open_capture(launch: BrowserFactory, camera: Path, server: Server, clerk: tuple[Any, str]) -> tuple[Any, Any]:
    user, password = clerk
    session = prepared_session(user)
    context = launch(camera).new_context(viewport=TABLET, locale="zh-CN", bypass_csp=True)
    context.add_init_script(RECORDER)
    page = context.new_page()
    sign_in(page, server, user.username, password)
    page.goto(f"{server.url}/sessions/{session.pk}/capture/")
    start_check(page)
    return page, session


def chips(page: Any) -> list[tuple[str, str]]:
    return [(item.get_attribute("class"), item.inner_text()) for item in page.query_selector_all("#steps li")]


def test_a_failed_turn_is_named_and_never_shown_as_done(
    turn_stack: Server,
    clerk: tuple[Any, str],
    launch_browser: BrowserFactory,
    motionless_camera: Path,
    screens: Screens,
) -> None:
    page, session = open_capture(launch_browser, motionless_camera, turn_stack, clerk)
    wait_phase(page, ("challenge",), 30_000)
    page.wait_for_selector("#steps li.current", timeout=20_000)
    screens.shot(page, "capture-turn-step")
    wait_phase(page, ("not_passed", *FINAL_PHASES), 40_000)
    screens.shot(page, "capture-not-passed")

    # Before the stored verdict: the failed step is marked, nothing says "done".
    assert page.get_attribute("#capture", "data-phase") in {"not_passed", "liveness_failed"}
    assert [cls for cls, _text in chips(page)] == ["failed", "todo", "todo"]
    assert not page.is_visible("#prompt-icon")
    seen = page.evaluate("window.__seen")
    assert not any("完成" in text for text in seen["prompts"]), seen["prompts"]
    # The chips name a step only once it was prompted: none before the first prompt, and the two
    # blinks of the plan (never prompted: the turn failed first) never.
    neutral = ["第 1 步，共 3 步", "第 2 步，共 3 步", "第 3 步，共 3 步"]
    assert seen["chips"][0] == neutral, seen["chips"]
    assert all(texts[1:] == neutral[1:] for texts in seen["chips"]), seen["chips"]
    assert seen["chips"][-1][0] == "请向左转头，再转回来"

    wait_phase(page, ("liveness_failed",), 60_000)
    screens.shot(page, "capture-liveness-failed")
    detail = page.inner_text("#outcome-detail")
    assert "第 1 步" in detail, detail
    assert "向左转头" in detail, detail
    assert "眨眼" not in detail, detail  # the step that failed was a turn, not a blink
    assert page.get_attribute("#attempts-left", "data-left") == "2"
    assert "剩余次数：2 / 3" in page.inner_text("#attempts-left")
    assert [cls for cls, _text in chips(page)] == ["failed", "todo", "todo"]
    assert page.is_visible("#retry")
    assert state_of(session.pk).attempt_count == 1


def test_during_a_turn_the_hint_neither_contradicts_nor_flickers(
    turn_stack: Server,
    clerk: tuple[Any, str],
    launch_browser: BrowserFactory,
    flickering_camera: Path,
    screens: Screens,
) -> None:
    """The face comes and goes every 0.3 s while the prompt says to turn."""
    page, _session = open_capture(launch_browser, flickering_camera, turn_stack, clerk)
    page.wait_for_selector("#steps li.current", timeout=30_000)
    page.wait_for_timeout(4000)
    screens.shot(page, "capture-turn-step-flickering-face")

    hints = [entry for entry in page.evaluate("window.__seen")["hints"] if entry["step"]]
    assert all(entry["code"] != "look_at_camera" for entry in hints), hints
    assert sum(1 for before, after in itertools.pairwise(hints) if before["visible"] != after["visible"]) <= 2, hints


def test_no_countdown_runs_before_a_face_is_tracked(
    turn_stack: Server, clerk: tuple[Any, str], launch_browser: BrowserFactory, empty_camera: Path, screens: Screens
) -> None:
    page, _session = open_capture(launch_browser, empty_camera, turn_stack, clerk)
    wait_phase(page, ("challenge",), 30_000)
    page.wait_for_selector("#hint:not([hidden])", timeout=10_000)
    screens.shot(page, "capture-no-face")
    assert not page.is_visible("#countdown")
    wait_phase(page, ("liveness_failed",), 60_000)
    screens.shot(page, "capture-no-face-failed")

    seen = page.evaluate("window.__seen")
    assert seen["countdownShown"] == [], seen["countdownShown"]
    detail = page.inner_text("#outcome-detail")
    assert "没有清楚地看到您的脸" in detail, detail
    assert "眨眼" not in detail, detail
    assert all(cls in {"todo", "current"} for cls, _text in chips(page))
    assert not page.query_selector("#steps li.done")
