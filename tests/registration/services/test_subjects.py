"""Erasure that erases: a person who never held a number leaves no identifying field in any column of
any row (the audit log included); the holder of a number keeps only what the real-name rules require
(name, phone, document number) while it is active and for the statutory period after its service
ends, and the retention sweep erases that too once the period is over."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from registration import crypto, services
from registration.errors import NotFound
from registration.models import (
    ConsentRecord,
    IdentityDocument,
    Subscriber,
    SubscriberStatus,
    VerificationSession,
)
from registration.state_machine import SessionState
from registration.verification_policy import effective_policy
from tests import factories
from tests.factories import make_prc_id
from tests.registration.services.conftest import Clock

pytestmark = pytest.mark.django_db
S = SessionState

CUSTOMER_NAME = "欧阳 晓明"
GUARDIAN_NAME = "欧阳 大山"
FREE_TEXT_NAME = "司马青"  # a third person the clerk's and supervisor's notes name


def _searchable(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def occurrences(*needles: str) -> list[str]:
    """Every (model, column) of every row of the project's tables whose value contains a needle."""
    found = []
    for model in [*apps.get_app_config("registration").get_models(), *apps.get_app_config("auth").get_models()]:
        columns = [field.attname for field in model._meta.concrete_fields]
        for row in model.objects.values_list(*columns):  # type: ignore[attr-defined]
            for column, value in zip(columns, row, strict=True):
                text = _searchable(value)
                found += [f"{model.__name__}.{column}: {needle}" for needle in needles if needle and needle in text]
    return found


def _minor_with_a_guardian(clerk: Any, supervisor: Any) -> tuple[VerificationSession, dict[str, str]]:
    """A minor's registration with a guardian's consent, a declined face check with a reason naming a
    third person, and a supervisor's rejection whose note names them too."""
    birth = date(timezone.localdate().year - 12, 4, 9)
    details = factories.registration_details(full_name=CUSTOMER_NAME, document_number=make_prc_id(birth))
    session = services.registration_create(clerk=clerk, **details)
    services.evidence_store(
        session=session, kind="id_portrait", content=factories.STAND_IN_PORTRAIT, content_type="image/jpeg"
    )
    VerificationSession.objects.filter(pk=session.pk).update(state=S.DOCUMENT_CAPTURED)
    guardian_number = make_prc_id(date(1980, 1, 2))
    services.consent_record(
        session_id=session.pk,
        actor=clerk,
        consent_version="3",
        language="zh-hans",
        guardian_name=GUARDIAN_NAME,
        guardian_document_number=guardian_number,
    )
    services.session_request_alternative(session_id=session.pk, actor=clerk, reason=f"{FREE_TEXT_NAME}说她不想拍照")
    services.session_decide(
        session_id=session.pk, supervisor=supervisor, decision="rejected", note=f"证件照片与{FREE_TEXT_NAME}不符"
    )
    needles = {
        "name": CUSTOMER_NAME,
        "phone": details["phone_number"],
        "phone_digits": details["phone_number"].removeprefix("+86"),
        "number": details["document_number"],
        "number_hash": crypto.id_number_hash("prc_id", details["document_number"]),
        "birth_date": birth.isoformat(),
        "guardian": GUARDIAN_NAME,
        "guardian_number": guardian_number,
        "guardian_hash": crypto.id_number_hash("prc_id", guardian_number),
        "free_text": FREE_TEXT_NAME,
    }
    return session, needles


def test_the_data_of_a_person_who_never_held_a_number_is_everywhere_before_erasure(clerk: Any, supervisor: Any) -> None:
    """The search below finds what it looks for (so its empty answer after erasure means something)."""
    _, needles = _minor_with_a_guardian(clerk, supervisor)
    found = " ".join(occurrences(*needles.values()))
    for needle in ("name", "phone", "number_hash", "birth_date", "guardian", "guardian_hash", "free_text"):
        assert needles[needle] in found, needle


