"""Tasks run by a real Celery worker process against the test PostgreSQL and Redis."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from django.test import override_settings
from django.utils import timezone

from liveness import ChallengePlan, LivenessConfig
from registration import services, task_names
from registration.face_matching import MatchResult
from registration.face_matching.omz_matcher import OmzMatcher
from registration.images import FRAMES_CONTENT_TYPE, pack_frames, unpack_frames
from registration.liveness_settings import liveness_config
from registration.models import AuditEvent, Evidence, EvidenceKind, VerificationPolicy, VerificationSession
from registration.services.attempts import VERDICT_LOST_AFTER, attempt_lost_after
from registration.tasks import (
    expire_stale_sessions,
    liveness_verdict,
    match_faces,
    purge_expired_evidence,
    recover_attempts,
)
from tests import factories
from tests.factories import store_live_frame
from tests.processes import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_expires_stale_sessions_once(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession]
) -> None:
    stale, fresh = make_session(), make_session()
    VerificationSession.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(seconds=5))
    for _ in range(2):  # twice: the second run finds nothing left to do
        expire_stale_sessions.delay()
    assert wait_until(lambda: VerificationSession.objects.get(pk=stale.pk).state == "expired")
    assert wait_until(lambda: AuditEvent.objects.filter(object_id=str(stale.pk), action="session.expired").count() == 1)
    assert VerificationSession.objects.get(pk=fresh.pk).state == "created"


def test_worker_purges_evidence_after_retention(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], clerk: Any
) -> None:
    old, recent = make_session(), make_session()
    for session in (old, recent):
        services.evidence_store(
            session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"jpeg", content_type="image/jpeg"
        )
        services.session_cancel(session_id=session.pk, actor=clerk)
    VerificationSession.objects.filter(pk=old.pk).update(evidence_purge_after=timezone.now() - timedelta(minutes=1))
    for _ in range(2):
        purge_expired_evidence.delay()
    assert wait_until(lambda: not Evidence.objects.filter(session=old).exists())
    assert wait_until(lambda: AuditEvent.objects.filter(object_id=str(old.pk), action="evidence.purged").count() == 1)
    assert Evidence.objects.filter(session=recent).count() == 1


def _session_ready_to_match(
    make_session: Callable[..., VerificationSession], testdata: Path, portrait: str, live: str
) -> VerificationSession:
    """A session whose liveness passed, holding a portrait and a live frame, as the capture leaves it."""
    session = make_session()
    photos = testdata / "verification" / "deepface"
    content = (photos / portrait).read_bytes()
    services.evidence_store(session=session, kind=EvidenceKind.ID_PORTRAIT, content=content, content_type="image/jpeg")
    store_live_frame(session, (photos / live).read_bytes())
    VerificationSession.objects.filter(pk=session.pk).update(
        state="liveness_passed",
        liveness_passed=True,
    )
    factories.as_read_from_the_chip(session)
    return session


@pytest.mark.model
@pytest.mark.parametrize(
    ("portrait", "live", "decision"),
    [("img2.jpg", "img6.jpg", "approved"), ("img21.jpg", "img17.jpg", "rejected")],
    ids=["same-person", "different-people"],
)
def test_worker_matches_once_even_when_the_task_runs_twice(
    celery_worker_process: Any,
    make_session: Callable[..., VerificationSession],
    testdata: Path,
    portrait: str,
    live: str,
    decision: str,
) -> None:
    session = _session_ready_to_match(make_session, testdata, portrait, live)
    match_faces.delay(str(session.pk))
    match_faces.delay(str(session.pk))
    assert wait_until(lambda: VerificationSession.objects.get(pk=session.pk).state == decision, timeout=120)
    session.refresh_from_db()
    assert session.match_model == OmzMatcher.MODEL  # the production matcher runs in the suite
    assert session.match_distance is not None
    assert session.decision_reasons
    assert session.subscriber.status == ("active" if decision == "approved" else "rejected")
    time.sleep(1.0)  # give a duplicate the chance to write a second decision
    decisions = AuditEvent.objects.filter(object_id=str(session.pk), action=f"session.{decision}")
    assert decisions.count() == 1
    assert AuditEvent.objects.filter(object_id=str(session.pk), action="session.matching").count() == 1


def test_match_without_a_passed_liveness_does_nothing(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session()
    sent = match_faces.delay(str(session.pk))
    # (The wait is long because the worker may still be warming its models on a loaded machine.)
    # No result backend: the worker's own log line proves the task ran, finished, and took the
    # "nothing to do" branch (it returns the unchanged state) before the database is checked.
    log_path: Path = celery_worker_process.log_path
    finished = f"Task {task_names.MATCH_FACES}[{sent.id}] succeeded"
    assert wait_until(lambda: finished in log_path.read_text(errors="replace"), timeout=120), "match_faces never ran"
    assert re.search(rf"{re.escape(finished)} in [0-9.e-]+s: 'created'", log_path.read_text(errors="replace"))
    session.refresh_from_db()
    assert session.state == "created"
    assert not AuditEvent.objects.filter(object_id=str(session.pk), action="session.matching").exists()


def _run_clip(
    clip: Path, plan: str, *, still: bool = False, config: LivenessConfig | None = None
) -> tuple[dict[str, Any], bytes]:
    """Run the live engine over a clip as the capture does (media clock), returning the trace (with the
    configuration it ran with, as the capture stores it) and the best frame."""
    import cv2

    from liveness.session import LivenessSession

    config = config or liveness_config()
    now = [0.0]
    steps = ChallengePlan.parse(plan)
    # A fixed short gap: the clip's blink at 2.6 s must fall in the reaction window whatever is drawn.
    live = LivenessSession(steps.with_gaps([0.5] * len(steps.steps)), config, clock=lambda: now[0])
    video = cv2.VideoCapture(str(clip))
    fps = video.get(cv2.CAP_PROP_FPS)
    ok, first = video.read()
    frame, index = first, 0
    jitter = np.random.default_rng(7)
    while ok:
        now[0] = index / fps
        # A still print held in front of the camera: the same picture, shaken by a pixel or two.
        shown = np.roll(first, tuple(jitter.integers(-2, 3, size=2)), axis=(0, 1)) if still else frame
        live.offer(np.asarray(shown, dtype=np.uint8), timestamp=now[0])
        ok, frame = video.read()
        index += 1
    video.release()
    result = live.result()
    best = result.best_frame.image if result.best_frame is not None else first
    encoded = cv2.imencode(".jpg", best)[1].tobytes()
    return live.export_trace(), encoded  # the trace carries the config it ran with


def _session_after_capture(
    make_session: Callable[..., VerificationSession],
    trace: dict[str, Any],
    frame: bytes,
    plan: str,
    extra_frames: tuple[bytes, ...] = (),
) -> VerificationSession:
    session = make_session(state="consented", portrait=b"\xff\xd8portrait")  # past the handover
    with override_settings(SHIMING_FIXED_CHALLENGE_PLAN=plan.split(",")):  # the plan the clip follows
        services.capture_start(session_id=session.pk, actor=session.clerk)  # draws the attempt's plan
    session.refresh_from_db()
    with patch("registration.services.attempts._enqueue_judgement"):  # the test sends the task itself, twice
        services.capture_finish(
            session_id=session.pk,
            nonce=session.challenge_nonce,
            trace=trace,
            best_frame_jpeg=frame,
            live_summary={},
            extra_frames_jpeg=extra_frames,
        )
    return session


@pytest.mark.model
def test_worker_recomputes_the_liveness_verdict_once(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    trace, frame = _run_clip(testdata / "liveness_video" / "liveportrait_d0.mp4", "blink")
    session = _session_after_capture(make_session, trace, frame, "blink")
    liveness_verdict.delay(str(session.pk))
    liveness_verdict.delay(str(session.pk))
    assert wait_until(lambda: VerificationSession.objects.get(pk=session.pk).state == "liveness_passed", timeout=60)
    time.sleep(1.0)
    assert AuditEvent.objects.filter(object_id=str(session.pk), action="session.liveness_passed").count() == 1
    session.refresh_from_db()
    assert session.liveness_passed is True
    assert session.liveness_detail["verdict"]["verdict"] == "passed"


@pytest.mark.model
def test_worker_fails_a_still_photo_and_the_match_never_runs(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    from celery import chain

    trace, frame = _run_clip(testdata / "liveness_video" / "liveportrait_d0.mp4", "blink", still=True)
    session = _session_after_capture(make_session, trace, frame, "blink")
    chain(liveness_verdict.si(str(session.pk)), match_faces.si(str(session.pk))).apply_async()
    assert wait_until(lambda: VerificationSession.objects.get(pk=session.pk).state == "liveness_failed", timeout=60)
    time.sleep(1.0)
    session.refresh_from_db()
    assert session.state == "liveness_failed"
    assert session.liveness_reasons
    assert not AuditEvent.objects.filter(object_id=str(session.pk), action="session.matching").exists()


def test_worker_fails_a_trace_without_its_configuration(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession]
) -> None:
    """No silent fallback to today's settings: a trace that does not say how it was judged is invalid."""
    from liveness.trace import TRACE_VERSION

    trace = {"version": TRACE_VERSION, "plan": ["blink"], "frames": []}
    session = _session_after_capture(make_session, trace, b"jpeg", "blink")
    liveness_verdict.delay(str(session.pk))
    assert wait_until(lambda: VerificationSession.objects.get(pk=session.pk).state == "liveness_failed", timeout=60)
    session.refresh_from_db()
    assert session.liveness_reasons == ["trace_invalid"]


