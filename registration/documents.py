"""Identity documents and phone numbers as outlets meet them, each validated by its own rule.

Each validator takes the raw text a clerk typed and returns the normalised value, or raises
`InvalidInput` with a reason the clerk can act on.

Identifiers are plain ASCII before anything else looks at them: a full-width one (U+FF11, what a
Chinese input method types in full-width mode), an Arabic-Indic one (U+0661) or a Cyrillic Ha
(U+0425, an X to the eye) would otherwise be a second spelling of the same document or phone
number: a new identity with real-name limits of its own. They are refused, not folded: a record
stored under such a spelling before this rule is left as it was, and the clerk re-types the
number (`ascii_identifier`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput


class DocumentType(models.TextChoices):
    PRC_ID_CARD = "prc_id", _("PRC resident identity card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_PERMIT = "hk_macao_permit", _("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")


class ReferenceBinding(models.TextChoices):
    """What ties a session's portrait to the typed identity; none = unbound (a supervisor decides)."""

    CHIP = "chip", _("Signed chip read")
    MRZ = "mrz", _("Document photo with a matching MRZ")


class IdentitySource(models.TextChoices):
    """Where a registration's name, number and date of birth came from. A PRC card's are read from its
    chip (MIIT 2016 forbids typing them): one typed by hand is never approved automatically."""

    TYPED = "typed", _("Typed by the clerk")
    CHIP = "chip", _("Read from the card's chip")


@dataclass(frozen=True)
class ValidatedDocument:
    document_type: str
    number: str
    """The identity's key: normalised, without a permit's issue count."""
    birth_date: date | None
    issue_count: str = ""
    """A travel permit's two issue-count digits (which card of the holder's series): not part of the key."""


PRC_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PRC_ID_CHECK_CODES = "10X98765432"
# First two digits: provinces (11-65), Taiwan (71), Hong Kong (81), Macao (82), and 83 for the
# residence permits of Hong Kong, Macao and Taiwan residents.
PRC_PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
# ASCII classes only: `\d` would also match every other script's digits.
PRC_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
PASSPORT_RE = re.compile(r"^(?=.*[0-9])[A-Z0-9]{5,9}$")
HK_MACAO_PERMIT_RE = re.compile(r"^[HM][0-9]{8}([0-9]{2})?$")
TAIWAN_PERMIT_RE = re.compile(r"^[0-9]{8}([0-9]{2})?$")
MAINLAND_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# A travel permit's number is the holder's for life; the two digits that may follow it count the
# cards issued. The key is the number alone, so every card of one holder is one identity.
PERMIT_KEY_LENGTH = {"hk_macao_permit": 9, "taiwan_permit": 8}


def prc_id_check_digit(first_17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17, PRC_ID_WEIGHTS, strict=True))
    return PRC_ID_CHECK_CODES[total % 11]


def ascii_identifier(raw: str, *, code: str) -> str:
    """`raw` unchanged if every character is ASCII; else `InvalidInput` naming the first other one.

    The message says whether Unicode's compatibility folding (NFKC) would have made it ASCII (a
    full-width or styled character: switch the keyboard to half-width) or not (another script).
    """
    for position, character in enumerate(raw):
        if character.isascii():
            continue
        folded = unicodedata.normalize("NFKC", character)
        if folded.isascii():
            message = (
                f"Character {position + 1} is a full-width or styled {folded!r}: "
                "re-type the number with the plain digits 0-9 and letters A-Z (half-width keyboard)."
            )
        else:
            message = (
                f"Character {position + 1} is not a plain digit or letter: "
                "re-type the number with the digits 0-9 and letters A-Z only."
            )
        details = {"position": position + 1, "character": f"U+{ord(character):04X}"}
        raise InvalidInput(message, code=code, details=details)
    return raw


def _normalise(raw: str) -> str:
    return re.sub(r"[\s-]", "", ascii_identifier(raw, code="id_not_ascii"), flags=re.ASCII).upper()


def validate_prc_id(raw: str, *, today: date) -> ValidatedDocument:
    number = _normalise(raw)
    if not PRC_ID_RE.fullmatch(number):
        raise InvalidInput("A resident identity card number has 17 digits and a check digit or X.", code="id_format")
    if int(number[:2]) not in PRC_PROVINCE_CODES:
        raise InvalidInput("The region code of this identity card number does not exist.", code="id_region")
    if prc_id_check_digit(number[:17]) != number[17]:
        raise InvalidInput(
            "The check digit of this identity card number is wrong: please re-type it.", code="id_checksum"
        )
    try:
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidInput(
            "The date of birth inside this identity card number is not a real date.", code="id_birth_date"
        ) from exc
    if birth_date >= today or birth_date.year < 1900:
        raise InvalidInput(
            "The date of birth inside this identity card number is not a past date.", code="id_birth_date"
        )
    return ValidatedDocument(DocumentType.PRC_ID_CARD, number, birth_date)


def validate_document(
    document_type: str, raw: str, *, today: date, birth_date: date | None = None
) -> ValidatedDocument:
    """Validate a document number by the rule of its type."""
    if document_type == DocumentType.PRC_ID_CARD:
        return validate_prc_id(raw, today=today)
    rules = {
        DocumentType.PASSPORT: (PASSPORT_RE, "A passport number has 5 to 9 letters and digits."),
        DocumentType.HK_MACAO_PERMIT: (HK_MACAO_PERMIT_RE, "A Hong Kong / Macao permit number is H or M and 8 digits."),
        DocumentType.TAIWAN_PERMIT: (TAIWAN_PERMIT_RE, "A Taiwan residents' permit number has 8 digits."),
    }
    if document_type not in rules:
        raise InvalidInput(f"Unknown document type {document_type!r}.", code="document_type")
    pattern, message = rules[DocumentType(document_type)]
    number = _normalise(raw)
    if not pattern.fullmatch(number):
        raise InvalidInput(message, code="id_format")
    if birth_date is not None and (birth_date >= today or birth_date.year < 1900):
        raise InvalidInput("The date of birth must be a past date.", code="birth_date")
    key_length = PERMIT_KEY_LENGTH.get(document_type, len(number))
    return ValidatedDocument(document_type, number[:key_length], birth_date, issue_count=number[key_length:])


def require_birth_date(document: ValidatedDocument) -> None:
    """A registration needs the holder's date of birth (the age rules): a resident ID number carries
    it, every other document needs it given."""
    if document.birth_date is None:
        raise InvalidInput(
            "The date of birth is required for this document: it is not part of its number.",
            code="birth_date_required",
        )


def normalise_mainland_mobile(raw: str) -> str:
    """Return a mainland mobile number in E.164 (+86 and 11 digits starting 13-19)."""
    digits = re.sub(r"[\s()-]", "", ascii_identifier(raw, code="phone_not_ascii"), flags=re.ASCII)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not MAINLAND_MOBILE_RE.fullmatch(digits):
        raise InvalidInput("A mainland mobile number has 11 digits and starts with 13 to 19.", code="phone_format")
    return f"+86{digits}"


def age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def mask_number(number: str) -> str:
    """What the screens show of an ID number: its first and last characters only."""
    if len(number) <= 4:
        return "*" * len(number)
    return (
        f"{number[:2]}{'*' * (len(number) - 6)}{number[-4:]}"
        if len(number) > 6
        else f"{'*' * (len(number) - 4)}{number[-4:]}"
    )
