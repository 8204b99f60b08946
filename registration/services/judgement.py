"""The worker's judgement: the liveness verdict recomputed from the stored trace, then the 1:1 face
match decided in its band. The tasks only load by id and call these."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from liveness import ChallengePlan, LivenessConfig, LivenessVerdict, recompute_verdict, trace_minimised
from registration.audit import audit
from registration.documents import DocumentType, IdentitySource
from registration.face_matching import FaceMatchingError, ModelUnavailable, get_matcher
from registration.face_matching.base import ImageRole
from registration.face_matching.policy import DecisionBand, MatchPolicy, decide
from registration.images import unpack_frames
from registration.models import Evidence, EvidenceKind, VerificationSession
from registration.selectors import evidence_of_kind
from registration.verification_policy import effective_policy

from .attempts import SPOOF_REVIEW, review_if_attempts_exhausted, spoof_signals
from .decisions import session_approve
from .evidence import MATCH_ONLY_EVIDENCE, evidence_read_kind, evidence_store
from .identity import IdentityCheck, challenge_identity_check
from .reference_embedding import (
    reference_embedding_discard,
    reference_embedding_keep,
    reference_embedding_kept,
    reference_embedding_take,
)
from .registrations import needs_guardian_consent
from .transitions import S, session_lock, session_move, subscriber_close

DECISION_OF_BAND = {DecisionBand.APPROVE: "approved", DecisionBand.REJECT: "rejected"}
# Before the match: the states in which the portrait's embedding is worth making in advance.
# From the challenge's start to the match: the only states in which the portrait may be embedded ahead.
BEFORE_MATCH = frozenset({S.LIVENESS_RUNNING, S.LIVENESS_PASSED, S.LIVENESS_FAILED})
logger = logging.getLogger(__name__)


def liveness_judge(*, session_id: UUID | str) -> str:
    """Recompute the liveness verdict from the stored trace, with the configuration stored in it.

    This verdict is the one that counts. A trace without its configuration (or one that does not
    replay) fails with `trace_invalid`: the worker never substitutes today's settings."""
    session = VerificationSession.objects.select_related("outlet").get(pk=session_id)
    if session.state != S.LIVENESS_RUNNING or session.liveness_finished_at is None:
        return str(session.state)  # already judged, or the capture has not finished
    raw_trace = _worker_read(session, EvidenceKind.LIVENESS_TRACE)
    if raw_trace is None:
        return _liveness_write(session_id, passed=False, reasons=["no_trace"], detail={})
    trace = json.loads(raw_trace)
    verdict = _verdict_of(trace, ChallengePlan.parse(session.challenge_plan))
    if verdict is None:
        return _liveness_write(session_id, passed=False, reasons=["trace_invalid"], detail={})
    reasons = [reason.value for reason in verdict.reasons]
    has_frame = evidence_of_kind(session, EvidenceKind.LIVE_FRAME) is not None
    if verdict.passed and not has_frame:
        reasons.append("no_live_frame")
    passed = verdict.passed and has_frame
    return _liveness_write(session_id, passed=passed, reasons=reasons, detail=verdict.to_dict(), trace=trace)


def _worker_read(session: VerificationSession, kind: str) -> bytes | None:
    return evidence_read_kind(session=session, kind=kind, actor=None, purpose=f"worker:{kind}")


def _verdict_of(trace: Any, plan: ChallengePlan) -> LivenessVerdict | None:
    """The trace's verdict under its own stored configuration, or None when the trace is not valid."""
    if not isinstance(trace, dict) or not isinstance(trace.get("config"), dict):
        return None
    try:
        return recompute_verdict(trace, plan, LivenessConfig.from_dict(trace["config"]))
    except (KeyError, TypeError, ValueError):
        return None


def _liveness_write(
    session_id: UUID | str,
    *,
    passed: bool,
    reasons: list[str],
    detail: dict[str, Any],
    trace: dict[str, Any] | None = None,
) -> str:
    liveness_verdict_apply(session_id=session_id, passed=passed, reasons=reasons, detail=detail, trace=trace)
    return S.LIVENESS_PASSED if passed else S.LIVENESS_FAILED


def liveness_verdict_apply(
    *,
    session_id: UUID | str,
    passed: bool,
    reasons: list[str],
    detail: dict[str, Any],
    trace: dict[str, Any] | None = None,
) -> bool:
    """Write the worker's liveness verdict once; returns False when it was already written.

    The `trace` the verdict was recomputed from is stored again without the face's geometry in the
    same transaction (`trace_minimised`): only the verdict needed it (docs/privacy.md)."""
    with transaction.atomic():
        session = session_lock(session_id)
        if session.state != S.LIVENESS_RUNNING:
            return False
        if not passed:  # no match will run on this attempt: its extra frames have no purpose left
            Evidence.objects.filter(session=session, kind__in=MATCH_ONLY_EVIDENCE).delete()
        if trace is not None:
            minimised = json.dumps(trace_minimised(trace), separators=(",", ":")).encode()
            evidence_store(
                session=session, kind=EvidenceKind.LIVENESS_TRACE, content=minimised, content_type="application/json"
            )
        session_move(
            session,
            S.LIVENESS_PASSED if passed else S.LIVENESS_FAILED,
            actor=None,
            liveness_passed=passed,
            liveness_reasons=reasons,
            liveness_detail={**session.liveness_detail, "verdict": detail},
            details={"reasons": reasons},
        )
        review_if_attempts_exhausted(session)
    return True


