"""Opening a registration: the subscriber, the session, and the real-name limits."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from liveness import ChallengePlan, draw_plan
from registration import crypto
from registration.audit import audit
from registration.documents import (
    DocumentType,
    IdentitySource,
    ValidatedDocument,
    age_on,
    mask_number,
    normalise_mainland_mobile,
    require_birth_date,
    validate_document,
)
from registration.errors import Conflict, Forbidden, InvalidInput
from registration.liveness_settings import liveness_config
from registration.models import (
    ChipRegistration,
    IdentityDocument,
    Outlet,
    Subscriber,
    SubscriberStatus,
    VerificationSession,
)
from registration.roles import CLERK, SUPERVISOR
from registration.selectors import identities_of_number, staff_outlet
from registration.verification_policy import effective_policy

from .transitions import User, notify_on_commit, require_role, today

HIDDEN_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs", "Cn"})
"""Characters a name never holds: format (bidi overrides, zero-width joiners and spaces), controls,
private-use, surrogates and unassigned ones. They make two names that look the same differ, or
one name display as another."""


def new_challenge_plan(*, previous: list[str] | None, light: bool = False, no_lights: bool = False) -> list[str]:
    """The new session's challenge plan, from the configured drawer (the random one, except in tests)."""
    drawer: Callable[..., list[str]] = import_string(settings.SHIMING_CHALLENGE_PLAN_DRAWER)
    return list(drawer(previous=previous, light=light, no_lights=no_lights))


def random_challenge_plan(*, previous: list[str] | None, light: bool = False, no_lights: bool = False) -> list[str]:
    """A random challenge plan, never the same as the clerk's previous one. With the light policy
    on (`light`): one screen-light step more, or, for a customer who asked to do without the
    lights (`no_lights`), `no_lights_extra_steps` more actions instead."""
    last = ChallengePlan.parse(previous) if previous else None
    config = liveness_config(light=light)
    extra = config.light.no_lights_extra_steps if light and no_lights else 0
    plan = draw_plan(
        random.SystemRandom(), step_count=config.step_count + extra, previous=last, light=light and not no_lights
    )
    return plan.codes()


def registration_create(
    *,
    clerk: User,
    full_name: str,
    document_type: str,
    document_number: str,
    phone_number: str,
    birth_date: date | None = None,
    chip_registration: UUID | None = None,
) -> VerificationSession:
    """Open a registration from what the clerk typed: a pending subscriber and a new verification
    session at the clerk's outlet. A PRC card's data is read from its chip (``chip_reads``); typed,
    it is never approved automatically (``judgement``). ``chip_registration`` names the chip read
    that found the card's chip unreadable: the supervisor then sees that reason."""
    require_role(clerk, CLERK, SUPERVISOR)
    outlet = clerk_outlet(clerk)
    full_name = checked_full_name(full_name)
    document = validate_document(document_type, document_number, today=today(), birth_date=birth_date)
    require_birth_date(document)
    unread = _chip_unread(chip_registration, outlet) if document.document_type == DocumentType.PRC_ID_CARD else None
    return registration_open(
        clerk=clerk,
        outlet=outlet,
        full_name=full_name,
        document=document,
        phone_number=normalise_mainland_mobile(phone_number),
        identity_source=IdentitySource.TYPED,
        unbound_reason="chip_unreadable" if unread else "",
        details={"chip_unreadable": unread.reader_reason} if unread else {},
    )


def clerk_outlet(clerk: User) -> Outlet:
    outlet = staff_outlet(clerk)
    if outlet is None:
        raise Forbidden("Your account is not attached to an outlet.", code="no_outlet")
    return outlet


def checked_full_name(full_name: str) -> str:
    """The name with its spaces collapsed; refused when empty or holding hidden characters."""
    full_name = " ".join(full_name.split())
    if not full_name:
        raise InvalidInput("The full name is required.", code="full_name")
    if any(unicodedata.category(character) in HIDDEN_CATEGORIES for character in full_name):
        raise InvalidInput(
            "The full name holds invisible or direction-changing characters: type it again.", code="full_name"
        )
    return full_name


def _chip_unread(request_id: UUID | None, outlet: Outlet) -> ChipRegistration | None:
    if request_id is None:
        return None
    unread = ChipRegistration.objects.filter(pk=request_id, outlet=outlet, outcome="chip_unreadable").first()
    if unread is None:
        raise InvalidInput("No chip read at this outlet found this card's chip unreadable.", code="chip_registration")
    return unread


