"""The live check and the match see one face: identity mismatches are counted over a window of
frames (frames of someone else slipped in every few frames add up), and the frames the match uses
are taken only while a prompted step is being answered, never during calibration
(liveness/guards.py:FaceContinuityGuard, liveness/session.py:LivenessSession.best_frames).

Synthetic frame features (tests/liveness/synthetic.py): no model, the engine's own rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from liveness import ChallengeEngine, ChallengePlan, FrameFeatures, LivenessConfig, Reason
from liveness.session import LivenessSession
from registration.models import VerificationSession
from tests.liveness.synthetic import SIGNATURE, FaceStream, blink_ear, feed, times

from .report import record_bad_input

pytestmark = [pytest.mark.security]

CONFIG = LivenessConfig(gap_min_seconds=0.0)
OTHER = tuple(value * 1.3 for value in SIGNATURE)  # another person's proportions


def test_frames_of_another_face_slipped_in_every_eight_frames_end_the_attempt() -> None:
    """Two frames of someone else in every eight: never three in a row, many in any second."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    feed(engine, (stream.frame(t) for t in times(0.0, 1.0)))  # the customer calibrates
    assert engine.calibration is not None
    frames = [
        stream.frame(t, signature=OTHER if index % 8 in (3, 4) else SIGNATURE)
        for index, t in enumerate(times(1.0, 4.0))
    ]
    updates = feed(engine, frames)
    verdict = engine.finish()
    caught = any(update.restarted for update in updates) or Reason.IDENTITY_JUMP in verdict.reasons
    record_bad_input(
        "another face every 8 frames", expected="caught", got="caught" if caught else "missed", code="identity_jump"
    )
    assert caught


def test_an_occasional_odd_frame_is_not_another_face() -> None:
    """One odd mesh now and then (a blur, a hand) stays under the count."""
    engine, stream = ChallengeEngine(ChallengePlan.parse("blink"), CONFIG), FaceStream()
    feed(engine, (stream.frame(t) for t in times(0.0, 1.0)))
    frames = [
        stream.frame(t, signature=OTHER if index % 8 == 3 else SIGNATURE, ear=blink_ear(t, at=2.0))
        for index, t in enumerate(times(1.0, 3.0))
    ]
    updates = feed(engine, frames)
    assert not any(update.restarted for update in updates)
    assert engine.finish().passed


class ScriptedExtractor:
    """Stands in for the face mesh: the features of a frontal customer who blinks at `blink_at`."""

    color = "bgr"

    def __init__(self, blink_at: float) -> None:
        self._stream = FaceStream()
        self._blink_at = blink_at

    def reset(self, light: bool = False) -> None:
        return None

    def extract(self, frame: Any, t: float) -> FrameFeatures:
        return self._stream.frame(t, ear=blink_ear(t, at=self._blink_at))

    def close(self) -> None:
        return None


def _clock(moments: Iterator[float]) -> Any:
    now = [0.0]

    def tick() -> float:
        return now[0]

    def advance() -> float:
        now[0] = next(moments)
        return now[0]

    return tick, advance


def test_the_matched_frames_come_from_inside_the_answered_step() -> None:
    plan = ChallengePlan.parse("blink").with_gaps((0.0,))
    moments = iter(times(0.0, 3.0))
    tick, advance = _clock(moments)
    session = LivenessSession(
        plan,
        CONFIG,
        clock=tick,
        extractor=cast(Any, ScriptedExtractor(blink_at=1.8)),
        budgeted=False,
    )
    image = np.zeros((48, 64, 3), dtype=np.uint8)
    for _ in times(0.0, 3.0):
        t = advance()
        session.offer(image, timestamp=t)
    frames = session.best_frames(3)
    result = session.result()
    assert result.verdict.passed, result.verdict.reasons
    step = result.verdict.steps[0]
    assert frames
    assert result.best_frame is not None
    inside = all(step.prompted_at <= frame.t <= (step.completed_at or 0.0) for frame in (*frames, result.best_frame))
    record_bad_input(
        "match frames outside the answered steps",
        expected="inside",
        got="inside" if inside else "outside",
        code="best_frame",
    )
    assert inside, ([frame.t for frame in frames], step)


