"""The audit log is append-only in the database itself: an update or a delete of an event is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import DatabaseError, transaction

from registration.models import AuditEvent, VerificationSession


@pytest.mark.django_db
def test_audit_log_is_append_only_in_the_database(make_session: Callable[..., VerificationSession]) -> None:
    session = make_session()
    event = AuditEvent.objects.get(object_id=str(session.pk), action="session.created")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="session.forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "session.created"
