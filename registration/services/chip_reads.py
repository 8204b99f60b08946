"""Chip reads from an outlet's enrolled card readers (``reader_protocol``): the nonce a clerk's page
asks for, the reader agent's poll, and the signed read that binds the session's reference.

Every read a reader sends is recorded (``ChipRead``, accepted or refused with the reason) and
audited with the reader's id; a refused read changes nothing else.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from registration.audit import audit
from registration.documents import (
    DocumentType,
    IdentitySource,
    ValidatedDocument,
    mask_number,
    normalise_mainland_mobile,
    validate_document,
)
from registration.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from registration.images import decode_upload
from registration.models import CardReader, ChipRead, ChipRegistration, Outlet, VerificationSession
from registration.reader_protocol import (
    POLL_CLOCK_SKEW,
    POLL_PROTOCOL,
    READ_FIELDS,
    READ_PROTOCOL,
    portrait_digest,
    verify,
)
from registration.roles import CLERK, SUPERVISOR
from registration.selectors import has_document_portrait
from registration.state_machine import check_action, document_action

from .documents import Binding, document_portrait, portrait_store, typed_identity
from .registrations import checked_full_name, clerk_outlet, registration_open
from .transitions import User, require_role, session_lock, session_open

CHIP_NONCE_SECONDS = 120


def chip_read_request(*, session_id: UUID | str, actor: User) -> dict[str, Any]:
    """Open a chip read for the session: a fresh single-use nonce the outlet's reader agent will sign."""
    session_open(session_id)
    with transaction.atomic():
        session = session_lock(session_id)
        check_action(document_action(has_portrait=has_document_portrait(session)), session.state)
        session.chip_nonce = secrets.token_urlsafe(32)
        session.chip_nonce_expires_at = timezone.now() + timedelta(seconds=CHIP_NONCE_SECONDS)
        session.save(update_fields=["chip_nonce", "chip_nonce_expires_at", "updated_at"])
        audit(actor=actor, action="chip_read.requested", target=session, outlet=session.outlet)
    return {"session_id": str(session.pk), "expires_at": session.chip_nonce_expires_at.isoformat()}


def chip_registration_request(*, clerk: User, phone_number: str) -> dict[str, Any]:
    """Open a registration by the card's chip (a PRC card's normal path): a fresh single-use nonce for
    the outlet's reader agent, and the id the session the read opens will take. The clerk types only
    the phone number; the signed read fills the name, number and date of birth (``chip_read_submit``)."""
    clerk_id = require_role(clerk, CLERK, SUPERVISOR)
    outlet = clerk_outlet(clerk)
    phone = normalise_mainland_mobile(phone_number)
    with transaction.atomic():
        request = ChipRegistration.objects.create(
            outlet=outlet,
            clerk_id=clerk_id,
            phone_number=phone,
            nonce=secrets.token_urlsafe(32),
            expires_at=timezone.now() + timedelta(seconds=CHIP_NONCE_SECONDS),
        )
        audit(actor=clerk, action="chip_read.requested", target=request, outlet=outlet, details={"registration": True})
    return chip_registration_payload(request)


def chip_registration_payload(request: ChipRegistration) -> dict[str, Any]:
    """What the registration page polls: the request's outcome, and once the read opened the session,
    what the chip filled in (the number masked), for the clerk to see, never to type."""
    payload: dict[str, Any] = {
        "id": str(request.pk),
        "expires_at": request.expires_at.isoformat(),
        "outcome": request.outcome,
        "session_id": None,
    }
    session = VerificationSession.objects.select_related("subscriber__document").filter(pk=request.pk).first()
    if request.outcome == "registered" and session is not None:
        identity = session.subscriber.document
        payload["session_id"] = str(session.pk)
        payload["chip"] = {
            "full_name": session.subscriber.full_name,
            "document_type": session.subscriber.document_type,
            "document_number_masked": identity.number_masked,
            "birth_date": identity.birth_date.isoformat() if identity.birth_date else None,
        }
    return payload


def chip_registration_get(*, clerk: User, request_id: UUID | str) -> dict[str, Any]:
    """The request as the registration page polls it: only at the clerk's own outlet."""
    request = ChipRegistration.objects.filter(pk=request_id, outlet=clerk_outlet(clerk)).first()
    if request is None:
        raise NotFound("No such chip read at your outlet.", code="not_found")
    return chip_registration_payload(request)


