"""The outlets' card readers: enrolled by the public key their agent printed, revoked, both audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from registration.audit import audit
from registration.errors import InvalidInput
from registration.models import CardReader, Outlet
from registration.reader_protocol import valid_public_key

from .transitions import User


def card_reader_enroll(*, actor: User, outlet: Outlet, name: str, public_key: str) -> CardReader:
    """Enrol an outlet's reader by the public key its agent printed (``reader_agent keygen``), audited."""
    key = public_key.strip().lower()
    if not valid_public_key(key):
        raise InvalidInput("The public key is 64 hexadecimal characters (Ed25519).", code="reader_key")
    with transaction.atomic():
        reader = CardReader.objects.create(outlet=outlet, name=name.strip()[:100], public_key=key)
        audit(actor=actor, action="card_reader.enrolled", target=reader, outlet=outlet, details={"name": reader.name})
    return reader


def card_reader_revoke(*, actor: User, reader: CardReader) -> None:
    """Revoke a reader: its reads are refused from now on (audited; the row stays for the record)."""
    with transaction.atomic():
        locked = CardReader.objects.select_for_update().get(pk=reader.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit(actor=actor, action="card_reader.revoked", target=locked, outlet=locked.outlet)
