"""factory_boy factories and small builders for valid test identities."""

from __future__ import annotations

import itertools
from datetime import date
from enum import Enum
from typing import Any, cast

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User

from registration import services
from registration.documents import prc_id_check_digit
from registration.images import FRAMES_CONTENT_TYPE, pack_frames
from registration.models import EvidenceKind, Outlet, StaffProfile, Subscriber, VerificationSession
from registration.roles import CLERK
from registration.state_machine import SessionState

_sequence = itertools.count(100)


def make_prc_id(birth_date: date = date(1990, 3, 7), region: str = "110101") -> str:
    """A syntactically valid resident identity card number with a correct check digit."""
    first_17 = f"{region}{birth_date:%Y%m%d}{next(_sequence) % 1000:03d}"
    return first_17 + prc_id_check_digit(first_17)


def make_phone() -> str:
    return f"+86138{next(_sequence):08d}"


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet

    code = factory.Sequence(lambda n: f"OUT{n:03d}")
    name = factory.Sequence(lambda n: f"Outlet {n}")
    address = "1 Test Road"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def role(user: Any, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create:
            user.groups.add(Group.objects.get(name=extracted or CLERK))

    @factory.post_generation
    def outlet(user: Any, create: bool, extracted: Outlet | None, **kwargs: object) -> None:
        if create and extracted is not None:
            StaffProfile.objects.create(user=user, outlet=extracted)


# --- builders: tests/conftest.py's fixtures call them with the test's clerk -----------------------


def registration_details(**overrides: Any) -> dict[str, Any]:
    """What a clerk types to open a registration: a valid name, ID number and phone number."""
    details: dict[str, Any] = {
        "full_name": "张 三",
        "document_type": "prc_id",
        "document_number": make_prc_id(),
        "phone_number": make_phone(),
    }
    details.update(overrides)
    return details


def make_staff(role: str | None, *, outlet: Outlet | None, **fields: Any) -> User:
    """A staff user with one role (CLERK, SUPERVISOR, ADMIN or None) working at `outlet`."""
    return cast(User, UserFactory(role=role, outlet=outlet, **fields))


class Portrait(Enum):
    """`make_session`'s default portrait: the stand-in once the state is past the document photo."""

    AS_THE_STATE_IMPLIES = "as the state implies"


def make_session(
    *,
    clerk: User,
    state: str = SessionState.CREATED,
    portrait: bytes | Portrait | None = Portrait.AS_THE_STATE_IMPLIES,
    reference_binding: str = "chip",
    **details: Any,
) -> VerificationSession:
    """A session opened by `clerk` and moved straight to `state` (no capture runs), in the product's
    order: the document photo, then the customer's consent. The ID portrait is stored when `portrait`
    is given; by default a session past `created` has the stand-in portrait (`portrait=None`: a
    session without one, as the old order left it). It is consented when `state` comes after the
    consent (every state but created and document_captured)."""
    if portrait is Portrait.AS_THE_STATE_IMPLIES:
        portrait = None if state == SessionState.CREATED else STAND_IN_PORTRAIT
    session = services.registration_create(clerk=clerk, **registration_details(**details))
    if portrait is not None:
        services.evidence_store(
            session=session, kind=EvidenceKind.ID_PORTRAIT, content=portrait, content_type="image/jpeg"
        )
        # As a signed chip read leaves it; `reference_binding=""` for an unbound reference.
        if reference_binding == "chip":
            as_read_from_the_chip(session)
        else:
            VerificationSession.objects.filter(pk=session.pk).update(reference_binding=reference_binding)
    if state not in BEFORE_CONSENT:
        VerificationSession.objects.filter(pk=session.pk).update(state=SessionState.DOCUMENT_CAPTURED)
        services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
    if state not in {SessionState.CREATED, SessionState.CONSENTED}:
        VerificationSession.objects.filter(pk=session.pk).update(state=state)
    session.refresh_from_db()
    return session


def as_read_from_the_chip(session: VerificationSession) -> None:
    """Leave the session as a signed chip read on the registration page does: the identity read from
    the card's chip and the portrait bound by it."""
    VerificationSession.objects.filter(pk=session.pk).update(reference_binding="chip")
    Subscriber.objects.filter(pk=session.subscriber_id).update(identity_source="chip")


def store_live_frame(session: VerificationSession, frame: bytes) -> None:
    """As a capture leaves a session: the live frame, and among the frames sampled through the
    challenge the same one (registration/services/identity.py checks they show one person)."""
    services.evidence_store(session=session, kind=EvidenceKind.LIVE_FRAME, content=frame, content_type="image/jpeg")
    services.evidence_store(
        session=session,
        kind=EvidenceKind.CHALLENGE_FRAMES,
        content=pack_frames([frame]),
        content_type=FRAMES_CONTENT_TYPE,
    )


# What the machine-readable zone of the shared specimen id_documents/100_pass-chn.jpg says: a session
# typed with it binds when that page is uploaded (the holder's name there is not in the MRZ's Latin).
SPECIMEN_PASSPORT: dict[str, Any] = {
    "document_type": "passport",
    "document_number": "000000000",
    "birth_date": date(1976, 1, 1),
}

# A stand-in for a cropped ID portrait where no face model reads it (the start of a JPEG).
STAND_IN_PORTRAIT = b"\xff\xd8document-photo"
BEFORE_CONSENT = frozenset({SessionState.CREATED, SessionState.DOCUMENT_CAPTURED})
