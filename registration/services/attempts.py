"""Capture attempts: start one (a single-use nonce, the limits), store what it produced, or abort it.

The judgement is enqueued by task name on commit, so services never import the tasks module."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from celery import chain, current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from liveness import Reason
from registration import task_names
from registration.audit import audit
from registration.errors import Conflict, RateLimited
from registration.images import FRAMES_CONTENT_TYPE, pack_frames
from registration.models import AuditEvent, Evidence, EvidenceKind, VerificationSession
from registration.selectors import captures_awaiting_verdict, has_document_portrait, session_attempt_signals
from registration.state_machine import check_action
from registration.verification_policy import effective_policy

from .evidence import evidence_store
from .registrations import new_challenge_plan
from .transitions import S, User, notify_on_commit, session_lock, session_move, session_open

SPOOF_SIGNALS = frozenset({Reason.SUSPECTED_INJECTION, Reason.REPEATED_FRAMES, Reason.IMPOSSIBLE_TIMESTAMPS})
"""An attempt that ended with one of these (a replayed or injected stream) bars automatic approval
for the whole session: a retry that passes goes to a supervisor with the reason."""
SPOOF_REVIEW = "spoof_signals"
ATTEMPTS_EXHAUSTED = "liveness_attempts_exhausted"


def spoof_signals(session: VerificationSession) -> list[str]:
    """Why this session may not be approved automatically: the spoof signals of any of its attempts,
    and a declined light step (the defence against replayed video). Empty when nothing bars it."""
    return session_attempt_signals(session, SPOOF_SIGNALS)


def capture_start(*, session_id: UUID | str, actor: User, no_lights: bool = False) -> VerificationSession:
    """Start a liveness attempt: a fresh single-use nonce binds the attempt to one connection, and a
    fresh challenge plan is drawn for it (never the clerk's previous plan). With the light policy
    on, the plan has a screen-light step unless the customer asked to do without the lights
    (`no_lights`: more actions instead); the choice is audited with the attempt."""
    session_open(session_id)
    with transaction.atomic():
        session = session_lock(session_id)
        check_action("capture", session.state)
        if not has_document_portrait(session):  # only a session consented before its photo (the old order)
            raise Conflict(
                "There is no document photo yet: the clerk photographs it first.", code="document_photo_required"
            )
        policy = effective_policy()
        if session.attempt_count >= policy.max_liveness_attempts:
            raise Conflict("No liveness attempts are left for this session.", code="attempts_exhausted")
        _check_capture_rate(session, actor)
        session_move(
            session,
            S.LIVENESS_RUNNING,
            actor=actor,
            attempt_count=session.attempt_count + 1,
            challenge_nonce=secrets.token_urlsafe(24),
            challenge_plan=new_challenge_plan(
                previous=_previous_plan(session), light=policy.light_challenge, no_lights=no_lights
            ),
            liveness_started_at=timezone.now(),
            details={"attempt": session.attempt_count + 1, **light_details(policy.light_challenge, no_lights)},
        )
    return session


def reference_embed_ahead(*, session_id: UUID | str) -> None:
    """The customer's video is flowing (the capture answered its offer): the worker embeds the
    portrait meanwhile, so the match only embeds the live frames (judgement.reference_embed: once
    per session, kept encrypted in Redis until the match or the session's end, never in the
    database)."""
    current_app.send_task(task_names.EMBED_REFERENCE, args=(str(session_id),))


def light_details(light: bool, no_lights: bool) -> dict[str, bool]:
    """What the audit records of the light step for one attempt (nothing while the policy is off)."""
    return {"light": not no_lights, "no_lights": no_lights} if light else {}


def _previous_plan(session: VerificationSession) -> list[str] | None:
    """The plan this session's last attempt ran, else the clerk's most recent one."""
    if session.challenge_plan:
        return list(session.challenge_plan)
    recent = (
        VerificationSession.objects.filter(clerk_id=session.clerk_id)
        .exclude(challenge_plan=[])
        .order_by(F("liveness_started_at").desc(nulls_last=True))
        .values_list("challenge_plan", flat=True)
        .first()
    )
    return list(recent) if recent else None


def _check_capture_rate(session: VerificationSession, actor: User) -> None:
    """Rate limits on capture attempts per clerk and per outlet, counted from the audit log
    (shared by every process, and the attempts are audited anyway)."""
    since = timezone.now() - timedelta(minutes=1)
    started = AuditEvent.objects.filter(action=f"session.{S.LIVENESS_RUNNING}", created_at__gte=since)
    if started.filter(actor_id=actor.pk).count() >= settings.SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_CLERK:
        raise RateLimited("Too many capture attempts from this account: wait a minute.", code="capture_rate_clerk")
    if started.filter(outlet_id=session.outlet_id).count() >= settings.SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_OUTLET:
        raise RateLimited("Too many capture attempts at this outlet: wait a minute.", code="capture_rate_outlet")


def capture_finish(
    *,
    session_id: UUID | str,
    nonce: str,
    trace: dict[str, Any],
    best_frame_jpeg: bytes | None,
    live_summary: dict[str, Any],
    extra_frames_jpeg: tuple[bytes, ...] = (),
    challenge_frames_jpeg: tuple[bytes, ...] = (),
) -> VerificationSession:
    """Store the attempt's trace and best frame encrypted, then let the workers judge (on commit).

    ``extra_frames_jpeg`` (the next best frames of the capture) are stored encrypted the same way,
    for the match only: ``match_apply`` deletes them as soon as the match is decided. So are
    ``challenge_frames_jpeg`` (drawn through the whole challenge): the match checks that they and its
    own frames show one person (``identity.challenge_identity_check``).
    """
    with transaction.atomic():
        session = session_lock(session_id)
        if session.state != S.LIVENESS_RUNNING or not secrets.compare_digest(session.challenge_nonce, nonce):
            raise Conflict("This capture attempt is no longer current.", code="stale_capture")
        evidence_store(
            session=session,
            kind=EvidenceKind.LIVENESS_TRACE,
            content=json.dumps(trace, separators=(",", ":")).encode(),
            content_type="application/json",
        )
        if best_frame_jpeg:
            evidence_store(
                session=session, kind=EvidenceKind.LIVE_FRAME, content=best_frame_jpeg, content_type="image/jpeg"
            )
        if best_frame_jpeg and extra_frames_jpeg:
            evidence_store(
                session=session,
                kind=EvidenceKind.LIVE_FRAMES_EXTRA,
                content=pack_frames(extra_frames_jpeg),
                content_type=FRAMES_CONTENT_TYPE,
            )
        else:  # never match this attempt with the frames of an earlier one
            Evidence.objects.filter(session=session, kind=EvidenceKind.LIVE_FRAMES_EXTRA).delete()
        _challenge_frames_store(session, challenge_frames_jpeg)
        session.challenge_nonce = ""
        session.liveness_finished_at = timezone.now()
        session.liveness_detail = {"live": live_summary}
        session.save(update_fields=["challenge_nonce", "liveness_finished_at", "liveness_detail", "updated_at"])
        audit(
            actor=None,
            action="capture.finished",
            target=session,
            outlet=session.outlet,
            details={"live_passed": live_summary.get("passed"), "frames": len(trace.get("frames", []))},
        )
        notify_on_commit(session)
        # robust: a broker away at this moment must not fail a stored attempt (attempts_recover resends)
        transaction.on_commit(lambda: _enqueue_judgement(str(session.pk)), robust=True)
    return session


def _challenge_frames_store(session: VerificationSession, frames: tuple[bytes, ...]) -> None:
    """This attempt's sampled frames replace an earlier attempt's (never checked against another's)."""
    Evidence.objects.filter(session=session, kind=EvidenceKind.CHALLENGE_FRAMES).delete()
    if frames:
        evidence_store(
            session=session,
            kind=EvidenceKind.CHALLENGE_FRAMES,
            content=pack_frames(frames),
            content_type=FRAMES_CONTENT_TYPE,
        )


INTERRUPTIONS = frozenset(
    {
        "disconnected",  # the page left: reload, Back/Forward, the language switch, a closed tab, the network
        "connection_failed",
        "connection_closed",
        "video_stalled",
        "server_error",
        "server_shutdown",
        "access_ended",  # the clerk was signed out elsewhere
        "not_saved",
        "capture_lost",
    }
)
"""The ends of an attempt that say nothing about the customer's trying: the attempt is interrupted,
not failed, and does not count (up to the policy's `max_interrupted_attempts` per session, audited:
past it an interruption counts as a failed attempt, so leaving cannot buy endless tries)."""


def capture_abort(*, session_id: UUID | str, nonce: str, reason: str) -> VerificationSession | None:
    """The connection ended before the challenge did: an interruption gives the attempt back (the
    session returns to where it was before it), anything else fails it; a retry may follow."""
    with transaction.atomic():
        session = session_lock(session_id)
        if session.state != S.LIVENESS_RUNNING or not secrets.compare_digest(session.challenge_nonce, nonce):
            return None
        if reason in INTERRUPTIONS and _attempt_interrupted(session, reason):
            return session
        session_move(
            session,
            S.LIVENESS_FAILED,
            actor=None,
            challenge_nonce="",
            liveness_passed=False,
            liveness_reasons=[reason],
            liveness_finished_at=timezone.now(),
            details={"reason": reason},
        )
        review_if_attempts_exhausted(session)
    return session


def attempt_interruptions(session: VerificationSession) -> int:
    """How many attempts of this session were interrupted (the audit log holds each one)."""
    return AuditEvent.objects.filter(action="capture.interrupted", object_id=str(session.pk)).count()


def _attempt_interrupted(session: VerificationSession, reason: str) -> bool:
    """Give the running attempt back unless the session has used up its interruptions; audited
    either way. Returns whether the attempt was given back."""
    earlier = attempt_interruptions(session)
    given_back = earlier < effective_policy().max_interrupted_attempts
    audit(
        actor=None,
        action="capture.interrupted",
        target=session,
        outlet=session.outlet,
        details={"reason": reason, "attempt": session.attempt_count, "given_back": given_back, "earlier": earlier},
    )
    if not given_back:
        return False
    attempts = session.attempt_count - 1
    session_move(
        session,
        S.CONSENTED if attempts == 0 else S.LIVENESS_FAILED,  # where the attempt started from
        actor=None,
        attempt_count=attempts,
        challenge_nonce="",
        liveness_finished_at=timezone.now(),
        details={"reason": reason, "interrupted": True},
    )
    return True


ATTEMPT_LOST_SLACK = timedelta(minutes=4)
"""How long beyond the engine's session timeout a capture may still be running: far more than a
capture peer allows around it (waiting for the offer, and a margin: `capture.webrtc.peer.PeerTimeouts`,
checked against this by the tests)."""


def attempt_lost_after() -> timedelta:
    """A capture still running this long after it started has nobody behind it: its web process
    died, or the database was away when it ended."""
    return timedelta(seconds=settings.SHIMING_LIVENESS_SESSION_TIMEOUT_SECONDS) + ATTEMPT_LOST_SLACK


VERDICT_LOST_AFTER = timedelta(minutes=2)
"""A stored attempt still without its verdict this long after it ended: its hand-over to the workers
was lost (the broker was away at the commit, or the process died right after it) and is sent again,
at most once per this period (the tasks do nothing twice: a queue slower than this costs one
duplicate chain per session and period, nothing more)."""


def attempts_recover(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic sweep that never leaves a session in the challenge: an attempt lost while running
    ends (`capture_lost`, an interruption: the attempt is given back), and a stored attempt whose
    verdict never came is sent to the workers again. Returns how many of each."""
    now = now or timezone.now()
    lost = VerificationSession.objects.filter(
        state=S.LIVENESS_RUNNING, liveness_started_at__lte=now - attempt_lost_after()
    ).exclude(challenge_nonce="")
    failed = 0
    for session_id, nonce in list(lost.values_list("pk", "challenge_nonce")):
        failed += capture_abort(session_id=session_id, nonce=nonce, reason="capture_lost") is not None
    waiting = captures_awaiting_verdict().filter(liveness_finished_at__lte=now - VERDICT_LOST_AFTER)
    requeued = 0
    for session_id in list(waiting.values_list("pk", flat=True)):
        requeued += _verdict_send_again(session_id, now=now)
    return {"attempts_failed": failed, "verdicts_requeued": requeued}


def _verdict_send_again(session_id: UUID, *, now: datetime) -> bool:
    with transaction.atomic():
        session = captures_awaiting_verdict().select_for_update().filter(pk=session_id).first()
        if session is None:  # judged meanwhile
            return False
        last = session.liveness_detail.get("verdict_requeued_at")
        if last and datetime.fromisoformat(last) > now - VERDICT_LOST_AFTER:
            return False
        session.liveness_detail = {**session.liveness_detail, "verdict_requeued_at": now.isoformat()}
        session.save(update_fields=["liveness_detail", "updated_at"])
        audit(actor=None, action="capture.verdict_requeued", target=session, outlet=session.outlet, details={})
        transaction.on_commit(lambda: _enqueue_judgement(str(session.pk)), robust=True)
    return True


def _enqueue_judgement(session_id: str) -> None:
    """The verdict, then the match, by task name (routed by config/celery_app.py:TASK_ROUTES)."""
    chain(
        current_app.signature(task_names.LIVENESS_VERDICT, args=(session_id,), immutable=True),
        current_app.signature(task_names.MATCH_FACES, args=(session_id,), immutable=True),
    ).apply_async()


def review_if_attempts_exhausted(session: VerificationSession) -> None:
    """A failed attempt that was the last one the policy allows sends the case to a supervisor, never
    to a rejection by the machine: a customer who cannot blink or turn on cue (elderly, injured,
    disabled) is checked by a person, as the consent promises. After spoof signals in any attempt
    the case goes to the supervisor flagged with them, its live check shown as failed."""
    if session.state != S.LIVENESS_FAILED or session.attempt_count < effective_policy().max_liveness_attempts:
        return
    barred = spoof_signals(session)
    reasons = [ATTEMPTS_EXHAUSTED, *([SPOOF_REVIEW, *barred] if barred else [])]
    session_move(
        session,
        S.MANUAL_REVIEW,
        actor=None,
        decision="manual_review",
        decision_reasons=reasons,
        details={"reason": ATTEMPTS_EXHAUSTED, "spoof_signals": barred},
    )