def test_erasing_a_person_who_never_held_a_number_leaves_no_identifying_field(clerk: Any, supervisor: Any) -> None:
    session, needles = _minor_with_a_guardian(clerk, supervisor)
    identity = services.subject_find(document_type="prc_id", document_number=needles["number"])
    result = services.subject_erase(actor=None, identity=identity)
    assert result["document_erased"] == 1
    assert occurrences(*needles.values()) == []
    identity.refresh_from_db()
    assert bytes(identity.number_encrypted) == b""
    assert identity.birth_date is None
    with pytest.raises(NotFound):
        services.subject_find(document_type="prc_id", document_number=needles["number"])
    assert not ConsentRecord.objects.filter(session=session).exclude(guardian_name="").exists()
    exported = services.subject_export(actor=None, identity=identity)  # the empty shell exports as empty
    assert exported["document"] == {"type": "prc_id", "number": "", "birth_date": None}
    assert services.evidence_reencrypt() == (0, 0)  # key rotation passes the empty shell by


def test_a_holder_keeps_only_the_required_identity_until_the_statutory_period_ends(
    clock: Clock, clerk: Any, supervisor: Any, admin_user: Any
) -> None:
    details = factories.registration_details(full_name=CUSTOMER_NAME)
    session = factories.make_session(clerk=clerk, state=S.MATCHING, **details)
    services.match_apply(
        session_id=session.pk, decision="approved", reasons=[], distance=0.2, threshold=0.4, model="m", detail={}
    )
    subscriber = Subscriber.objects.get(pk=session.subscriber_id)
    assert subscriber.status == SubscriberStatus.ACTIVE
    identity = services.subject_find(document_type="prc_id", document_number=details["document_number"])

    services.subject_erase(actor=None, identity=identity)
    identity.refresh_from_db()
    subscriber.refresh_from_db()
    assert (subscriber.full_name, subscriber.phone_number) == (CUSTOMER_NAME, details["phone_number"])
    assert identity.birth_date is None
    assert identity.erasure_requested_at is not None
    exported = services.subject_export(actor=None, identity=identity)
    assert exported["document"]["number"] == details["document_number"]

    clock.now += timedelta(days=400)  # still active: nothing more goes
    assert services.subjects_erase_due() == 0
    services.subscriber_end_service(actor=admin_user, subscriber_id=subscriber.pk)
    keep = effective_policy().identity_keep_after_service
    clock.now += keep - timedelta(days=1)
    assert services.subjects_erase_due() == 0
    assert Subscriber.objects.get(pk=subscriber.pk).full_name == CUSTOMER_NAME
    clock.now += timedelta(days=2)
    assert services.subjects_erase_due() == 1
    assert services.subjects_erase_due() == 0
    needles = [CUSTOMER_NAME, details["phone_number"], details["document_number"]]
    needles.append(crypto.id_number_hash("prc_id", details["document_number"]))
    assert occurrences(*needles) == []
    assert IdentityDocument.objects.get(pk=identity.pk).erased_at is not None


def test_a_number_that_ended_is_erased_after_the_period_without_a_request(
    clock: Clock, clerk: Any, admin_user: Any
) -> None:
    details = factories.registration_details(full_name=CUSTOMER_NAME)
    session = factories.make_session(clerk=clerk, state=S.MATCHING, **details)
    services.match_apply(
        session_id=session.pk, decision="approved", reasons=[], distance=0.2, threshold=0.4, model="m", detail={}
    )
    services.subscriber_end_service(actor=admin_user, subscriber_id=session.subscriber_id)
    clock.now += effective_policy().identity_keep_after_service + timedelta(hours=1)
    assert services.subjects_erase_due() == 1
    assert occurrences(CUSTOMER_NAME, details["phone_number"]) == []


def test_a_refused_registration_is_erased_the_statutory_period_after_it_was_opened(clock: Clock, clerk: Any) -> None:
    details = factories.registration_details(full_name=CUSTOMER_NAME)
    session = factories.make_session(clerk=clerk, state=S.CONSENTED, **details)
    services.session_cancel(session_id=session.pk, actor=clerk)
    keep = effective_policy().identity_keep_after_service
    clock.now += keep - timedelta(days=1)
    assert services.subjects_erase_due() == 0
    clock.now += timedelta(days=2)
    assert services.subjects_erase_due() == 1
    assert occurrences(CUSTOMER_NAME, details["phone_number"], details["document_number"]) == []
