"""`manage.py liveness_check VIDEO [--plan blink,turn_left,...] [--json]`.

Runs the liveness engine on a video file as if it were the camera: frames are offered at the
video's own timestamps (frame index / fps), the frame budget applies, and the steps are
prompted when the engine asks (after its hold-still gaps, drawn with --seed; a prompt counts as
shown when it is sent, as no page acknowledges it). Prints every blink and turn seen over the whole clip (also
outside the steps), the step timings, the verdict and its reason codes. Needs no database.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from django.core.management.base import BaseCommand, CommandError, CommandParser

from liveness import REASON_DESCRIPTIONS, ChallengePlan, LivenessConfig, LivenessVerdict, Reason, draw_plan
from liveness.session import LivenessSession
from liveness.steps import draw_gaps


class _MediaClock:
    """A clock that reads the video's own time, so the file plays 'live'."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Command(BaseCommand):
    help = "Run the liveness challenge engine on a video file and print the events and the verdict."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("video", help="path of the video file")
        parser.add_argument("--plan", help="comma-separated steps: blink, turn_left, turn_right (default: random)")
        parser.add_argument("--seed", type=int, default=None, help="seed for the random plan")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        config = LivenessConfig()
        plan = _plan_from(options["plan"], options["seed"])
        gaps = draw_gaps(random.Random(options["seed"]), len(plan.steps), config)  # noqa: S311 - a dev tool
        plan = plan.with_gaps(gaps)
        path = Path(options["video"])
        if not path.is_file():
            raise CommandError(f"video not found: {path}")
        verdict, frames_read = run_video(path, plan, config)
        report = {
            **verdict.to_dict(),
            "plan": plan.codes(),
            "gaps": list(plan.gaps),
            "frames_read": frames_read,
            "reason_descriptions": {reason.value: REASON_DESCRIPTIONS[reason] for reason in verdict.reasons},
        }
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            self.stdout.write(_as_text(path, report))


def _plan_from(text: str | None, seed: int | None) -> ChallengePlan:
    if text is None:
        return draw_plan(random.Random(seed))  # noqa: S311 - not security-relevant here: a dev tool
    try:
        return ChallengePlan.parse(text)
    except ValueError as error:
        raise CommandError(f"bad --plan: {error}") from error


def _frames(path: Path) -> Iterator[tuple[float, npt.NDArray[np.uint8]]]:
    if not path.is_file():
        raise CommandError(f"video not found: {path}")
    capture = cv2.VideoCapture(str(path))
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    if not capture.isOpened() or fps <= 0.0:
        capture.release()
        raise CommandError(f"cannot read video: {path}")
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            yield index / fps, np.asarray(frame, dtype=np.uint8)
            index += 1
        if index == 0:
            raise CommandError(f"cannot read video: {path} (no frames)")
    finally:
        capture.release()


def run_video(path: Path, plan: ChallengePlan, config: LivenessConfig) -> tuple[LivenessVerdict, int]:
    """The verdict (with every event of the clip) and the number of frames read."""
    clock = _MediaClock()
    session = LivenessSession(plan, config, clock=clock, keep_observing=True)
    count = 0
    for t, frame in _frames(path):
        clock.now = t
        session.offer(frame, t)
        count += 1
    return session.result().verdict, count


def _as_text(path: Path, report: dict[str, Any]) -> str:
    gaps = ", ".join(f"{gap:.2f}s" for gap in report["gaps"])
    lines = [f"{path.name}: plan {', '.join(report['plan'])} (gaps {gaps}); {report['frames_read']} frames"]
    lines.append("events:")
    lines += [f"  {event['type']:<10} {event['t_start']:7.2f}s - {event['t_end']:7.2f}s" for event in report["events"]]
    if not report["events"]:
        lines.append("  (none)")
    lines.append("steps:")
    for step in report["steps"]:
        done = f"done at {step['completed_at']:.2f}s ({step['duration']:.2f}s)" if step["passed"] else "not done"
        lines.append(f"  {step['step']:<10} prompted at {step['prompted_at']:.2f}s, {done}")
    reasons = ", ".join(report["reasons"]) or "-"
    lines.append(f"verdict: {report['verdict']} (reasons: {reasons})")
    lines += [f"  {code}: {REASON_DESCRIPTIONS[Reason(code)]}" for code in report["reasons"]]
    return "\n".join(lines)