def reference_embed(*, session_id: UUID | str) -> bool:
    """Embed the session's portrait while the customer does the challenge, kept encrypted in Redis
    for the match (``reference_embedding``). Idempotent; returns whether an embedding is kept.

    A portrait the matcher cannot use is left for the match to report; a missing model raises."""
    session = VerificationSession.objects.filter(pk=session_id).first()
    if session is None or session.state not in BEFORE_MATCH:
        return False
    if reference_embedding_kept(session_id=session.pk):  # a later attempt: the first one made it
        return True
    portrait = _worker_read(session, EvidenceKind.ID_PORTRAIT)
    if portrait is None:
        return False
    try:
        embedding = get_matcher().embed(portrait, ImageRole.REFERENCE)
    except ModelUnavailable:
        raise
    except FaceMatchingError:
        return False  # the match meets the same problem and sends the case to review with its reason
    return reference_embedding_keep(session=session, portrait=portrait, embedding=embedding, made_in=BEFORE_MATCH)


def faces_match(*, session_id: UUID | str) -> str:
    """Match the live frame 1:1 against the session's own ID portrait and decide its band from the
    effective policy (the one place the band is chosen). Idempotent; returns the session's state."""
    session = matching_begin(session_id=session_id)
    if session is None:  # already decided, or the liveness verdict did not pass
        return str(VerificationSession.objects.values_list("state", flat=True).get(pk=session_id))
    portrait = evidence_read_kind(
        session=session, kind=EvidenceKind.ID_PORTRAIT, actor=None, purpose="worker:id_portrait"
    )
    live_frame = evidence_read_kind(
        session=session, kind=EvidenceKind.LIVE_FRAME, actor=None, purpose="worker:live_frame"
    )
    if portrait is None or live_frame is None:
        return match_to_manual_review(session_id=session_id, reason="evidence_missing")
    extra = evidence_read_kind(
        session=session, kind=EvidenceKind.LIVE_FRAMES_EXTRA, actor=None, purpose="worker:live_frames_extra"
    )
    frames = [live_frame, *(unpack_frames(extra) if extra else [])]
    reference = reference_embedding_take(session_id=session_id, portrait=portrait)
    try:
        result = get_matcher().match(portrait if reference is None else reference, frames)
    except ModelUnavailable as exc:
        # A deployment fault: the case goes to a person, and the caller fails loudly for the operators.
        match_to_manual_review(session_id=session_id, reason=exc.reason_code, error=str(exc))
        raise
    except FaceMatchingError as exc:
        return match_to_manual_review(session_id=session_id, reason=exc.reason_code, error=str(exc))
    policy = effective_policy()
    bands = MatchPolicy(policy.face_accept_threshold, policy.face_reject_threshold, policy.face_higher_is_closer)
    outcome = decide(result.score, bands)
    decision, reasons = hold_automatic_approval(
        session, DECISION_OF_BAND.get(outcome.band, "manual_review"), list(outcome.reason_codes)
    )
    identity = _one_face(session, frames, bands, skip=outcome.band is DecisionBand.REJECT)
    decision, reasons = identity.hold(decision, reasons)
    match_apply(
        session_id=session_id,
        decision=decision,
        reasons=reasons,
        distance=result.score,  # the matcher's score, in the unit of score_metric below
        threshold=policy.face_accept_threshold,
        model=result.model,
        detail={
            "band": outcome.band.value,  # decided here once; the review screen shows this band
            "score_metric": result.score_metric,
            "higher_is_closer": result.higher_is_closer,
            "matcher": policy.face_matcher,
            "accept_threshold": policy.face_accept_threshold,
            "reject_threshold": policy.face_reject_threshold,
            "reference_detector": result.reference_detector,
            "probe_detector": result.probe_detector,
            "timings_ms": asdict(result.timings),
            "frames": len(frames),
            "frame_scores": list(result.frame_scores),
            "fusion": result.fusion,
            "reference": "precomputed" if result.reference_precomputed else "computed",
            "identity": identity.detail,
        },
    )
    return decision