def reader_pending_reads(*, poll: dict[str, Any], signature: str, now: datetime | None = None) -> list[dict[str, str]]:
    """The chip reads open at a signed poll's reader's outlet: session id, nonce, document type (a
    registration's request names the PRC card, whose chip a second-generation reader reads)."""
    now = now or timezone.now()
    reader = _enrolled_reader(poll.get("reader_id"), poll, signature, protocol=POLL_PROTOCOL)
    sent = poll.get("time")
    if not isinstance(sent, int | float) or abs(now.timestamp() - sent) > POLL_CLOCK_SKEW:
        raise Forbidden("The reader's clock is off, or the poll is a replay.", code="reader_poll_stale")
    sessions = VerificationSession.objects.filter(
        outlet_id=reader.outlet_id, chip_nonce__gt="", chip_nonce_expires_at__gt=now
    ).select_related("subscriber__document")
    registrations = ChipRegistration.objects.filter(
        outlet_id=reader.outlet_id, outcome="", nonce__gt="", expires_at__gt=now
    ).order_by("created_at")
    return [
        {"session_id": str(s.pk), "nonce": s.chip_nonce, "document_type": s.subscriber.document.document_type}
        for s in sessions
    ] + [{"session_id": str(r.pk), "nonce": r.nonce, "document_type": DocumentType.PRC_ID_CARD} for r in registrations]


def chip_read_submit(*, read: dict[str, Any], portrait_b64: str, signature: str) -> VerificationSession:
    """Accept a signed chip read for its session, or refuse it; either way it is recorded and audited.

    Refused: unknown reader, bad signature, revoked reader, a reader of another outlet, a nonce not
    issued for that session (or expired, or used: a replay), a portrait that is not the one signed,
    and an identity that differs from the typed one. A read whose status is ``unreadable`` (the
    card's chip could not be read) is recorded and leaves the session for a supervisor.

    A read that answers a registration request (``chip_registration_request``) opens the
    registration from the chip's name, number and date of birth, bound by the chip.
    """
    reader: CardReader | None = None
    try:
        reader = _enrolled_reader(read.get("reader_id"), read, signature, protocol=READ_PROTOCOL)
        target = _registration_of(read, reader) or _session_of(read, reader)
    except DomainError as exc:
        _record(reader, None, read, accepted=False, reason=exc.code)
        raise
    if isinstance(target, ChipRegistration):
        return _chip_registration_read(target, reader, read, portrait_b64)
    return _chip_session_read(target, reader, read, portrait_b64)


def _chip_session_read(
    session: VerificationSession, reader: CardReader, read: dict[str, Any], portrait_b64: str
) -> VerificationSession:
    """A verified read for a session opened from typed data: it binds the portrait if the chip holds
    the typed identity."""
    try:
        portrait = _portrait_bytes(read, portrait_b64)
        if read.get("status") != "read":
            _chip_unreadable(session, reader, read)
            raise Conflict("The card's chip could not be read: a supervisor will check.", code="chip_unreadable")
        _check_identity(read, session)
        return _chip_read_accept(session, reader, read, portrait)
    except DomainError as exc:
        if exc.code != "chip_unreadable":
            _record(reader, session, read, accepted=False, reason=exc.code)
        raise


def _registration_of(read: dict[str, Any], reader: CardReader) -> ChipRegistration | None:
    """The registration request the read answers, checked as ``_session_of`` checks a session's; None
    when the read names no registration request (it names a session)."""
    if set(read) != READ_FIELDS:
        raise InvalidInput("The chip read's fields are not the protocol's.", code="reader_protocol")
    try:
        request = ChipRegistration.objects.filter(pk=UUID(str(read["session_id"]))).first()
    except ValueError as exc:
        raise Forbidden("No such session for this reader.", code="chip_session_unknown") from exc
    if request is None:
        return None
    if request.outlet_id != reader.outlet_id:
        raise Forbidden("This card reader belongs to another outlet.", code="reader_other_outlet")
    fresh = request.expires_at > timezone.now() and not request.outcome
    if not request.nonce or not fresh or not secrets.compare_digest(request.nonce, str(read["nonce"])):
        raise Forbidden(
            "This chip read is not for an open request of this session (replayed?).", code="chip_nonce_invalid"
        )
    return request


