"""Unicode digits do not spell a second identity: `\\d` matches every script's digits and `int()`
reads them, so a full-width copy of an ID number (or phone number) would otherwise be a new identity
with limits of its own. Identifiers are plain ASCII or refused (registration/documents.py,
`ascii_identifier`); the bad-input catalogue (test_bad_input.py) tries every digit form and
confusable on every field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from registration import crypto
from registration.documents import ascii_identifier
from registration.errors import InvalidInput
from registration.models import IdentityDocument, Subscriber, SubscriberStatus
from tests.factories import make_phone, make_prc_id

from .report import record_bad_input
from .snapshot import database_snapshot

pytestmark = [pytest.mark.security, pytest.mark.django_db]

# Code points, not the characters: in an editor they look like ASCII digits.
FULLWIDTH = str.maketrans({str(value): chr(0xFF10 + value) for value in range(10)})
ARABIC_INDIC = str.maketrans({str(value): chr(0x0660 + value) for value in range(10)})


def _spellings(number: str) -> dict[str, str]:
    """Other spellings of one ASCII number that Python's `\\d` and `int()` accept as the same digits."""
    return {
        "full-width": number.translate(FULLWIDTH),
        "Arabic-Indic": number.translate(ARABIC_INDIC),
        "one full-width digit": number[:-2] + number[-2].translate(FULLWIDTH) + number[-1],
    }


def _activate_all() -> None:
    Subscriber.objects.update(status=SubscriberStatus.ACTIVE)


def test_a_full_width_copy_of_an_id_at_its_limit_is_not_a_new_identity(
    clerk: Any, client_for: Callable[[Any], APIClient], registration_input: Callable[..., dict[str, Any]], settings: Any
) -> None:
    settings.SHIMING_MAX_ACTIVE_NUMBERS_PER_ID = 1
    number = make_prc_id()
    client = client_for(clerk)
    assert client.post("/api/sessions/", registration_input(document_number=number), format="json").status_code == 201
    _activate_all()  # the one active number this ID may hold

    for form, spelling in _spellings(number).items():
        before = database_snapshot()
        response = client.post("/api/sessions/", registration_input(document_number=spelling), format="json")
        code = response.json()["error"]["code"] if response.status_code >= 400 else "(created)"
        record_bad_input(f"ID at its limit, {form}", expected=400, got=response.status_code, code=code)
        assert response.status_code == 400, f"{form}: {response.content[:300]!r}"
        assert code == "id_not_ascii"
        assert database_snapshot() == before
    assert IdentityDocument.objects.count() == 1


def test_a_full_width_copy_of_an_active_phone_number_is_not_a_second_number(
    clerk: Any, client_for: Callable[[Any], APIClient], registration_input: Callable[..., dict[str, Any]]
) -> None:
    phone = make_phone()
    client = client_for(clerk)
    assert client.post("/api/sessions/", registration_input(phone_number=phone), format="json").status_code == 201
    _activate_all()

    national = phone.removeprefix("+86")
    for form, spelling in _spellings(national).items():
        before = database_snapshot()
        typed = "+86" + national[:2] + spelling[2:]  # the leading "13" stays ASCII: the old pattern's [3-9]
        response = client.post("/api/sessions/", registration_input(phone_number=typed), format="json")
        code = response.json()["error"]["code"] if response.status_code >= 400 else "(created)"
        record_bad_input(f"active phone, {form}", expected=400, got=response.status_code, code=code)
        assert response.status_code == 400, f"{form}: {response.content[:300]!r}"
        assert code == "phone_not_ascii"
        assert database_snapshot() == before
    assert set(Subscriber.objects.values_list("phone_number", flat=True)) == {phone}


def test_the_refusal_says_which_character_and_what_to_do() -> None:
    with pytest.raises(InvalidInput) as full_width:
        ascii_identifier("11\N{FULLWIDTH DIGIT ZERO}105", code="id_not_ascii")
    assert full_width.value.details == {"position": 3, "character": "U+FF10"}
    assert "half-width" in full_width.value.message
    with pytest.raises(InvalidInput) as other_script:
        ascii_identifier("11\N{ARABIC-INDIC DIGIT ZERO}105", code="id_not_ascii")
    assert other_script.value.details == {"position": 3, "character": "U+0660"}
    assert "0-9" in other_script.value.message
    assert ascii_identifier("110105", code="id_not_ascii") == "110105"


def test_nothing_but_ascii_reaches_the_keyed_hash() -> None:
    """A second guard where the per-ID limit's key is made: an unvalidated spelling is a programming error."""
    number = make_prc_id()
    assert crypto.id_number_hash("prc_id", number)
    with pytest.raises(ValueError, match="ASCII"):
        crypto.id_number_hash("prc_id", number.translate(FULLWIDTH))
