"""Opening a registration: ID numbers are stored encrypted with a keyed hash, a limit hit writes
nothing, and a document whose number does not carry the date of birth needs it given (refused
with a clear code, nothing written; with the date it opens)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from registration import crypto
from registration.errors import Conflict
from registration.models import AuditEvent, IdentityDocument, Subscriber, VerificationSession
from tests.factories import make_phone
from tests.processes import run_python


@pytest.mark.django_db
def test_id_numbers_are_stored_encrypted_with_a_keyed_hash(
    make_session: Callable[..., VerificationSession], registration_input: Callable[..., dict[str, Any]]
) -> None:
    data = registration_input()
    session = make_session(document_number=data["document_number"])
    document = IdentityDocument.objects.get(pk=session.subscriber.document_id)
    assert data["document_number"].encode() not in bytes(document.number_encrypted)
    assert document.number_hash == crypto.id_number_hash("prc_id", data["document_number"])
    assert data["document_number"] not in document.number_hash


@pytest.mark.django_db
def test_nothing_half_written_when_the_limit_is_hit(
    make_session: Callable[..., VerificationSession],
    registration_input: Callable[..., dict[str, Any]],
    clerk: Any,
    settings: Any,
) -> None:
    settings.SHIMING_MAX_ACTIVE_NUMBERS_PER_ID = 0
    with pytest.raises(Conflict):
        make_session()
    assert VerificationSession.objects.count() == 0
    assert IdentityDocument.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document_type", "number"),
    [("passport", "E12345678"), ("hk_macao_permit", "H12345678"), ("taiwan_permit", "12345678")],
)
def test_a_document_without_a_birth_date_in_its_number_needs_one(clerk: Any, document_type: str, number: str) -> None:
    client = APIClient()
    client.force_authenticate(clerk)
    body = {
        "full_name": "Jane Doe",
        "document_type": document_type,
        "document_number": number,
        "phone_number": make_phone(),
    }

    refused = client.post("/api/sessions/", body, format="json")
    opened = client.post("/api/sessions/", {**body, "birth_date": "1990-05-04"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "birth_date_required"
    assert opened.status_code == 201, opened.json()
    assert Subscriber.objects.get().document.birth_date == date(1990, 5, 4)


def test_the_embedded_default_registers_without_postgresql_locks() -> None:
    """`make run` runs on SQLite, which has no pg_advisory_xact_lock: the number's lock is taken on
    PostgreSQL only (before, every registration of the embedded default failed on it)."""
    code = (
        "import django; django.setup()\n"
        "from django.db import connection, transaction\n"
        "from registration.services.registrations import _lock_number\n"
        "with transaction.atomic():\n"
        "    _lock_number('110101199003074514')\n"
        "print(connection.vendor, 'locked')\n"
    )
    result = run_python(code, {"DJANGO_SETTINGS_MODULE": "config.settings.local"})

    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["sqlite", "locked"]