def _chip_registration_read(
    request: ChipRegistration, reader: CardReader, read: dict[str, Any], portrait_b64: str
) -> VerificationSession:
    """A verified read for a registration request opens the registration from the chip's identity, or
    closes the request with why not (the page shows it); either way it is recorded and audited."""
    try:
        portrait = _portrait_bytes(read, portrait_b64)
        if read.get("status") != "read":
            raise Conflict("The card's chip could not be read: a supervisor will check.", code="chip_unreadable")
        document, full_name = _chip_identity(read)
        image = decode_upload(portrait)
        found, quality = document_portrait(image.bgr)
        with transaction.atomic():
            locked = _registration_lock(request, read)
            session = registration_open(
                clerk=locked.clerk,
                outlet=locked.outlet,
                full_name=full_name,
                document=document,
                phone_number=locked.phone_number,
                identity_source=IdentitySource.CHIP,
                session_id=locked.pk,
                details={"reader_id": str(reader.pk)},
            )
            details = {"source": "chip", "reader_id": str(reader.pk)}
            binding = Binding("chip", "", {})
            portrait_store(session, actor=None, portrait=found, quality=quality, binding=binding, details=details)
            _registration_close(locked, "registered")
            _record(reader, session, read, accepted=True, reason="")
        return session
    except DomainError as exc:
        _registration_refused(request, read, exc.code)
        _record(reader, None, read, accepted=False, reason=exc.code)
        raise


def _registration_refused(request: ChipRegistration, read: dict[str, Any], code: str) -> None:
    """Close the request with why (a concurrent read that used it first keeps its own outcome)."""
    with transaction.atomic():
        try:
            locked = _registration_lock(request, read)
        except Forbidden:
            return
        _registration_close(locked, code, str(read.get("reason", "")))


def _registration_lock(request: ChipRegistration, read: dict[str, Any]) -> ChipRegistration:
    locked = ChipRegistration.objects.select_for_update().select_related("clerk", "outlet").get(pk=request.pk)
    if locked.outcome or locked.nonce != read["nonce"]:  # used by a concurrent read of the same request
        raise Forbidden("This chip read's request was already used.", code="chip_nonce_invalid")
    return locked


def _registration_close(request: ChipRegistration, outcome: str, reader_reason: str = "") -> None:
    """The request is answered: its nonce is spent and the phone number it held is let go."""
    request.outcome, request.reader_reason = outcome, reader_reason[:60]
    request.nonce, request.phone_number = "", ""
    request.save(update_fields=["outcome", "reader_reason", "nonce", "phone_number"])


def _enrolled_reader(reader_id: Any, message: dict[str, Any], signature: str, *, protocol: str) -> CardReader:
    if message.get("protocol") != protocol:
        raise InvalidInput("Not a message of the card-reader protocol.", code="reader_protocol")
    try:
        reader = CardReader.objects.select_related("outlet").get(pk=UUID(str(reader_id)))
    except (ValueError, CardReader.DoesNotExist) as exc:
        raise Forbidden("This card reader is not enrolled.", code="reader_unknown") from exc
    if not verify(reader.public_key, message, signature):
        raise Forbidden("The card reader's signature does not verify.", code="reader_signature_invalid")
    if reader.revoked_at is not None:
        raise Forbidden("This card reader has been revoked.", code="reader_revoked")
    return reader


def _session_of(read: dict[str, Any], reader: CardReader) -> VerificationSession:
    if set(read) != READ_FIELDS:
        raise InvalidInput("The chip read's fields are not the protocol's.", code="reader_protocol")
    try:
        session = VerificationSession.objects.get(pk=UUID(str(read["session_id"])))
    except (ValueError, VerificationSession.DoesNotExist) as exc:
        raise Forbidden("No such session for this reader.", code="chip_session_unknown") from exc
    if session.outlet_id != reader.outlet_id:
        raise Forbidden("This card reader belongs to another outlet.", code="reader_other_outlet")
    expires = session.chip_nonce_expires_at
    fresh = expires is not None and expires > timezone.now()
    if not session.chip_nonce or not fresh or not secrets.compare_digest(session.chip_nonce, str(read["nonce"])):
        raise Forbidden(
            "This chip read is not for an open request of this session (replayed?).", code="chip_nonce_invalid"
        )
    return session


