"""Holding the typed details against a passport's machine-readable zone, without the OCR: ICAO
9303 check digits (the standard's own specimen), a field that matches up to the shapes OCR
confuses, a field whose MRZ value verifies on its own but differs (a mismatch, which a supervisor
sees), a field nothing verifies (unreadable), and a Latin name in either order."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from registration.mrz import MrzRead, icao_check_digit, mrz_compare

# ICAO 9303 part 4's specimen passport (Utopia, ERIKSSON ANNA MARIA).
SPECIMEN = MrzRead(
    mrz_type="TD3",
    country="UTO",
    number="L898902C3",
    number_check="6",
    birth_yymmdd="740812",
    birth_check="2",
    surname="ERIKSSON",
    given_names="ANNA MARIA",
    name_field="ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
)
BIRTH = date(1974, 8, 12)


@pytest.mark.parametrize(
    ("field", "digit"),
    [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("L898902C<", "3"), ("690806", "1"), ("", "0")],
)
def test_icao_check_digits_of_the_standards_specimens(field: str, digit: str) -> None:
    assert icao_check_digit(field) == digit


def test_the_typed_details_of_the_specimen_match() -> None:
    comparison = mrz_compare(SPECIMEN, number="L898902C3", birth_date=BIRTH, full_name="Anna Maria Eriksson")

    assert (comparison.outcome, comparison.reasons) == ("match", ())


def test_a_number_read_with_ocr_confusions_still_matches() -> None:
    read = replace(SPECIMEN, number="L8989O2C3")  # a zero read as the letter O

    assert mrz_compare(read, number="L898902C3", birth_date=BIRTH, full_name="ERIKSSON ANNA MARIA").outcome == "match"


def test_a_verifying_mrz_that_differs_from_the_typed_number_is_a_mismatch() -> None:
    comparison = mrz_compare(SPECIMEN, number="L898902C4", birth_date=BIRTH, full_name="Anna Maria Eriksson")

    assert (comparison.outcome, comparison.reasons) == ("mismatch", ("mrz_number_mismatch",))


def test_a_field_no_check_digit_verifies_is_unreadable() -> None:
    read = replace(SPECIMEN, birth_yymmdd="74O8I2", birth_check="?")

    comparison = mrz_compare(read, number="L898902C3", birth_date=date(1974, 8, 13), full_name="Anna Maria Eriksson")

    assert (comparison.outcome, comparison.reasons) == ("unreadable", ("mrz_birth_date_unreadable",))


def test_another_surname_is_a_mismatch_and_a_chinese_name_is_not_held_against_the_mrz() -> None:
    other = mrz_compare(SPECIMEN, number="L898902C3", birth_date=BIRTH, full_name="Anna Maria Larsson")
    chinese = mrz_compare(SPECIMEN, number="L898902C3", birth_date=BIRTH, full_name="张三")

    assert other.reasons == ("mrz_name_mismatch",)
    assert (chinese.outcome, chinese.reasons) == ("match", ())