def registration_open(
    *,
    clerk: User,
    outlet: Outlet,
    full_name: str,
    document: ValidatedDocument,
    phone_number: str,
    identity_source: str,
    session_id: UUID | None = None,
    unbound_reason: str = "",
    details: dict[str, Any] | None = None,
) -> VerificationSession:
    """The subscriber and session of a checked identity, under the identity's lock and the real-name
    limits; ``session_id`` is the id a chip read was signed for (``chip_reads``)."""
    clerk_id = require_role(clerk, CLERK, SUPERVISOR)
    number_hash = crypto.id_number_hash(document.document_type, document.number)
    with transaction.atomic():
        identity = _identity_document_locked(document.document_type, document.number, number_hash, document.birth_date)
        check_activation_limits(identity=identity, phone_number=phone_number)
        subscriber = Subscriber.objects.create(
            full_name=full_name,
            document=identity,
            phone_number=phone_number,
            outlet=outlet,
            document_type=document.document_type,
            document_issue_count=document.issue_count,
            identity_source=identity_source,
        )
        # No challenge plan yet: it is drawn per attempt when the capture starts (capture_start), so
        # opening sessions again and again shows nothing of a plan to fit footage to.
        session = VerificationSession.objects.create(
            **({"pk": session_id} if session_id else {}),
            subscriber=subscriber,
            outlet=outlet,
            clerk_id=clerk_id,
            reference_unbound_reason=unbound_reason,
            expires_at=timezone.now() + timedelta(seconds=effective_policy().session_ttl_seconds),
        )
        audit(
            actor=clerk,
            action="session.created",
            target=session,
            outlet=outlet,
            details={"document_type": document.document_type, "identity_source": identity_source, **(details or {})},
        )
        notify_on_commit(session)
    return session


def _identity_document_locked(
    document_type: str, number: str, number_hash: str, birth_date: date | None
) -> IdentityDocument:
    """Get or create the document's row and lock it, so the per-ID limit holds under concurrency.

    One number is one identity whatever type it was typed under (a permit's number typed as a
    passport finds the permit's row): the lookup covers every type, under a transaction-scoped
    advisory lock on the number so two registrations of it under different types cannot both create."""
    _lock_number(number)
    held = _identity_under_any_type(number)
    if held is not None:
        return _same_birth_date(held, birth_date)
    key_id, ciphertext = crypto.encrypt(number.encode(), associated_data=f"id:{document_type}".encode())
    try:
        with transaction.atomic():
            IdentityDocument.objects.get_or_create(
                document_type=document_type,
                number_hash=number_hash,
                defaults={
                    "number_encrypted": ciphertext,
                    "number_key_id": key_id,
                    "number_masked": mask_number(number),
                    "birth_date": birth_date,
                },
            )
    except IntegrityError:
        pass  # created concurrently by another registration: lock that one below
    identity = IdentityDocument.objects.select_for_update().get(document_type=document_type, number_hash=number_hash)
    return _same_birth_date(identity, birth_date)


def _same_birth_date(identity: IdentityDocument, birth_date: date | None) -> IdentityDocument:
    """One identity has one date of birth: a registration giving another one is refused (a typo, or
    another person's number); an identity stored without one takes it."""
    if birth_date is None:
        return identity
    if identity.birth_date is None:
        identity.birth_date = birth_date
        identity.save(update_fields=["birth_date"])
    elif identity.birth_date != birth_date:
        raise Conflict(
            "The date of birth differs from the one this identity document was registered with: "
            "check it on the document.",
            code="birth_date_mismatch",
        )
    return identity


def _lock_number(number: str) -> None:
    """PostgreSQL's transaction advisory lock on the number. The embedded default's SQLite has no
    such function and needs none: it lets one writer at a time hold the database."""
    if connection.vendor != "postgresql":
        return
    key = int(crypto.id_number_hash("number", number)[:15], 16)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _identity_under_any_type(number: str) -> IdentityDocument | None:
    return identities_of_number(number).select_for_update().first()


def check_activation_limits(*, identity: IdentityDocument, phone_number: str) -> None:
    """The real-name rules; the caller holds the identity document's row lock."""
    active = Subscriber.objects.filter(document=identity, status=SubscriberStatus.ACTIVE)
    limit = effective_policy().max_active_numbers_per_id
    if active.count() >= limit:
        raise Conflict(f"This identity document already holds {limit} active numbers.", code="id_limit_reached")
    if Subscriber.objects.filter(phone_number=phone_number, status=SubscriberStatus.ACTIVE).exists():
        raise Conflict("This phone number is already registered to an active subscriber.", code="phone_in_use")


def subscriber_age(subscriber: Subscriber) -> int | None:
    birth_date = subscriber.document.birth_date
    return age_on(birth_date, today()) if birth_date else None


def needs_guardian_consent(subscriber: Subscriber) -> bool:
    age = subscriber_age(subscriber)
    return age is not None and age < settings.SHIMING_GUARDIAN_CONSENT_UNDER_AGE
