"""The audit log in words: its actions, the keys of its details and their values, in the reader's
language (the admin's list and pages, and an event's name, read them from here).

An action is `object.verb`; a session's verbs are its states, named by the states' own labels.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .state_machine import SessionState

BOOLEAN_WORDS = {True: _("yes"), False: _("no"), None: _("unknown")}

# The audit log's actions in words: `object.verb`, a session's verbs being its states.
AUDIT_ACTIONS = {
    "session.created": _("Registration opened"),
    "session.document_captured": _("Document photo stored"),
    "session.review_escalated": _("Review escalated"),
    "capture.finished": _("Capture attempt ended"),
    "capture.interrupted": _("Capture attempt interrupted (not counted)"),
    "document.number_viewed": _("Full document number viewed"),
    "capture.verdict_requeued": _("Verdict sent to the workers again"),
    "match.discarded": _("Face match discarded"),
    "evidence.viewed": _("Evidence viewed"),
    "evidence.purged": _("Evidence purged"),
    "evidence.key_rotated": _("Evidence key rotated"),
    "policy.updated": _("Policy changed"),
    "consent_text.published": _("Consent text published"),
    "consent_text.changed": _("Consent text changed"),
    "chip_read.requested": _("Chip read requested"),
    "chip_read.accepted": _("Chip read accepted"),
    "chip_read.refused": _("Chip read refused"),
    "card_reader.enrolled": _("Card reader enrolled"),
    "card_reader.revoked": _("Card reader revoked"),
    "impact_assessment.recorded": _("Impact assessment recorded"),
    "customer_mode.started": _("Tablet handed to the customer"),
    "customer_mode.ended": _("Clerk took the tablet back"),
    "customer_mode.return_refused": _("Wrong password to take the tablet back"),
    "session_time.extended": _("More time given to read the consent"),
    "calibration.recorded": _("Calibration run recorded"),
    "filing.threshold_crossed": _("Filing threshold crossed"),
    "subscriber.service_ended": _("Service ended"),
}
# The keys of an event's details, in words (a key without words is shown as it is written).
AUDIT_DETAIL_KEYS = {
    "from": _("from"),
    "to": _("to"),
    "language": _("language"),
    "consent_version": _("consent version"),
    "reason": _("reason"),
    "reasons": _("reasons"),
    "version": _("version"),
    "kind": _("kind"),
    "distance": _("face score"),
    "decision": _("decision"),
    "purpose": _("purpose"),
    "source": _("source"),
    "document_type": _("document type"),
    "non_biometric": _("checked by hand"),
    "attempt": _("attempt"),
    "outlets": _("outlets"),
    "name": _("name"),
    "changes": _("changes"),
    "seconds": _("seconds added"),
}


def audit_action_label(action: str) -> str:
    """An audit action in words; a session's move to a state is named by the state."""
    if action in AUDIT_ACTIONS:
        return str(AUDIT_ACTIONS[action])
    subject, _dot, verb = action.partition(".")
    if subject == "session" and verb in SessionState.values:
        return gettext("Session: %(state)s") % {"state": SessionState(verb).label}
    return action


def audit_value(value: Any) -> str:
    """One detail's value as a person reads it: states, languages and yes/no in words."""
    if isinstance(value, bool):
        return str(BOOLEAN_WORDS[value])
    if isinstance(value, str):
        if value in SessionState.values:
            return str(SessionState(value).label)
        languages = dict(settings.LANGUAGES)
        if value in languages:
            return str(languages[value])
        return value
    if isinstance(value, list):
        return ", ".join(audit_value(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{audit_key(key)}: {audit_value(item)}" for key, item in value.items())
    return str(value)


def audit_key(key: str) -> str:
    return str(AUDIT_DETAIL_KEYS.get(key, key))


def audit_details_html(details: dict[str, Any]) -> SafeString:
    rows = [format_html("<dt>{}</dt><dd>{}</dd>", audit_key(key), audit_value(value)) for key, value in details.items()]
    return format_html("<dl>{}</dl>", format_html("".join(["{}"] * len(rows)), *rows)) if rows else format_html("-")
