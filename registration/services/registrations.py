"""Opening a registration: the subscriber, the session, and the real-name limits."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from liveness import ChallengePlan, draw_plan
from registration import crypto
from registration.audit import audit
from registration.documents import (
    DocumentType,
    age_on,
    mask_number,
    normalise_mainland_mobile,
    require_birth_date,
    validate_document,
)
from registration.errors import Conflict, Forbidden, InvalidInput
from registration.liveness_settings import liveness_config
from registration.models import IdentityDocument, Subscriber, SubscriberStatus, VerificationSession
from registration.roles import CLERK, SUPERVISOR
from registration.selectors import staff_outlet
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
) -> VerificationSession:
    """Open a registration: a pending subscriber and a new verification session at the clerk's outlet."""
    clerk_id = require_role(clerk, CLERK, SUPERVISOR)
    outlet = staff_outlet(clerk)
    if outlet is None:
        raise Forbidden("Your account is not attached to an outlet.", code="no_outlet")
    full_name = " ".join(full_name.split())
    if not full_name:
        raise InvalidInput("The full name is required.", code="full_name")
    if any(unicodedata.category(character) in HIDDEN_CATEGORIES for character in full_name):
        raise InvalidInput(
            "The full name holds invisible or direction-changing characters: type it again.", code="full_name"
        )
    document = validate_document(document_type, document_number, today=today(), birth_date=birth_date)
    require_birth_date(document)
    phone = normalise_mainland_mobile(phone_number)
    number_hash = crypto.id_number_hash(document.document_type, document.number)

    with transaction.atomic():
        identity = _identity_document_locked(document.document_type, document.number, number_hash, document.birth_date)
        check_activation_limits(identity=identity, phone_number=phone)
        subscriber = Subscriber.objects.create(
            full_name=full_name,
            document=identity,
            phone_number=phone,
            outlet=outlet,
            document_type=document.document_type,
            document_issue_count=document.issue_count,
        )
        # No challenge plan yet: it is drawn per attempt when the capture starts (capture_start), so
        # opening sessions again and again shows nothing of a plan to fit footage to.
        session = VerificationSession.objects.create(
            subscriber=subscriber,
            outlet=outlet,
            clerk_id=clerk_id,
            expires_at=timezone.now() + timedelta(seconds=effective_policy().session_ttl_seconds),
        )
        audit(
            actor=clerk,
            action="session.created",
            target=session,
            outlet=outlet,
            details={"document_type": document.document_type},
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
        return held
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
    if identity.birth_date is None and birth_date is not None:
        identity.birth_date = birth_date
        identity.save(update_fields=["birth_date"])
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
    hashes = {document_type: crypto.id_number_hash(document_type, number) for document_type in DocumentType.values}
    rows = IdentityDocument.objects.select_for_update().filter(
        Q(*[Q(document_type=t, number_hash=h) for t, h in hashes.items()], _connector=Q.OR)
    )
    return rows.order_by("created_at", "pk").first()


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
