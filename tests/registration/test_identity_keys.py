"""One identity, one key: every optional part of every identifier pattern (separators, letter case, a
permit's issue count) and every document type a number may be typed under lead to the same identity
row, so the per-identity limit of active numbers holds whatever the spelling."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from registration import services
from registration.documents import validate_document
from registration.errors import Conflict, InvalidInput
from registration.models import IdentityDocument, Subscriber, SubscriberStatus
from registration.verification_policy import effective_policy
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 1, 1)
BORN = date(1990, 3, 7)
PRC = factories.make_prc_id(birth_date=BORN)


def _prc_ending_in_x() -> str:
    for serial in range(1000):
        number = f"11010119900307{serial:03d}"
        try:
            return validate_document("prc_id", number + "X", today=TODAY).number
        except InvalidInput:  # the check digit is not X for this serial: try the next one
            continue
    raise AssertionError("no serial gives the check character X")


@pytest.mark.parametrize(
    ("document_type", "spellings", "key", "issue_counts"),
    [
        ("prc_id", [PRC, f"{PRC[:6]} {PRC[6:14]} {PRC[14:]}", f"{PRC[:6]}-{PRC[6:]}"], PRC, {""}),
        ("prc_id", [_prc_ending_in_x(), _prc_ending_in_x()[:-1] + "x"], _prc_ending_in_x(), {""}),
        ("passport", ["E12345678", "e12345678", "E 1234 5678", "E-12345678"], "E12345678", {""}),
        ("hk_macao_permit", ["H20240606", "h20240606", "H2024060601", "H 20240606 02", "M20240606"], None, None),
        ("taiwan_permit", ["20240606", "2024060601", "20240606 03", "2024-0606"], "20240606", {"", "01", "03"}),
    ],
    ids=["prc-separators", "prc-check-x", "passport-case-separators", "hk-macao-issue-count", "taiwan-issue-count"],
)
def test_every_optional_part_of_a_pattern_gives_the_same_key(
    document_type: str, spellings: list[str], key: str | None, issue_counts: set[str] | None
) -> None:
    validated = [validate_document(document_type, spelling, today=TODAY, birth_date=BORN) for spelling in spellings]
    if document_type == "hk_macao_permit":  # H (Hong Kong) and M (Macao) are two holders: two keys
        assert {v.number for v in validated} == {"H20240606", "M20240606"}
        assert {v.issue_count for v in validated} == {"", "01", "02"}
        return
    assert {v.number for v in validated} == {key}
    assert {v.issue_count for v in validated} <= (issue_counts or {""})


def _register(clerk: Any, document_type: str, number: str) -> Any:
    return services.registration_create(
        clerk=clerk,
        full_name="CHAN TAI MAN",
        document_type=document_type,
        document_number=number,
        phone_number=factories.make_phone(),
        birth_date=BORN,
    )


def _activate(session: Any) -> None:
    Subscriber.objects.filter(pk=session.subscriber_id).update(
        status=SubscriberStatus.ACTIVE, activated_at=timezone.now()
    )


def test_a_permit_number_typed_as_a_passport_is_the_same_identity(clerk: Any) -> None:
    permit = _register(clerk, "hk_macao_permit", "H2024060601")
    passport = _register(clerk, "passport", "H20240606")
    assert permit.subscriber.document_id == passport.subscriber.document_id
    assert IdentityDocument.objects.count() == 1
    assert passport.subscriber.document_type == "passport"  # what this registration photographs
    assert permit.subscriber.document_issue_count == "01"


def test_no_spelling_or_type_gives_one_permit_more_than_the_limit(clerk: Any) -> None:
    limit = effective_policy().max_active_numbers_per_id
    spellings = [
        ("hk_macao_permit", "H20240606"),
        ("hk_macao_permit", "H2024060601"),
        ("hk_macao_permit", "h2024060602"),
        ("passport", "H20240606"),
        ("hk_macao_permit", "H 20240606 03"),
        ("passport", "h20240606"),
        ("hk_macao_permit", "H2024060604"),
        ("hk_macao_permit", "H-2024060605"),
    ]
    assert len(spellings) > limit
    for document_type, number in spellings[:limit]:
        _activate(_register(clerk, document_type, number))
    for document_type, number in spellings[limit:]:
        with pytest.raises(Conflict) as refused:
            _register(clerk, document_type, number)
        assert refused.value.code == "id_limit_reached"
    assert Subscriber.objects.filter(status=SubscriberStatus.ACTIVE).count() == limit


def test_a_taiwan_permit_number_typed_as_a_passport_is_the_same_identity(clerk: Any) -> None:
    permit = _register(clerk, "taiwan_permit", "2024060601")
    passport = _register(clerk, "passport", "20240606")
    assert permit.subscriber.document_id == passport.subscriber.document_id


def test_another_birth_date_for_a_stored_identity_is_refused(
    clerk: Any, client_for: Any, registration_input: Any
) -> None:
    """One identity has one date of birth: a registration of the same permit (under any type) with
    another one is refused with its own code, worded in both languages; the identity keeps its date."""
    _register(clerk, "hk_macao_permit", "H2024060601")
    body = registration_input(
        full_name="CHAN TAI MAN", document_type="passport", document_number="H20240606", birth_date="1991-03-07"
    )
    for language, words in (("en", "date of birth differs"), ("zh-hans", "出生日期")):
        response = client_for(clerk).post("/api/sessions/", body, format="json", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 409, response.json()
        assert response.json()["error"]["code"] == "birth_date_mismatch"
        assert words in response.json()["error"]["message"]
    assert IdentityDocument.objects.get().birth_date == BORN
    assert Subscriber.objects.count() == 1


def test_a_subject_is_found_under_any_document_type(clerk: Any) -> None:
    """The data subject who names their permit number as a passport's (or the other way round) is the
    one identity registered: access and erasure reach them."""
    permit = _register(clerk, "hk_macao_permit", "H2024060601")
    for document_type, number in (("passport", "H20240606"), ("hk_macao_permit", "h20240606 02")):
        found = services.subject_find(document_type=document_type, document_number=number)
        assert found.pk == permit.subscriber.document_id