# The interleaved-photo attack on a real clip (bench/interleaved_photos.py runs it over every shared
# clip and 20 people): two frames of the victim's photo every eight frames of an accomplice's clip.
# Without the one-face check this case was approved (the photo's frames were the sharpest).
ATTACK = ("liveportrait_d0.mp4", "015", 8, 2)


def _attempt_stored(session: VerificationSession, attempt: Any) -> None:
    """The capture's end as `services.capture_finish` stores it, the worker's verdict passed."""
    from registration import services
    from registration.images import FRAMES_CONTENT_TYPE, pack_frames
    from registration.models import EvidenceKind

    best, *extra = attempt.matched
    for kind, content, content_type in (
        (EvidenceKind.LIVE_FRAME, best, "image/jpeg"),
        (EvidenceKind.LIVE_FRAMES_EXTRA, pack_frames(extra), FRAMES_CONTENT_TYPE),
        (EvidenceKind.CHALLENGE_FRAMES, pack_frames(attempt.sampled), FRAMES_CONTENT_TYPE),
    ):
        services.evidence_store(session=session, kind=kind, content=content, content_type=content_type)
    VerificationSession.objects.filter(pk=session.pk).update(state="liveness_passed", liveness_passed=True)


def _play_clip(testdata: Path, clip: str, victim: str | None) -> tuple[Any, bytes]:
    """The clip through the capture's session (attacked with the victim's photo, or alone), and the
    document's photo: the victim's other photo, or the clip's own first frame."""
    from bench import interleaved_photos as bench
    from liveness.extractor import LandmarkExtractor
    from registration.liveness_settings import liveness_config

    config = liveness_config()
    frames, fps = bench.clip_frames(testdata / "liveness_video" / clip)
    with LandmarkExtractor(config) as extractor:
        plan, alone = bench.serving_plan(frames, fps, extractor, config)
        if victim is None:
            return alone, bench.jpeg(frames[0])
        _name, document, photo = next(v for v in bench.victims(testdata, 20) if v[0].endswith(victim))
        _, _, every, run = ATTACK
        stream = bench.interleaved(frames, photo, every, run, offset=3)
        return bench.play(stream, fps, extractor, config, plan), document


@pytest.mark.model
@pytest.mark.django_db
def test_another_persons_photo_slipped_into_a_real_clip_ends_in_review(
    make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    from registration import services

    attempt, document = _play_clip(testdata, ATTACK[0], ATTACK[1])
    assert attempt.passed, attempt.reasons  # the live check alone does not stop it
    session = make_session("consented", portrait=document)  # a bound document: nothing else holds it back
    _attempt_stored(session, attempt)

    decision = services.faces_match(session_id=session.pk)
    session.refresh_from_db()
    record_bad_input("another person's photo interleaved", expected="manual_review", got=decision, code="one_face")
    assert decision == "manual_review", session.match_detail
    assert "identity_mismatch" in session.decision_reasons
    assert session.match_detail["identity"]["mismatched_pairs"] > 0
    assert not session.evidence.filter(kind__in=["challenge_frames", "live_frames_extra"]).exists()


@pytest.mark.model
@pytest.mark.django_db
def test_the_same_clip_alone_is_approved(make_session: Callable[..., VerificationSession], testdata: Path) -> None:
    """The check does not hold an honest customer back: every sampled frame is the same person."""
    from registration import services

    attempt, document = _play_clip(testdata, ATTACK[0], None)
    session = make_session("consented", portrait=document)
    _attempt_stored(session, attempt)

    assert services.faces_match(session_id=session.pk) == "approved"
    session.refresh_from_db()
    assert session.match_detail["identity"]["mismatched_pairs"] == 0
    assert session.match_detail["identity"]["sampled_with_face"] >= 2
