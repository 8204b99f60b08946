"""Active liveness: blink and head-turn challenges from face landmarks, with anti-spoofing.

Pure Python (numpy, OpenCV, mediapipe): no Django, no aiortc, no I/O. The engine takes frozen
dataclasses in and returns frozen dataclasses out; every threshold lives in `LivenessConfig`;
the clock is injected.

Live capture (the WebRTC video track, one session per customer, in a worker thread)::

    plan = draw_plan(random.Random(), step_count=config.step_count, previous=last_plan)
    session = LivenessSession(plan, config, clock=time.monotonic)      # frames are BGR
    update = session.offer(frame_bgr, timestamp=frame_time_seconds)  # None: over budget
    session.prompt_shown(update.step_index)  # when the page says the prompt is on screen
    # update.prompt, update.step_index, update.progress, update.quality_hint,
    # update.seconds_remaining -> the page
    result = session.result()          # LivenessResult(verdict, best_frame)
    trace = session.export_trace()     # JSON-ready dict; store it with the evidence

Verdict task (Celery `liveness_verdict(session_id)`: the verdict that counts)::

    verdict = recompute_verdict(trace, ChallengePlan.parse(plan_codes), config)
    verdict.passed, verdict.reasons, verdict.steps, verdict.to_dict()

Direction convention: `turn_left` is the customer turning to their own left, which moves the
nose toward the right of the unmirrored camera image (yaw < 0 here). The analysis never
mirrors; only the preview shown to the customer may be mirrored.

Strict steps (`liveness.steps`): before each prompt a server-drawn hold-still gap; the page
acknowledges display with `session.prompt_shown(step_index)`; the answer must begin inside the
reaction window; a turn too early, the wrong action or a late start fails the attempt.

Reason codes (`Reason`, explained in `REASON_DESCRIPTIONS`): no_blink, no_turn, turn_too_small,
turn_not_back, step_timeout, session_timeout, calibration_failed, planar_motion, identity_jump,
face_lost, suspected_injection (with repeated_frames or impossible_timestamps), incomplete,
wrong_action, too_early, too_late, light_mismatch.
"""

from __future__ import annotations

from .budget import FrameBudget
from .config import LivenessConfig
from .engine import ChallengeEngine
from .events import EventType, LivenessEvent
from .features import FrameFeatures, Quality
from .plan import ChallengePlan, ChallengeStep, draw_plan
from .results import REASON_DESCRIPTIONS, Calibration, LivenessUpdate, LivenessVerdict, Phase, Reason, StepResult
from .trace import TraceFrame, recompute_verdict, trace_minimised, trace_to_dict

__all__ = [
    "REASON_DESCRIPTIONS",
    "BestFrame",
    "Calibration",
    "ChallengeEngine",
    "ChallengePlan",
    "ChallengeStep",
    "EventType",
    "FrameBudget",
    "FrameFeatures",
    "LandmarkExtractor",
    "LivenessConfig",
    "LivenessEvent",
    "LivenessResult",
    "LivenessSession",
    "LivenessUpdate",
    "LivenessVerdict",
    "Phase",
    "Quality",
    "Reason",
    "StepResult",
    "TraceFrame",
    "draw_plan",
    "recompute_verdict",
    "trace_minimised",
    "trace_to_dict",
]


def __getattr__(name: str) -> object:
    """The pixel-side classes import mediapipe and OpenCV; load them only when asked for, so
    the verdict task can recompute a trace without loading the face mesh."""
    if name == "LandmarkExtractor":
        from .extractor import LandmarkExtractor

        return LandmarkExtractor
    if name in {"LivenessSession", "LivenessResult", "BestFrame"}:
        from . import session

        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
