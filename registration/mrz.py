"""The machine-readable zone (ICAO 9303) of a passport or travel permit: read it from the document photo
and hold the typed identity against it.

Reading is PassportEye's (MRZ band located by morphology, read by Tesseract; Debian's `tesseract-ocr`):
this module wraps it once and checks what it read with ICAO 9303's own check digits. OCR confuses a
few shapes (``0``/``O``/``Q``/``D``, ``1``/``I``, ``5``/``S``, ``8``/``B``, ``2``/``Z``, ``6``/``G``, and
the filler ``<`` read as ``K``): a typed field agrees with the MRZ when both are equal once those
shapes are folded AND the typed value's own check digit is the check digit read from the MRZ, so the
comparison never rests on the OCR's guess alone.

`mrz_compare` returns one of three outcomes: ``match`` (every comparable field agrees), ``mismatch``
(a field whose MRZ check digit verifies differs from what was typed: a different document) or
``unreadable`` (the MRZ could not confirm the typed identity: a person must look).
"""

from __future__ import annotations

import io
import re
import shutil
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
from PIL import Image

ICAO_WEIGHTS = (7, 3, 1)
# Shapes Tesseract mistakes for one another in OCR-B, folded to one representative.
OCR_CONFUSIONS = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
)
MrzOutcome = Literal["match", "mismatch", "unreadable"]


@dataclass(frozen=True)
class MrzRead:
    """What the MRZ says, as read, with the check digits read beside each field."""

    mrz_type: str
    country: str
    number: str
    number_check: str
    birth_yymmdd: str
    birth_check: str
    surname: str
    given_names: str
    name_field: str
    """The raw name field (``SURNAME<<GIVEN<NAMES<<<``) of the first line, for the name comparison."""


@dataclass(frozen=True)
class MrzComparison:
    outcome: MrzOutcome
    reasons: tuple[str, ...]
    """One code per field that did not match (``mrz_number_mismatch``, ``mrz_birth_date_unreadable``…)."""


def icao_check_digit(field: str) -> str:
    """ICAO 9303 check digit: digits as themselves, A-Z as 10-35, ``<`` as 0, weights 7, 3, 1."""
    total = 0
    for position, character in enumerate(field):
        if character.isdigit():
            value = int(character)
        elif "A" <= character <= "Z":
            value = ord(character) - ord("A") + 10
        else:
            value = 0
        total += value * ICAO_WEIGHTS[position % 3]
    return str(total % 10)


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def mrz_read(bgr: np.ndarray) -> MrzRead | None:
    """The MRZ of a document photo, or None when no MRZ band is found on it."""
    from passporteye import read_mrz

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1])).save(buffer, format="PNG")
    buffer.seek(0)
    with warnings.catch_warnings():  # PassportEye calls scikit-image APIs deprecated in 0.25
        warnings.simplefilter("ignore", FutureWarning)
        found = read_mrz(buffer)
    if found is None:
        return None
    fields = found.to_dict()
    first_line = str(fields.get("raw_text", "")).split("\n")[0]
    return MrzRead(
        mrz_type=str(fields.get("mrz_type") or ""),
        country=str(fields.get("country") or ""),
        number=str(fields.get("number") or "").replace("<", ""),
        number_check=str(fields.get("check_number") or ""),
        birth_yymmdd=str(fields.get("date_of_birth") or ""),
        birth_check=str(fields.get("check_date_of_birth") or ""),
        surname=str(fields.get("surname") or ""),
        given_names=str(fields.get("names") or ""),
        name_field=_name_field(str(fields.get("mrz_type") or ""), first_line),
    )


def _name_field(mrz_type: str, first_line: str) -> str:
    return first_line[5:] if mrz_type in {"TD2", "TD3"} else ""


def _folded(text: str) -> str:
    return text.upper().translate(OCR_CONFUSIONS)


def _field_outcome(typed: str, read: str, read_check: str) -> MrzOutcome:
    """One field: equal up to OCR shapes and the typed value's check digit is the one read -> match;
    the MRZ field verifies on its own and differs -> mismatch; otherwise unreadable."""
    if _folded(typed) == _folded(read) and icao_check_digit(typed) == read_check:
        return "match"
    if read and read_check.isdigit() and icao_check_digit(read) == read_check:
        return "mismatch"
    return "unreadable"


def _name_outcome(full_name: str, read: MrzRead) -> MrzOutcome | None:
    """A Latin-script typed name against the MRZ's name field (either order of surname and given
    names); None when the typed name is not in Latin script (the MRZ cannot confirm it)."""
    tokens = re.findall(r"[A-Z]+", full_name.upper())
    if not tokens or not re.fullmatch(r"[A-Za-z\s'.-]+", full_name):
        return None
    field = read.name_field.upper()
    if not field:
        return "unreadable"
    fill = "[<K]"  # the filler, which OCR often reads as K
    for order in (tokens, tokens[1:] + tokens[:1], tokens[-1:] + tokens[:-1]):
        pattern = f"{order[0]}{fill}{{2}}" + fill.join(order[1:]) if len(order) > 1 else order[0]
        if re.match(pattern, field) or re.match(pattern, _folded_letters(field)):
            return "match"
    surname = read.surname.replace("<", "").strip()
    if surname and surname.isalpha() and surname not in tokens:
        return "mismatch"
    return "unreadable"


def _folded_letters(field: str) -> str:
    return field.replace("0", "O").replace("1", "I")


def mrz_compare(read: MrzRead, *, number: str, birth_date: date | None, full_name: str) -> MrzComparison:
    """Hold the typed number, birth date and (Latin) name against the MRZ read from the photo."""
    outcomes = {"number": _field_outcome(number, read.number, read.number_check)}
    if birth_date is not None:
        outcomes["birth_date"] = _field_outcome(birth_date.strftime("%y%m%d"), read.birth_yymmdd, read.birth_check)
    name = _name_outcome(full_name, read)
    if name is not None:
        outcomes["name"] = name
    reasons = tuple(f"mrz_{field}_{outcome}" for field, outcome in outcomes.items() if outcome != "match")
    if any(outcome == "mismatch" for outcome in outcomes.values()):
        return MrzComparison("mismatch", reasons)
    if reasons:
        return MrzComparison("unreadable", reasons)
    return MrzComparison("match", ())
