"""Reads, with outlet scoping built in: staff see only their own outlet's data."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from importlib import import_module
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.crypto import constant_time_compare

from . import crypto
from .consent_texts import (
    CONTACT_FALLBACK,
    CONTACT_PLACEHOLDER,
    CONTROLLER_FALLBACK,
    CONTROLLER_PLACEHOLDER,
    IDENTITY_YEARS_PLACEHOLDER,
    LIGHT_PLACEHOLDER,
    LIGHT_STEP_SENTENCE,
    RETENTION_PLACEHOLDER,
    REVIEW_DAYS_PLACEHOLDER,
)
from .customer_mode import customer_may_see, customer_mode_session
from .documents import DocumentType, normalise_mainland_mobile
from .errors import NotFound
from .models import (
    AuditEvent,
    ConsentRecord,
    ConsentText,
    Evidence,
    EvidenceKind,
    IdentityDocument,
    Outlet,
    StaffProfile,
    VerificationSession,
)
from .serializers import SessionOutput
from .state_machine import SessionState
from .verification_policy import effective_policy

User = AbstractBaseUser | AnonymousUser


def staff_outlet(user: User) -> Outlet | None:
    if not user.is_authenticated:
        return None
    profile = StaffProfile.objects.select_related("outlet").filter(user_id=user.pk).first()
    return profile.outlet if profile else None


SOCKET_ACCESS_ENDED = "access_ended"
SOCKET_CUSTOMER_MODE = "customer_mode"


def socket_refusal(*, user_id: int, outlet_id: int, login_session_key: str = "", session_id: str = "") -> str:
    """Why a socket opened by `user_id` for `outlet_id` may no longer be pushed to, "" while it may.
    `SOCKET_ACCESS_ENDED`: the user is inactive or no longer at that outlet, or the sign-in the
    socket was opened under (when it had one) has signed out or been outdated by a password change.
    `SOCKET_CUSTOMER_MODE`: that sign-in's customer holds the tablet and the socket serves none of
    the customer's screens (`session_id`: the registration it serves, "" for the dashboard)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or StaffProfile.objects.filter(user_id=user_id, outlet_id=outlet_id).first() is None:
        return SOCKET_ACCESS_ENDED
    if not login_session_key:
        return ""
    signed_in = import_module(settings.SESSION_ENGINE).SessionStore(login_session_key)
    if str(signed_in.get(SESSION_KEY, "")) != str(user_id) or not constant_time_compare(
        str(signed_in.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash()
    ):
        return SOCKET_ACCESS_ENDED
    if not customer_may_see(customer_mode_session(signed_in), session_id):
        return SOCKET_CUSTOMER_MODE
    return ""


def socket_user_allowed(*, user_id: int, outlet_id: int, login_session_key: str = "", session_id: str = "") -> bool:
    """Whether the socket may still be pushed to (`socket_refusal` gives the reason when not)."""
    return not socket_refusal(
        user_id=user_id, outlet_id=outlet_id, login_session_key=login_session_key, session_id=session_id
    )


LIGHTS_DECLINED = "lights_declined"
"""The signal of an attempt that ran without its screen-light step because the page asked so."""


def session_attempt_signals(session: VerificationSession, reasons: frozenset[str]) -> list[str]:
    """Which of `reasons` any attempt of the session ended with (the last one and every earlier one,
    read from the audit log), and `LIGHTS_DECLINED` when an attempt declined its light step."""
    found = set(session.liveness_reasons or []) & reasons
    events = AuditEvent.objects.filter(
        object_type=VerificationSession._meta.label_lower,
        object_id=str(session.pk),
        action__in=[f"session.{SessionState.LIVENESS_FAILED}", f"session.{SessionState.LIVENESS_RUNNING}"],
    ).values_list("details", flat=True)
    for details in events:
        ended_with = details.get("reasons") or [details.get("reason")]
        found |= {reason for reason in ended_with if isinstance(reason, str)} & reasons
        if details.get("no_lights") is True:
            found.add(LIGHTS_DECLINED)
    return sorted(found)


def identities_of_number(number: str) -> QuerySet[IdentityDocument]:
    """The identity held under this normalised number, whatever document type it was first typed as
    (one number is one identity): at most one row in practice, the oldest first."""
    hashes = [(document_type, crypto.id_number_hash(document_type, number)) for document_type in DocumentType.values]
    matches = Q(*[Q(document_type=kind, number_hash=hashed) for kind, hashed in hashes], _connector=Q.OR)
    return IdentityDocument.objects.filter(matches).order_by("created_at", "pk")


def sessions_visible_to(user: User) -> QuerySet[VerificationSession]:
    """Sessions of the user's outlet; nothing for a user with no outlet."""
    base = VerificationSession.objects.select_related("subscriber", "subscriber__document", "outlet", "clerk")
    outlet = staff_outlet(user)
    if outlet is None:
        return base.none()
    return base.filter(outlet=outlet)


def session_get_for_user(user: User, session_id: UUID | str) -> VerificationSession:
    """One session of the user's outlet; any other outlet's session is reported as not found."""
    try:
        return sessions_visible_to(user).get(pk=session_id)
    except (VerificationSession.DoesNotExist, ValueError) as exc:
        raise NotFound("No such verification session.") from exc


@dataclass(frozen=True)
class LightDeclines:
    """One clerk's sessions with a light step offered, and how many declined it (the page's `?no_lights=1`)."""

    clerk: str
    sessions: int
    declined: int

    @property
    def percent(self) -> int:
        return round(100 * self.declined / self.sessions) if self.sessions else 0


def light_declines_by_clerk(user: User, *, since: datetime) -> list[LightDeclines]:
    """Per clerk of the user's outlet, since ``since``: the sessions whose capture offered the light
    step (the policy was on) and those where an attempt declined it, from the audit of each attempt's
    start (`services.attempts.light_details`). Most declines first."""
    outlet = staff_outlet(user)
    if outlet is None:
        return []
    starts = AuditEvent.objects.filter(
        outlet=outlet,
        action=f"session.{SessionState.LIVENESS_RUNNING}",
        created_at__gte=since,
        details__has_key="no_lights",
    ).values_list("actor_label", "object_id", "details")
    sessions: dict[str, set[str]] = defaultdict(set)
    declined: dict[str, set[str]] = defaultdict(set)
    for clerk, session_id, details in starts:
        sessions[clerk].add(session_id)
        if details.get("no_lights") is True:
            declined[clerk].add(session_id)
    rows = [LightDeclines(clerk, len(ids), len(declined[clerk])) for clerk, ids in sessions.items()]
    return sorted(rows, key=lambda row: (-row.declined, -row.sessions, row.clerk))


def session_list(
    user: User,
    *,
    state: str | None = None,
    day: date | None = None,
    phone_number: str | None = None,
) -> QuerySet[VerificationSession]:
    sessions = sessions_visible_to(user)
    if state:
        sessions = sessions.filter(state=state)
    if day:
        sessions = sessions.filter(created_at__date=day)
    if phone_number:  # the stored spelling (E.164); a full-width or malformed number is refused
        sessions = sessions.filter(subscriber__phone_number=normalise_mainland_mobile(phone_number))
    return sessions.order_by("-created_at")


def consent_text_used(text: ConsentText) -> bool:
    """Whether a customer (or guardian) has agreed to this text: then it may never change."""
    return ConsentRecord.objects.filter(consent_text=text).exists()


def review_queue(user: User) -> QuerySet[VerificationSession]:
    """The cases of the user's outlet waiting for a supervisor, oldest first."""
    return sessions_visible_to(user).filter(state=SessionState.MANUAL_REVIEW).order_by("created_at", "pk")


def current_consent_text(kind: str, language: str) -> ConsentText | None:
    texts = ConsentText.objects.filter(kind=kind, is_current=True)
    return texts.filter(language=language).first() or texts.filter(language="zh-hans").first()


def consent_values(language: str, *, retention_hours: int | None = None) -> dict[str, str]:
    """What a consent text's placeholders say, from the effective policy and the settings, in `language`."""
    policy = effective_policy()
    lang = "en" if language.startswith("en") else "zh-hans"
    years = policy.identity_keep_days / 365
    hours = policy.evidence_retention_hours if retention_hours is None else retention_hours
    return {
        RETENTION_PLACEHOLDER: str(hours),
        REVIEW_DAYS_PLACEHOLDER: str(policy.review_close_after.days),
        IDENTITY_YEARS_PLACEHOLDER: f"{years:g}" if years == round(years) else f"{years:.1f}",
        LIGHT_PLACEHOLDER: LIGHT_STEP_SENTENCE[lang] if policy.light_challenge else "",
        CONTROLLER_PLACEHOLDER: settings.SHIMING_CONTROLLER_NAME or CONTROLLER_FALLBACK[lang],
        CONTACT_PLACEHOLDER: settings.SHIMING_CONTROLLER_CONTACT or CONTACT_FALLBACK[lang],
    }


def consent_text_body(text: ConsentText, *, retention_hours: int | None = None) -> str:
    """The body as shown to the customer: every placeholder rendered from the policy and settings."""
    body = text.body
    for placeholder, value in consent_values(text.language, retention_hours=retention_hours).items():
        body = body.replace(placeholder, value)
    return body


def has_document_portrait(session: VerificationSession) -> bool:
    """Whether the session's document photo is on file (its cropped portrait)."""
    return Evidence.objects.filter(session=session, kind=EvidenceKind.ID_PORTRAIT).exists()


def captures_awaiting_verdict() -> QuerySet[VerificationSession]:
    """Sessions whose capture attempt is stored (nonce spent, end time set) and not judged yet."""
    return VerificationSession.objects.filter(
        state=SessionState.LIVENESS_RUNNING, challenge_nonce="", liveness_finished_at__isnull=False
    )


def session_capture_stored(session_id: UUID | str) -> bool:
    """Whether the session's current attempt is stored and waits for its verdict."""
    return captures_awaiting_verdict().filter(pk=session_id).exists()


def evidence_of_kind(session: VerificationSession, kind: str) -> Evidence | None:
    """The session's one piece of evidence of `kind` (still encrypted), or None when there is none."""
    return Evidence.objects.filter(session=session, kind=kind).select_related("session__outlet").first()


def session_public_payload(session: VerificationSession) -> dict[str, Any]:
    """The one shape of a session for every reader: the API's answer, the page's initial state, the
    consumer's first message and every pushed update (no biometric data)."""
    return dict(SessionOutput(session).data)


def session_time_extended(session: VerificationSession) -> bool:
    """Whether the customer already had the one extension of the session's time."""
    return AuditEvent.objects.filter(action="session_time.extended", object_id=str(session.pk)).exists()
