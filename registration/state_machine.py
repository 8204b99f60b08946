"""The verification session's states and the only transitions allowed between them.

Every state change goes through `check_transition`; an illegal one raises `IllegalTransition`,
which the API returns as 409 with the reason.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import IllegalTransition


class SessionState(models.TextChoices):
    """The labels are the product's words, translated: the admin and the pages show the same names."""

    CREATED = "created", _("Created")
    CONSENTED = "consented", _("Consented")
    DOCUMENT_CAPTURED = "document_captured", _("Document captured")
    LIVENESS_RUNNING = "liveness_running", _("Live check running")
    LIVENESS_PASSED = "liveness_passed", _("Live check passed")
    LIVENESS_FAILED = "liveness_failed", _("Live check failed")
    MATCHING = "matching", _("Comparing faces")
    MANUAL_REVIEW = "manual_review", _("Manual review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


S = SessionState

FINAL_STATES = frozenset({S.APPROVED, S.REJECTED, S.EXPIRED, S.CANCELLED})
OPEN_STATES = frozenset(set(S) - FINAL_STATES)
# The steps at the tablet (the clerk's, then the customer's): these expire when the session's time is up.
CUSTOMER_STATES = frozenset({S.CREATED, S.DOCUMENT_CAPTURED, S.CONSENTED, S.LIVENESS_RUNNING, S.LIVENESS_FAILED})
# Waiting for the workers (the match after a passed verdict): closed when the policy's wait is over.
AWAITING_WORKERS = frozenset({S.LIVENESS_PASSED, S.MATCHING})
# Every open state is one of: the tablet's steps (they end with the session's time), the workers'
# wait, the manual review (both end by the policy: services.retention, docs/privacy.md).
# States from which the non-biometric alternative (a supervisor checks the document) can be asked: the
# consent screen and the capture, after the document photo the supervisor checks (an approval without
# one is refused anyway: `services.decisions`).
ALTERNATIVE_FROM = frozenset({S.DOCUMENT_CAPTURED, S.CONSENTED, S.LIVENESS_FAILED})

# The clerk's steps come first (the customer's data, the document photo), then one handover: the
# customer consents and does the live check. Nothing compares a face before `consented`.
_FORWARD: dict[str, frozenset[str]] = {
    S.CREATED: frozenset({S.DOCUMENT_CAPTURED}),
    # The clerk may retake the document photo until the customer consents.
    S.DOCUMENT_CAPTURED: frozenset({S.DOCUMENT_CAPTURED, S.CONSENTED}),
    # consented -> document_captured: only the first photo of a session opened when the consent came
    # first (consented without a photo): it continues in this order, the customer consents again.
    S.CONSENTED: frozenset({S.DOCUMENT_CAPTURED, S.LIVENESS_RUNNING}),
    # -> consented: the first attempt was interrupted (the page left, the connection broke), it does
    # not count (services.attempts.INTERRUPTIONS); a later one returns to liveness_failed.
    S.LIVENESS_RUNNING: frozenset({S.LIVENESS_PASSED, S.LIVENESS_FAILED, S.CONSENTED}),
    S.LIVENESS_PASSED: frozenset({S.MATCHING}),
    # A failed challenge may be retried while attempts remain, or ends the session.
    S.LIVENESS_FAILED: frozenset({S.LIVENESS_RUNNING, S.REJECTED}),
    S.MATCHING: frozenset({S.APPROVED, S.REJECTED, S.MANUAL_REVIEW}),
    S.MANUAL_REVIEW: frozenset({S.APPROVED, S.REJECTED}),
}

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    state: _FORWARD.get(state, frozenset())
    | (frozenset({S.MANUAL_REVIEW}) if state in ALTERNATIVE_FROM else frozenset())
    | (frozenset({S.EXPIRED, S.CANCELLED}) if state in OPEN_STATES else frozenset())
    for state in S
}


# Which actions the API, the admin and the capture socket may take in which state: the one table
# (docs/registration.md, "Session states"). The alternative is only for the steps before the match (a clerk must not
# pull a case being rejected to a person); a supervisor decides only a session in manual review.
# A document photo is "document" when the session has none yet and "retake" when it replaces one: a
# photo the customer consented on is never replaced. "document" in consented: a session opened when the
# consent came first has no photo yet.
ACTION_STATES: dict[str, frozenset[str]] = {
    "document": frozenset({S.CREATED, S.CONSENTED}),
    "retake": frozenset({S.DOCUMENT_CAPTURED}),
    "consent": frozenset({S.DOCUMENT_CAPTURED}),
    "alternative": ALTERNATIVE_FROM,
    "capture": frozenset({S.CONSENTED, S.LIVENESS_FAILED}),
    "cancel": OPEN_STATES,
    "decision": frozenset({S.MANUAL_REVIEW}),
}


def document_action(*, has_portrait: bool) -> str:
    """The action a document photo is: the first one, or a retake of the one on file."""
    return "retake" if has_portrait else "document"


def check_action(action: str, current: str) -> None:
    """Raise `IllegalTransition` unless `action` may be taken on a session that is `current`."""
    if not action_allowed(action, current):
        raise IllegalTransition(
            f"A session that is {current} does not allow {action}.",
            details={"from": current, "action": action},
        )


def action_allowed(action: str, current: str) -> bool:
    return current in ACTION_STATES[action]


def is_allowed(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS[SessionState(current)]


def check_transition(current: str, target: str) -> None:
    """Raise `IllegalTransition` unless `current -> target` is allowed."""
    if not is_allowed(current, target):
        raise IllegalTransition(
            f"A session that is {current} cannot become {target}.",
            details={"from": current, "to": target},
        )
