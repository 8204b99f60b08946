"""The session states as the pages name them, in the page's language.

The model's choices keep English labels for the admin and the API; the pages translate here.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from registration.state_machine import SessionState

S = SessionState

STATE_LABELS = {
    S.CREATED: gettext_noop("Created"),
    S.CONSENTED: gettext_noop("Consented"),
    S.DOCUMENT_CAPTURED: gettext_noop("Document captured"),
    S.LIVENESS_RUNNING: gettext_noop("Live check running"),
    S.LIVENESS_PASSED: gettext_noop("Live check passed"),
    S.LIVENESS_FAILED: gettext_noop("Live check failed"),
    S.MATCHING: gettext_noop("Comparing faces"),
    S.MANUAL_REVIEW: gettext_noop("Manual review"),
    S.APPROVED: gettext_noop("Approved"),
    S.REJECTED: gettext_noop("Rejected"),
    S.EXPIRED: gettext_noop("Expired"),
    S.CANCELLED: gettext_noop("Cancelled"),
}


def state_label(state: str) -> str:
    label = STATE_LABELS.get(S(state)) if state in S.values else None
    return gettext(label) if label else state


def state_labels() -> dict[str, str]:
    """Every state's label in the active language (for the pages' scripts)."""
    return {str(state.value): state_label(state) for state in S}