def test_worker_recovers_lost_attempts_and_lost_verdicts_once(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession]
) -> None:
    """The periodic recovery: an attempt whose web process died mid-capture fails with a retry
    allowed; a stored attempt whose hand-over to the workers was lost gets its verdict; a capture
    still inside its time is left alone."""
    from liveness.trace import TRACE_VERSION

    trace = {"version": TRACE_VERSION, "plan": ["blink"], "frames": []}
    unjudged = _session_after_capture(make_session, trace, b"jpeg", "blink")  # the chain never sent
    lost, running = (make_session(state="consented", portrait=b"\xff\xd8portrait") for _ in range(2))
    for session in (lost, running):
        services.capture_start(session_id=session.pk, actor=session.clerk)
    now = timezone.now()
    VerificationSession.objects.filter(pk=lost.pk).update(liveness_started_at=now - attempt_lost_after())
    VerificationSession.objects.filter(pk=unjudged.pk).update(liveness_finished_at=now - VERDICT_LOST_AFTER)

    for _ in range(2):  # twice: the second run finds nothing left to do
        recover_attempts.delay()

    assert wait_until(lambda: VerificationSession.objects.get(pk=lost.pk).state == "consented", timeout=60)
    assert wait_until(lambda: VerificationSession.objects.get(pk=unjudged.pk).state == "liveness_failed", timeout=60)
    time.sleep(1.0)
    lost.refresh_from_db()
    assert (lost.attempt_count, lost.challenge_nonce) == (0, "")  # lost by the server: it does not count
    interrupted = AuditEvent.objects.get(object_id=str(lost.pk), action="capture.interrupted")
    assert interrupted.details["reason"] == "capture_lost"
    assert services.capture_start(session_id=lost.pk, actor=lost.clerk).attempt_count == 1  # a retry is allowed
    assert VerificationSession.objects.get(pk=unjudged.pk).liveness_reasons == ["trace_invalid"]  # judged
    requeued = AuditEvent.objects.filter(object_id=str(unjudged.pk), action="capture.verdict_requeued")
    assert requeued.count() == 1
    assert VerificationSession.objects.get(pk=running.pk).state == "liveness_running"


