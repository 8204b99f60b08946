"""A picture of everything the product writes, to prove a refused request wrote nothing."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from registration.models import (
    AuditEvent,
    ConsentRecord,
    Evidence,
    IdentityDocument,
    Subscriber,
    VerificationPolicy,
    VerificationSession,
)

WRITTEN_MODELS = (
    AuditEvent,
    ConsentRecord,
    Evidence,
    IdentityDocument,
    Subscriber,
    VerificationPolicy,
    VerificationSession,
    Token,
)


def database_snapshot() -> dict[str, Any]:
    """Row counts of every model the product writes, and each session's and subscriber's mutable fields."""
    snapshot: dict[str, Any] = {model._meta.label: model.objects.count() for model in WRITTEN_MODELS}
    snapshot["sessions"] = sorted(
        (str(pk), state, attempts, str(updated))
        for pk, state, attempts, updated in VerificationSession.objects.values_list(
            "pk", "state", "attempt_count", "updated_at"
        )
    )
    snapshot["subscribers"] = sorted(Subscriber.objects.values_list("pk", "status", "full_name", "phone_number"))
    snapshot["evidence"] = sorted(Evidence.objects.values_list("pk", "key_id"))
    snapshot["users"] = get_user_model().objects.count()
    return snapshot


def failed_logins() -> int:
    return sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