def _one_face(session: VerificationSession, frames: list[bytes], bands: MatchPolicy, *, skip: bool) -> IdentityCheck:
    """The matched frames and the frames sampled through the challenge show one person (identity.py);
    not run for a face already rejected."""
    if skip:
        return IdentityCheck(())
    sampled = _worker_read(session, EvidenceKind.CHALLENGE_FRAMES)
    try:
        return challenge_identity_check(
            matcher=get_matcher(), matched=frames, sampled=unpack_frames(sampled) if sampled else [], policy=bands
        )
    except ModelUnavailable as exc:  # the match itself just ran: a person decides, the operators see the log
        logger.exception("session %s: the one-face check could not run", session.pk)
        return IdentityCheck((exc.reason_code,))


def hold_automatic_approval(session: VerificationSession, decision: str, reasons: list[str]) -> tuple[str, list[str]]:
    """Until the reference is bound to the typed identity (a signed chip read, or a document photo whose
    MRZ matched it), nothing is approved automatically: an approval becomes a review, with why. A
    minor's registration is always a supervisor's. Spoof signals in any attempt (`spoof_signals`) send
    any case that is not rejected to a supervisor, with them."""
    barred = spoof_signals(session)
    if barred and decision != "rejected":
        return "manual_review", [*reasons, SPOOF_REVIEW, *barred]
    if decision != "approved":
        return decision, reasons
    if not session.reference_binding:
        why = session.reference_unbound_reason or "reference_unbound"
        return "manual_review", [*reasons, "reference_unbound", *([why] if why != "reference_unbound" else [])]
    if prc_card_typed(session):
        return "manual_review", [*reasons, PRC_CARD_TYPED]
    if needs_guardian_consent(session.subscriber):
        return "manual_review", [*reasons, "minor_needs_supervisor"]
    return decision, reasons


PRC_CARD_TYPED = "prc_card_typed"


def prc_card_typed(session: VerificationSession) -> bool:
    """A PRC card's name, number and date of birth come from its chip (MIIT 2016 forbids typing them):
    typed by hand, even if a chip read later matched them, the case is a supervisor's."""
    subscriber = session.subscriber
    document_type = subscriber.document_type or subscriber.document.document_type
    return document_type == DocumentType.PRC_ID_CARD and subscriber.identity_source != IdentitySource.CHIP


def match_to_manual_review(*, session_id: UUID | str, reason: str, error: str = "") -> str:
    """The match could not decide (missing evidence, no face, a timeout, a model fault): a person will."""
    match_apply(
        session_id=session_id,
        decision="manual_review",
        reasons=[reason],
        distance=None,
        threshold=None,
        model="",
        detail={"error": error} if error else {},
    )
    return S.MANUAL_REVIEW


def matching_begin(*, session_id: UUID | str) -> VerificationSession | None:
    """Move a passed session into matching; returns None when there is nothing to match."""
    with transaction.atomic():
        session = session_lock(session_id)
        if session.state == S.LIVENESS_PASSED:
            session_move(session, S.MATCHING, actor=None, matching_started_at=timezone.now())
        return session if session.state == S.MATCHING else None


def match_apply(
    *,
    session_id: UUID | str,
    decision: str,
    reasons: list[str],
    distance: float | None,
    threshold: float | None,
    model: str,
    detail: dict[str, Any],
) -> bool:
    """Write the matcher's decision once; returns False when the session was already decided.

    A result for a session that moved on without it (cancelled, expired) is logged and audited as
    discarded, never dropped silently; a repeat of a result already written is not.
    The extra live frames served only this match: they are deleted in the same transaction, and
    the portrait's embedding (if one was left in Redis) at once."""
    reference_embedding_discard(session_id=session_id)
    with transaction.atomic():
        session = session_lock(session_id)
        Evidence.objects.filter(session=session, kind__in=MATCH_ONLY_EVIDENCE).delete()
        if session.state != S.MATCHING:
            if not session.match_model and session.match_distance is None:
                _match_discarded(session, decision=decision, distance=distance, model=model)
            return False
        session.match_distance = distance
        session.match_threshold = threshold
        session.match_model = model
        session.match_detail = detail
        if decision == "approved":
            session_approve(session, actor=None, reasons=reasons)
            return True
        target = S.REJECTED if decision == "rejected" else S.MANUAL_REVIEW
        session_move(
            session,
            target,
            actor=None,
            decision=decision,
            decision_reasons=reasons,
            details={"reasons": reasons, "distance": distance},
        )
        if target == S.REJECTED:
            subscriber_close(session)
    return True


def _match_discarded(session: VerificationSession, *, decision: str, distance: float | None, model: str) -> None:
    logger.warning(
        "match result %s (distance %s) for session %s discarded: the session is %s",
        decision,
        distance,
        session.pk,
        session.state,
    )
    audit(
        actor=None,
        action="match.discarded",
        target=session,
        outlet=session.outlet,
        details={"state": session.state, "decision": decision, "distance": distance, "model": model},
    )