def _portrait_bytes(read: dict[str, Any], portrait_b64: str) -> bytes:
    try:
        portrait = base64.b64decode(portrait_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("The chip portrait is not base64.", code="chip_portrait") from exc
    if read.get("status") == "read" and portrait_digest(portrait) != read.get("portrait_sha256"):
        raise Forbidden("The chip portrait is not the one the reader signed.", code="chip_portrait_mismatch")
    return portrait


def _chip_identity(read: dict[str, Any]) -> tuple[ValidatedDocument, str]:
    """The chip's document (its date of birth the one the number carries, if it carries one) and name."""
    try:
        chip_birth = date.fromisoformat(str(read["birth_date"]))
        chip = validate_document(
            str(read["document_type"]), str(read["document_number"]), today=timezone.localdate(), birth_date=chip_birth
        )
        if chip.birth_date != chip_birth:
            raise ValueError("the chip's date of birth is not the one its number carries")
        full_name = checked_full_name(str(read["full_name"]))
    except (ValueError, InvalidInput) as exc:
        raise InvalidInput("The chip read's document fields are not valid.", code="chip_fields_invalid") from exc
    return chip, full_name


def _check_identity(read: dict[str, Any], session: VerificationSession) -> None:
    """The chip's identity is the typed one: type, number, date of birth and name."""
    typed = typed_identity(session.pk)
    chip, full_name = _chip_identity(read)
    same = (
        chip.document_type == typed.document_type
        and chip.number == typed.number
        and chip.birth_date == typed.birth_date
        and full_name == typed.full_name
    )
    if not same:
        raise Conflict("The card's chip holds another identity than the one typed.", code="chip_identity_mismatch")


def _chip_read_accept(
    session: VerificationSession, reader: CardReader, read: dict[str, Any], portrait: bytes
) -> VerificationSession:
    image = decode_upload(portrait)
    found, quality = document_portrait(image.bgr)
    session_open(session.pk)
    with transaction.atomic():
        locked = session_lock(session.pk)
        check_action(document_action(has_portrait=has_document_portrait(locked)), locked.state)
        if locked.chip_nonce != read["nonce"]:  # used by a concurrent read of the same request
            raise Forbidden("This chip read's request was already used.", code="chip_nonce_invalid")
        locked.chip_nonce, locked.chip_nonce_expires_at = "", None
        details = {"source": "chip", "reader_id": str(reader.pk)}
        portrait_store(
            locked, actor=None, portrait=found, quality=quality, binding=Binding("chip", "", {}), details=details
        )
        _record(reader, locked, read, accepted=True, reason="")
    return locked


def _chip_unreadable(session: VerificationSession, reader: CardReader, read: dict[str, Any]) -> None:
    """The reader could not read the card's chip: recorded, and the session keeps why it is unbound."""
    with transaction.atomic():
        locked = session_lock(session.pk)
        locked.chip_nonce, locked.chip_nonce_expires_at = "", None
        locked.reference_unbound_reason = "chip_unreadable"
        locked.save(update_fields=["chip_nonce", "chip_nonce_expires_at", "reference_unbound_reason", "updated_at"])
        _record(reader, locked, read, accepted=False, reason="chip_unreadable")


def _record(
    reader: CardReader | None, session: VerificationSession | None, read: dict[str, Any], *, accepted: bool, reason: str
) -> None:
    """The read's row and audit event, in their own transaction (a refusal still leaves its trace)."""
    number = str(read.get("document_number", ""))
    outlet: Outlet | None = reader.outlet if reader else None
    with transaction.atomic():
        ChipRead.objects.create(
            reader=reader,
            session=session,
            accepted=accepted,
            refusal_reason=reason,
            document_type=str(read.get("document_type", ""))[:32],
            number_masked=mask_number(number)[:32] if number else "",
        )
        audit(
            actor=None,
            action="chip_read.accepted" if accepted else "chip_read.refused",
            object_type="registration.verificationsession",
            object_id=str(session.pk) if session else str(read.get("session_id", ""))[:64],
            outlet=outlet,
            details={
                "reader_id": str(reader.pk) if reader else str(read.get("reader_id", ""))[:64],
                "reason": reason,
                "reader_reason": str(read.get("reason", ""))[:60],
            },
        )
