from datetime import date

import pytest

from registration.documents import (
    DocumentType,
    age_on,
    mask_number,
    normalise_mainland_mobile,
    prc_id_check_digit,
    validate_document,
)
from registration.errors import InvalidInput
from tests.factories import make_prc_id

TODAY = date(2026, 11, 26)


def test_prc_id_check_digit_matches_the_published_example() -> None:
    # GB 11643-1999's worked example: 11010519491231002X.
    assert prc_id_check_digit("11010519491231002") == "X"


def test_valid_prc_id_gives_its_birth_date() -> None:
    number = make_prc_id(date(2015, 6, 1))
    document = validate_document(DocumentType.PRC_ID_CARD, number.lower(), today=TODAY)
    assert document.number == number
    assert document.birth_date == date(2015, 6, 1)
    assert age_on(document.birth_date, TODAY) == 11


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "id_format"),  # 17 characters
        ("1101051949123100XX", "id_format"),
        ("11010519491231003X", "id_checksum"),
        ("99010519491231002X", "id_region"),
    ],
)
def test_bad_prc_id_is_refused_with_its_reason(number: str, code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        validate_document(DocumentType.PRC_ID_CARD, number, today=TODAY)
    assert error.value.code == code


@pytest.mark.parametrize("birth", ["19900230", "20301201", "18991231"])
def test_prc_id_with_impossible_or_future_birth_date_is_refused(birth: str) -> None:
    first_17 = f"110101{birth}123"
    with pytest.raises(InvalidInput) as error:
        validate_document(DocumentType.PRC_ID_CARD, first_17 + prc_id_check_digit(first_17), today=TODAY)
    assert error.value.code == "id_birth_date"


@pytest.mark.parametrize(
    ("document_type", "good", "number", "bad"),
    [
        (DocumentType.PASSPORT, "E12345678", "E12345678", "E12-34!5678"),
        (DocumentType.PASSPORT, "ab1234567", "AB1234567", "ABCDEFGH"),
        (DocumentType.HK_MACAO_PERMIT, "H12345678", "H12345678", "X12345678"),
        # The permit's two issue-count digits are not part of the number (one identity, one key).
        (DocumentType.HK_MACAO_PERMIT, "M1234567801", "M12345678", "M1234567"),
        (DocumentType.TAIWAN_PERMIT, "12345678", "12345678", "1234567"),
    ],
)
def test_other_documents_each_follow_their_own_rule(document_type: str, good: str, number: str, bad: str) -> None:
    assert validate_document(document_type, good, today=TODAY).number == number
    with pytest.raises(InvalidInput):
        validate_document(document_type, bad, today=TODAY)


def test_unknown_document_type_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_document("library_card", "123456", today=TODAY)
    assert error.value.code == "document_type"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("0086-199-1234-5678", "+8619912345678"),
    ],
)
def test_mainland_mobile_numbers_are_normalised_to_e164(raw: str, expected: str) -> None:
    assert normalise_mainland_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "+85291234567", "138001380001", "phone"])
def test_non_mainland_mobile_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_mainland_mobile(raw)


def test_masked_number_hides_the_middle() -> None:
    assert mask_number("11010519491231002X") == "11************002X"