def test_a_verdict_is_sent_again_at_most_once_a_period(make_session: Callable[..., VerificationSession]) -> None:
    """A slow queue (workers busy or down) is not flooded: one resend per period and session."""
    from liveness.trace import TRACE_VERSION

    trace = {"version": TRACE_VERSION, "plan": ["blink"], "frames": []}
    session = _session_after_capture(make_session, trace, b"jpeg", "blink")
    finished = VerificationSession.objects.get(pk=session.pk).liveness_finished_at
    assert finished is not None
    sent: list[str] = []
    with patch("registration.services.attempts._enqueue_judgement", sent.append):
        for minutes in (1, 3, 4, 6):  # after the end: too early, sent, too soon again, sent again
            services.attempts_recover(now=finished + timedelta(minutes=minutes))
    assert sent == [str(session.pk)] * 2


@pytest.mark.model
def test_worker_judges_with_the_configuration_stored_in_the_trace(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    """The clip passes under the worker's settings; the configuration it was captured with (stored in
    the trace) demands a deeper blink than it ever shows, and that configuration is the one used."""
    trace, frame = _run_clip(testdata / "liveness_video" / "liveportrait_d0.mp4", "blink")
    assert LivenessConfig.from_dict(trace["config"]) == liveness_config()  # the worker's own settings
    strict = dataclasses.replace(liveness_config(), blink_close_ratio=0.05, blink_open_ratio=0.1)
    session = _session_after_capture(make_session, {**trace, "config": strict.to_dict()}, frame, "blink")
    liveness_verdict.delay(str(session.pk))
    assert wait_until(lambda: VerificationSession.objects.get(pk=session.pk).state == "liveness_failed", timeout=60)
    session.refresh_from_db()
    assert "trace_invalid" not in session.liveness_reasons
    assert session.liveness_detail["verdict"]["verdict"] == "failed"


@pytest.mark.model
def test_worker_decides_the_band_from_the_admin_policy_not_the_matcher_settings(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    """The same person, approved under the matcher's calibrated thresholds; the admin's policy for this
    matcher (cosine similarity) says approve at 0.999, reject below 0.998."""
    VerificationPolicy.objects.create(
        pk=1, face_accept_threshold=0.999, face_reject_threshold=0.998, face_thresholds_matcher=OmzMatcher.KEY
    )
    session = _session_ready_to_match(make_session, testdata, "img2.jpg", "img6.jpg")
    match_faces.delay(str(session.pk))
    match_faces.delay(str(session.pk))
    assert wait_until(lambda: VerificationSession.objects.get(pk=session.pk).state == "rejected", timeout=120)
    session.refresh_from_db()
    assert session.decision_reasons == ["face_score_in_reject_band"]
    assert session.match_detail["band"] == "reject"
    assert (session.match_threshold, session.match_detail["reject_threshold"]) == (0.999, 0.998)
    assert session.match_detail["score_metric"] == "cosine_similarity"
    assert session.match_distance is not None
    assert session.match_distance >= OmzMatcher.SCALE.accept


def test_the_matcher_reports_facts_and_decides_no_band() -> None:
    """One place decides the band (the judgement service, from the effective policy)."""
    names = {field.name for field in dataclasses.fields(MatchResult)}
    assert {"score", "score_metric", "higher_is_closer", "model"} <= names
    assert not names & {"band", "reason_codes", "accept_threshold", "reject_threshold"}


@pytest.mark.model
def test_worker_matches_the_extra_live_frames_and_deletes_them_once_decided(
    celery_worker_process: Any, make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    """The best frame is a weaker picture of the customer, an extra frame a closer one: best of the
    frames approves with the closer one (both one person, so the one-face check holds nothing back)."""
    session = _session_ready_to_match(make_session, testdata, "img2.jpg", "img1.jpg")
    _store_extra(session, testdata, "img6.jpg")
    match_faces.delay(str(session.pk))
    match_faces.delay(str(session.pk))
    assert wait_until(lambda: VerificationSession.objects.get(pk=session.pk).state == "approved", timeout=120)
    session.refresh_from_db()
    assert session.match_detail["frames"] == 2
    assert session.match_detail["fusion"] == "best_of"
    first, second = session.match_detail["frame_scores"]
    assert session.match_distance == second > first  # a similarity: the closer frame scores higher
    assert not Evidence.objects.filter(session=session, kind=EvidenceKind.LIVE_FRAMES_EXTRA).exists()
    assert Evidence.objects.filter(session=session, kind=EvidenceKind.LIVE_FRAME).exists()  # kept for review


def _store_extra(session: VerificationSession, testdata: Path, name: str) -> None:
    extra = (testdata / "verification" / "deepface" / name).read_bytes()
    services.evidence_store(
        session=session,
        kind=EvidenceKind.LIVE_FRAMES_EXTRA,
        content=pack_frames([extra]),
        content_type=FRAMES_CONTENT_TYPE,
    )


@pytest.mark.model
@pytest.mark.django_db
def test_a_stranger_among_the_matched_frames_sends_the_case_to_a_supervisor(
    make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    """The best frame shows a stranger, an extra frame the customer: best of the frames would approve
    on the customer's frame, but the matched frames are not one person (services/identity.py)."""
    session = _session_ready_to_match(make_session, testdata, "img2.jpg", "img48.jpg")
    _store_extra(session, testdata, "img6.jpg")
    assert services.faces_match(session_id=session.pk) == "manual_review"
    session.refresh_from_db()
    assert session.decision_reasons == ["face_score_in_approve_band", "identity_mismatch"]
    assert not Evidence.objects.filter(session=session, kind__in=["live_frames_extra", "challenge_frames"]).exists()


@pytest.mark.django_db
def test_capture_stores_the_extra_frames_encrypted_next_to_the_best_frame(
    make_session: Callable[..., VerificationSession],
) -> None:
    session = _session_after_capture(
        make_session, {"frames": []}, b"\xff\xd8best", "blink", extra_frames=(b"\xff\xd8two", b"\xff\xd8three")
    )

    stored = Evidence.objects.get(session=session, kind=EvidenceKind.LIVE_FRAMES_EXTRA)
    assert b"\xff\xd8two" not in bytes(stored.ciphertext)  # encrypted at rest
    content = services.evidence_read(evidence=stored, actor=None, purpose="test")
    assert unpack_frames(content) == [b"\xff\xd8two", b"\xff\xd8three"]


def test_frames_blob_round_trips_and_refuses_a_truncated_one() -> None:
    frames = [b"a", b"", b"\x00" * 300]

    assert unpack_frames(pack_frames(frames)) == frames
    with pytest.raises(ValueError, match="truncated"):
        unpack_frames(pack_frames(frames)[:-1])


@pytest.mark.django_db
def test_a_retry_without_extra_frames_never_keeps_those_of_the_earlier_attempt(
    make_session: Callable[..., VerificationSession],
) -> None:
    session = _session_after_capture(make_session, {"frames": []}, b"\xff\xd8best", "blink", extra_frames=(b"old",))
    services.liveness_verdict_apply(session_id=session.pk, passed=False, reasons=["no_blink"], detail={})

    assert not Evidence.objects.filter(session=session, kind=EvidenceKind.LIVE_FRAMES_EXTRA).exists()

    services.evidence_store(session=session, kind=EvidenceKind.LIVE_FRAMES_EXTRA, content=b"old", content_type="x")
    VerificationSession.objects.filter(pk=session.pk).update(state="consented")
    services.capture_start(session_id=session.pk, actor=session.clerk)
    session.refresh_from_db()
    with patch("registration.services.attempts._enqueue_judgement"):
        services.capture_finish(
            session_id=session.pk,
            nonce=session.challenge_nonce,
            trace={"frames": []},
            best_frame_jpeg=b"\xff\xd8",
            live_summary={},
        )

    assert not Evidence.objects.filter(session=session, kind=EvidenceKind.LIVE_FRAMES_EXTRA).exists()


@pytest.mark.model
def test_once_judged_the_trace_keeps_no_face_geometry(
    make_session: Callable[..., VerificationSession], testdata: Path
) -> None:
    """The verdict needs the per-frame landmarks and face proportions; once it is written the stored
    trace keeps the challenge's timeline only, and a second run changes nothing."""
    trace, frame = _run_clip(testdata / "liveness_video" / "liveportrait_d0.mp4", "blink")
    assert {"a", "sig"} <= set(trace["frames"][0])
    session = _session_after_capture(make_session, trace, frame, "blink")
    assert services.liveness_judge(session_id=session.pk) == "liveness_passed"
    assert services.liveness_judge(session_id=session.pk) == "liveness_passed"
    stored = json.loads(
        services.evidence_read_kind(session=session, kind=EvidenceKind.LIVENESS_TRACE, actor=None, purpose="test")
        or b"{}"
    )
    assert stored["minimised"] is True
    assert len(stored["frames"]) == len(trace["frames"])
    for kept in stored["frames"]:
        assert not {"a", "f", "sig", "d", "sk", "bg"} & set(kept)
        assert {"t", "el", "er", "yaw"} <= set(kept)
