"""A catalogue of bad inputs to every API endpoint: each gets a clear 4xx JSON error and writes nothing.

Replays of a finished session's requests (consent, document, alternative, cancel, decision on an
approved, rejected, expired or cancelled session) are answered 409. The number of bad inputs tried is
printed in the terminal summary (tests/security/conftest.py).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from registration import services
from registration.models import EvidenceKind, VerificationSession
from registration.roles import SUPERVISOR
from registration.state_machine import SessionState
from tests.factories import UserFactory, make_prc_id
from tests.registration.services.test_documents import _blank_jpeg, _bomb_png, _jpeg

from .report import record_access, record_bad_input
from .snapshot import database_snapshot

pytestmark = [pytest.mark.security, pytest.mark.django_db]

S = SessionState
ONE_MB = 1024 * 1024


@dataclass(frozen=True)
class Images:
    specimen: bytes  # a real ID document photo
    face: np.ndarray  # a real face photo (BGR)


@pytest.fixture(scope="module")
def images(testdata: Path) -> Images:
    face = cv2.imread(str(testdata / "verification" / "deepface" / "img1.jpg"))
    assert face is not None
    return Images((testdata / "id_documents" / "100_pass-chn.jpg").read_bytes(), face)


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 200, 10)).save(buffer, format="GIF")
    return buffer.getvalue()


def _file(data: bytes, name: str = "document.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


Request = Callable[[Images | None], dict[str, Any]]


def json_body(body: Any) -> Request:
    return lambda images: {"data": body, "format": "json"}


def raw(body: str | bytes, content_type: str = "application/json") -> Request:
    return lambda images: {"data": body, "content_type": content_type}


def upload(make: Callable[[Any], bytes], **fields: Any) -> Request:
    """A multipart upload; `make` gets the shared images (None unless the case says it needs them)."""

    def build(images: Images | None) -> dict[str, Any]:
        return {"data": {"image": _file(make(images)), **fields}, "format": "multipart"}

    return build


def multipart(fields: dict[str, Any]) -> Request:
    return lambda images: {"data": fields, "format": "multipart"}


@dataclass(frozen=True)
class BadInput:
    name: str
    session: str  # "" for a collection endpoint, else the state of outlet A's session to aim at
    action: str  # the path after /api/sessions/{id}/, or a full path when session is ""
    request: Request
    status: int
    code: str  # the error code expected in {"error": {"code"}}, or a field name in its details
    method: str = "POST"
    user: str = "clerk"
    needs_images: bool = False
    minor: bool = False  # the session's customer is under 14 (a guardian consents too)


REGISTRATION = {"full_name": "钱 八", "document_type": "prc_id", "phone_number": "+8613900139000"}
NAME_201 = "名" * 201


def _wrong_check_digit() -> str:
    number = make_prc_id()
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def _registration(**overrides: Any) -> dict[str, Any]:
    return {**REGISTRATION, "document_number": make_prc_id(), **overrides}


# --- Unicode spellings of identifiers: every digit form and confusable, every field ------------------
def _digit_run(zero: int) -> str:
    """The ten digits of a script whose zero is at code point `zero` (Unicode keeps them in order)."""
    return "".join(chr(zero + value) for value in range(10))


# Escapes rather than the characters themselves: they look like ASCII digits and letters in an editor.
DIGIT_FORMS = {
    "full-width digits": _digit_run(0xFF10),
    "Arabic-Indic digits": _digit_run(0x0660),
    "Persian digits": _digit_run(0x06F0),
    "Devanagari digits": _digit_run(0x0966),
    "mathematical bold digits": _digit_run(0x1D7CE),
}


def _digits_as(number: str, digits: str) -> str:
    return number.translate(str.maketrans("0123456789", digits))


def _one_fullwidth(number: str) -> str:
    """Only the second-to-last digit full-width: the rest still looks like an ordinary number."""
    return number[:-2] + _digits_as(number[-2], DIGIT_FORMS["full-width digits"]) + number[-1]


def _prc_id_ending_in_x() -> str:
    while not (number := make_prc_id()).endswith("X"):
        pass
    return number


def _inserted(number: str, character: str) -> str:
    return number[:6] + character + number[6:]


PRC_ID = make_prc_id()
PRC_ID_X = _prc_id_ending_in_x()
PRC_ID_SPELLINGS: dict[str, str] = {
    **{form: _digits_as(PRC_ID, digits) for form, digits in DIGIT_FORMS.items()},
    "one full-width digit": _one_fullwidth(PRC_ID),
    "Cyrillic Ha as the check character": PRC_ID_X[:-1] + "\N{CYRILLIC CAPITAL LETTER HA}",
    "full-width X as the check character": PRC_ID_X[:-1] + "\N{FULLWIDTH LATIN CAPITAL LETTER X}",
    "ideographic space inside": _inserted(PRC_ID, "\N{IDEOGRAPHIC SPACE}"),
    "zero-width space inside": _inserted(PRC_ID, "\N{ZERO WIDTH SPACE}"),
    "superscript digit": PRC_ID[:-2] + "\N{SUPERSCRIPT ONE}" + PRC_ID[-1],
}
OTHER_DOCUMENT_SPELLINGS: dict[str, dict[str, str]] = {
    "passport": {
        "full-width digits": "E" + _digits_as("12345678", DIGIT_FORMS["full-width digits"]),
        "Arabic-Indic digits": "E" + _digits_as("12345678", DIGIT_FORMS["Arabic-Indic digits"]),
        "Cyrillic Ie as the letter": "\N{CYRILLIC CAPITAL LETTER IE}12345678",
        "full-width E as the letter": "\N{FULLWIDTH LATIN CAPITAL LETTER E}12345678",
    },
    "hk_macao_permit": {
        "full-width digits": "H" + _digits_as("12345678", DIGIT_FORMS["full-width digits"]),
        "Persian digits": "M" + _digits_as("12345678", DIGIT_FORMS["Persian digits"]),
        "Cyrillic En as the prefix": "\N{CYRILLIC CAPITAL LETTER EN}12345678",
        "Greek Mu as the prefix": "\N{GREEK CAPITAL LETTER MU}12345678",
    },
    "taiwan_permit": {
        "full-width digits": _digits_as("12345678", DIGIT_FORMS["full-width digits"]),
        "Arabic-Indic digits": _digits_as("12345678", DIGIT_FORMS["Arabic-Indic digits"]),
        "Devanagari digits": _digits_as("12345678", DIGIT_FORMS["Devanagari digits"]),
        "mathematical bold digits": _digits_as("12345678", DIGIT_FORMS["mathematical bold digits"]),
    },
}
PHONE_SPELLINGS = {
    **{form: "+86139" + _digits_as("00139000", digits) for form, digits in DIGIT_FORMS.items()},
    "all full-width, with a full-width plus": "\N{FULLWIDTH PLUS SIGN}"
    + _digits_as("8613900139000", DIGIT_FORMS["full-width digits"]),
    "one full-width digit": _one_fullwidth("+8613900139000"),
    "ideographic space inside": "139\N{IDEOGRAPHIC SPACE}0013\N{IDEOGRAPHIC SPACE}9000",
}
CONSENT_WITH_GUARDIAN = {"consent_version": "3", "language": "zh-hans", "guardian_name": "钱 父"}


def _unicode_identifier_cases() -> list[BadInput]:
    cases = [
        BadInput(
            f"create: PRC ID, {form}",
            "",
            CREATE,
            json_body(_registration(document_number=number)),
            400,
            "id_not_ascii",
        )
        for form, number in PRC_ID_SPELLINGS.items()
    ]
    cases += [
        BadInput(
            f"create: {document_type}, {form}",
            "",
            CREATE,
            json_body(_registration(document_type=document_type, document_number=number)),
            400,
            "id_not_ascii",
        )
        for document_type, spellings in OTHER_DOCUMENT_SPELLINGS.items()
        for form, number in spellings.items()
    ]
    cases += [
        BadInput(
            f"create: phone, {form}", "", CREATE, json_body(_registration(phone_number=phone)), 400, "phone_not_ascii"
        )
        for form, phone in PHONE_SPELLINGS.items()
    ]
    cases += [
        BadInput(
            f"search: phone, {form}",
            "",
            "/api/sessions/search/",
            json_body({"phone_number": phone}),
            400,
            "phone_not_ascii",
        )
        for form, phone in list(PHONE_SPELLINGS.items())[:2]
    ]
    cases += [
        BadInput(
            f"consent: guardian's PRC ID, {form}",
            S.DOCUMENT_CAPTURED,
            "consent",
            json_body({**CONSENT_WITH_GUARDIAN, "guardian_document_number": number}),
            400,
            "id_not_ascii",
            minor=True,
        )
        for form, number in PRC_ID_SPELLINGS.items()
        if form in {"full-width digits", "Arabic-Indic digits", "Cyrillic Ha as the check character"}
    ]
    return cases


CREATE = "/api/sessions/"
CATALOGUE: list[BadInput] = [
    # --- the registration form -------------------------------------------------------------------
    BadInput("create: malformed JSON", "", CREATE, raw('{"full_name": "x",'), 400, "parse_error"),
    BadInput("create: invalid UTF-8", "", CREATE, raw(b'{"full_name": "\xff\xfe"}'), 400, "parse_error"),
    BadInput("create: NaN in JSON", "", CREATE, raw('{"full_name": NaN}'), 400, "parse_error"),
    BadInput("create: deeply nested JSON", "", CREATE, raw("[" * 100_000 + "]" * 100_000), 400, "parse_error"),
    BadInput("create: JSON array", "", CREATE, json_body([_registration()]), 400, "invalid_input"),
    BadInput("create: JSON string", "", CREATE, raw('"hello"'), 400, "invalid_input"),
    BadInput("create: JSON null", "", CREATE, raw("null"), 400, "invalid_input"),
    BadInput("create: empty body", "", CREATE, raw(""), 400, "invalid_input"),
    BadInput("create: name is a number", "", CREATE, json_body(_registration(full_name=42)), 400, "full_name"),
    BadInput("create: name is a list", "", CREATE, json_body(_registration(full_name=["a"])), 400, "full_name"),
    BadInput(
        "create: number is an object", "", CREATE, json_body(_registration(document_number={})), 400, "document_number"
    ),
    BadInput(
        "create: birth date a number", "", CREATE, json_body(_registration(birth_date=19900307)), 400, "birth_date"
    ),
    BadInput(
        "create: birth date not a date",
        "",
        CREATE,
        json_body(_registration(birth_date="1990-02-30")),
        400,
        "birth_date",
    ),
    BadInput("create: unknown field", "", CREATE, json_body(_registration(is_superuser=True)), 400, "is_superuser"),
    BadInput("create: missing fields", "", CREATE, json_body({"full_name": "x"}), 400, "document_number"),
    BadInput("create: name 201 chars", "", CREATE, json_body(_registration(full_name=NAME_201)), 400, "full_name"),
    BadInput(
        "create: number 33 chars",
        "",
        CREATE,
        json_body(_registration(document_number="1" * 33)),
        400,
        "document_number",
    ),
    BadInput(
        "create: phone 25 chars", "", CREATE, json_body(_registration(phone_number="1" * 25)), 400, "phone_number"
    ),
    BadInput("create: NUL in the name", "", CREATE, json_body(_registration(full_name="张\x00三")), 400, "full_name"),
    BadInput("create: blank name", "", CREATE, json_body(_registration(full_name=" \t ")), 400, "full_name"),
    BadInput(
        "create: bidi override in the name",
        "",
        CREATE,
        json_body(_registration(full_name="张\u202e三")),
        400,
        "full_name",
    ),
    BadInput(
        "create: zero-width space in the name",
        "",
        CREATE,
        json_body(_registration(full_name="张\u200b三")),
        400,
        "full_name",
    ),
    BadInput(
        "create: zero-width joiner in the name",
        "",
        CREATE,
        json_body(_registration(full_name="张\u200d三")),
        400,
        "full_name",
    ),
    BadInput(
        "create: bad ID checksum",
        "",
        CREATE,
        json_body(_registration(document_number=_wrong_check_digit())),
        400,
        "id_checksum",
    ),
    BadInput(
        "create: unknown document type",
        "",
        CREATE,
        json_body(_registration(document_type="library")),
        400,
        "document_type",
    ),
    BadInput(
        "create: bad phone number", "", CREATE, json_body(_registration(phone_number="12345")), 400, "phone_format"
    ),
    BadInput("create: text/plain body", "", CREATE, raw("full_name=x", "text/plain"), 415, "unsupported_media_type"),
    BadInput(
        "create: XML body",
        "",
        CREATE,
        raw("<full_name>x</full_name>", "application/xml"),
        415,
        "unsupported_media_type",
    ),
    BadInput(
        "create: form-encoded body",
        "",
        CREATE,
        raw("full_name=x", "application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    ),
    BadInput(
        "create: 10 MB JSON", "", CREATE, raw('{"full_name": "' + "x" * (10 * ONE_MB) + '"}'), 413, "request_too_large"
    ),
    # --- reads ---------------------------------------------------------------------------------
    BadInput("list: limit 0", "", "/api/sessions/?limit=0", raw(""), 400, "limit", method="GET"),
    BadInput("list: limit not a number", "", "/api/sessions/?limit=all", raw(""), 400, "limit", method="GET"),
    BadInput("list: negative offset", "", "/api/sessions/?offset=-1", raw(""), 400, "offset", method="GET"),
    BadInput("list: bad date", "", "/api/sessions/?date=yesterday", raw(""), 400, "date", method="GET"),
    BadInput("list: unknown filter", "", "/api/sessions/?outlet=2", raw(""), 400, "outlet", method="GET"),
    BadInput("consent text: unknown kind", "", "/api/consent-text/?kind=marketing", raw(""), 400, "kind", method="GET"),
    BadInput("session: not a UUID", "", "/api/sessions/not-a-uuid/", raw(""), 404, "not_found", method="GET"),
    BadInput(
        "session: unknown UUID",
        "",
        "/api/sessions/00000000-0000-4000-8000-000000000000/",
        raw(""),
        404,
        "not_found",
        method="GET",
    ),
    BadInput("unknown API path", "", "/api/sessions/export-all/", raw(""), 404, "not_found", method="GET"),
    # --- consent ---------------------------------------------------------------------------------
    BadInput(
        "consent: malformed JSON", S.DOCUMENT_CAPTURED, "consent", raw('{"consent_version": '), 400, "parse_error"
    ),
    BadInput(
        "consent: unknown version",
        S.DOCUMENT_CAPTURED,
        "consent",
        json_body({"consent_version": "99"}),
        400,
        "consent_version",
    ),
    BadInput(
        "consent: version a list",
        S.DOCUMENT_CAPTURED,
        "consent",
        json_body({"consent_version": ["2"]}),
        400,
        "consent_version",
    ),
    BadInput(
        "consent: version 33 chars",
        S.DOCUMENT_CAPTURED,
        "consent",
        json_body({"consent_version": "3" * 33}),
        400,
        "consent_version",
    ),
    BadInput(
        "consent: unknown field",
        S.DOCUMENT_CAPTURED,
        "consent",
        json_body({"consent_version": "3", "scope": "all"}),
        400,
        "scope",
    ),
    BadInput(
        "consent: bad guardian document type",
        S.DOCUMENT_CAPTURED,
        "consent",
        json_body({"consent_version": "3", "guardian_document_type": "x"}),
        400,
        "guardian_document_type",
    ),
    BadInput(
        "consent: text/plain body",
        S.DOCUMENT_CAPTURED,
        "consent",
        raw("consent_version=2", "text/plain"),
        415,
        "unsupported_media_type",
    ),
    # --- alternative and cancel ------------------------------------------------------------------
    BadInput(
        "alternative: reason 401 chars",
        S.DOCUMENT_CAPTURED,
        "alternative",
        json_body({"reason": "r" * 401}),
        400,
        "reason",
    ),
    BadInput(
        "alternative: reason an object",
        S.DOCUMENT_CAPTURED,
        "alternative",
        json_body({"reason": {"a": 1}}),
        400,
        "reason",
    ),
    BadInput(
        "alternative: unknown field",
        S.DOCUMENT_CAPTURED,
        "alternative",
        json_body({"reason": "", "state": "approved"}),
        400,
        "state",
    ),
    BadInput("cancel: reason a number", S.CREATED, "cancel", json_body({"reason": 7}), 400, "reason"),
    BadInput("cancel: unknown field", S.CREATED, "cancel", json_body({"state": "approved"}), 400, "state"),
    BadInput("cancel: JSON array", S.CREATED, "cancel", json_body([]), 400, "invalid_input"),
    # --- the supervisor's decision ---------------------------------------------------------------
    BadInput(
        "decision: unknown decision",
        S.MANUAL_REVIEW,
        "decision",
        json_body({"decision": "maybe", "note": "n"}),
        400,
        "decision",
        user="supervisor",
    ),
    BadInput(
        "decision: decision a bool",
        S.MANUAL_REVIEW,
        "decision",
        json_body({"decision": True, "note": "n"}),
        400,
        "decision",
        user="supervisor",
    ),
    BadInput(
        "decision: blank note",
        S.MANUAL_REVIEW,
        "decision",
        json_body({"decision": "approved", "note": " "}),
        400,
        "note",
        user="supervisor",
    ),
    BadInput(
        "decision: note 1001 chars",
        S.MANUAL_REVIEW,
        "decision",
        json_body({"decision": "approved", "note": "n" * 1001}),
        400,
        "note",
        user="supervisor",
    ),
    BadInput(
        "decision: no note",
        S.MANUAL_REVIEW,
        "decision",
        json_body({"decision": "approved"}),
        400,
        "note",
        user="supervisor",
    ),
    BadInput(
        "decision: unknown field",
        S.MANUAL_REVIEW,
        "decision",
        json_body({"decision": "approved", "note": "n", "decided_by": 1}),
        400,
        "decided_by",
        user="supervisor",
    ),
    # --- the document photo ------------------------------------------------------------------------
    BadInput(
        "document: text, not an image", S.CREATED, "document", upload(lambda i: b"not an image"), 400, "not_an_image"
    ),
    BadInput(
        "document: truncated image",
        S.CREATED,
        "document",
        upload(lambda i: i.specimen[: len(i.specimen) // 2]),
        400,
        "not_an_image",
        needs_images=True,
    ),
    BadInput(
        "document: PDF named .jpg",
        S.CREATED,
        "document",
        upload(lambda i: b"%PDF-1.4\n%\xe2\xe3\n1 0 obj"),
        400,
        "not_an_image",
    ),
    BadInput("document: GIF", S.CREATED, "document", upload(lambda i: _gif()), 400, "not_an_image"),
    BadInput(
        "document: decompression bomb",
        S.CREATED,
        "document",
        upload(lambda i: _bomb_png()),
        400,
        "decompression_bomb",
    ),
    BadInput(
        "document: 9 MB upload",
        S.CREATED,
        "document",
        upload(lambda i: b"\xff\xd8" + b"\0" * (9 * ONE_MB)),
        400,
        "upload_too_large",
    ),
    BadInput("document: empty file", S.CREATED, "document", upload(lambda i: b""), 400, "image"),
    BadInput(
        "document: no face",
        S.CREATED,
        "document",
        upload(lambda i: _blank_jpeg()),
        400,
        "no_face_found",
        needs_images=True,
    ),
    BadInput(
        "document: several faces",
        S.CREATED,
        "document",
        upload(lambda i: _jpeg(np.hstack([i.face, i.face]))),
        400,
        "several_faces",
        needs_images=True,
    ),
    BadInput("document: no image field", S.CREATED, "document", multipart({"source": "photo"}), 400, "image"),
    BadInput(
        "document: image is text",
        S.CREATED,
        "document",
        multipart({"image": "data:image/jpeg;base64,AA"}),
        400,
        "image",
    ),
    BadInput(
        "document: unknown source",
        S.CREATED,
        "document",
        upload(lambda i: _blank_jpeg(), source="scanner"),
        400,
        "source",
    ),
    BadInput(
        "document: unknown field", S.CREATED, "document", upload(lambda i: _blank_jpeg(), owner="x"), 400, "owner"
    ),
    BadInput("document: JSON instead of a file", S.CREATED, "document", json_body({"image": "AAAA"}), 400, "image"),
    # --- replays of a finished session's requests: 409, nothing written ----------------------------
    *[
        BadInput(f"replay on {state}: {action}", state, action, json_body(body), 409, code, user=user)
        for state in (S.APPROVED, S.REJECTED, S.EXPIRED, S.CANCELLED)
        for action, body, user, code in (
            ("consent", {"consent_version": "3"}, "clerk", "illegal_transition"),
            ("alternative", {"reason": "again"}, "clerk", "illegal_transition"),
            ("cancel", {}, "clerk", "illegal_transition"),
            ("decision", {"decision": "approved", "note": "again"}, "supervisor", "illegal_transition"),
        )
    ],
    *[
        BadInput(
            f"replay on {state}: document",
            state,
            "document",
            upload(lambda i: _blank_jpeg()),
            409,
            "illegal_transition",
        )
        for state in (S.APPROVED, S.EXPIRED)
    ],
    BadInput(
        "replay: consent twice", S.CONSENTED, "consent", json_body({"consent_version": "3"}), 409, "illegal_transition"
    ),
    BadInput(
        "replay: decision before review",
        S.CREATED,
        "decision",
        json_body({"decision": "approved", "note": "n"}),
        409,
        "illegal_transition",
        user="supervisor",
    ),
    *_unicode_identifier_cases(),
]


@pytest.fixture
def users(outlet: Any, clerk: Any, supervisor: Any) -> dict[str, Any]:
    return {"clerk": clerk, "supervisor": supervisor}


def _session_in(
    state: str,
    *,
    clerk: Any,
    supervisor: Any,
    make_session: Callable[..., VerificationSession],
    minor: bool = False,
) -> VerificationSession:
    """A session of outlet A brought to `state` through the services where a path exists."""
    child = {"document_number": make_prc_id(birth_date=date(timezone.localdate().year - 10, 1, 1))} if minor else {}
    session = make_session(**child)
    if state != S.CREATED:  # the clerk's document photo first (a stand-in: no face model reads it here)
        services.evidence_store(
            session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"\xff\xd8photo", content_type="image/jpeg"
        )
        VerificationSession.objects.filter(pk=session.pk).update(state=S.DOCUMENT_CAPTURED)
    if state in {S.CONSENTED, S.REJECTED}:
        services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
    if state in {S.MANUAL_REVIEW, S.APPROVED}:  # the supervisor approves with the document photo at hand
        services.session_request_alternative(session_id=session.pk, actor=clerk, reason="declined")
    if state == S.APPROVED:
        services.session_decide(session_id=session.pk, supervisor=supervisor, decision="approved", note="checked")
    if state == S.CANCELLED:
        services.session_cancel(session_id=session.pk, actor=clerk)
    if state in {S.REJECTED, S.EXPIRED}:  # the worker's and the clock's outcomes
        VerificationSession.objects.filter(pk=session.pk).update(state=state, decision=state)
    return VerificationSession.objects.get(pk=session.pk)


@pytest.mark.parametrize("bad", CATALOGUE, ids=[bad.name for bad in CATALOGUE])
def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    bad: BadInput,
    users: dict[str, Any],
    make_session: Callable[..., VerificationSession],
    request: pytest.FixtureRequest,
) -> None:
    images = request.getfixturevalue("images") if bad.needs_images else None
    path = bad.action
    if bad.session:
        session = _session_in(
            bad.session,
            clerk=users["clerk"],
            supervisor=users["supervisor"],
            make_session=make_session,
            minor=bad.minor,
        )
        path = f"/api/sessions/{session.pk}/{bad.action}/"
    client = APIClient()
    client.force_login(users[bad.user])
    before = database_snapshot()

    response = getattr(client, bad.method.lower())(path, **bad.request(images))

    code = response.json()["error"]["code"] if response["Content-Type"] == "application/json" else "(not JSON)"
    record_bad_input(bad.name, expected=bad.status, got=response.status_code, code=code)
    if bad.name.startswith("replay on"):
        record_access(
            f"POST api/sessions/{{id}}/{bad.action}/", "wrong state", expected=bad.status, got=response.status_code
        )
    assert response.status_code == bad.status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    assert error["code"] == bad.code or bad.code in error["details"], error
    assert database_snapshot() == before


def test_another_outlets_supervisor_cannot_decide_even_with_a_valid_body(
    make_session: Callable[..., VerificationSession], clerk: Any, other_outlet: Any
) -> None:
    photographed = make_session(state=S.DOCUMENT_CAPTURED, portrait=b"\xff\xd8photo")
    session = services.session_request_alternative(session_id=photographed.pk, actor=clerk, reason="declined")
    stranger: Any = UserFactory(role=SUPERVISOR, outlet=other_outlet, is_staff=True)
    client = APIClient()
    client.force_login(stranger)
    before = database_snapshot()
    response = client.post(
        f"/api/sessions/{session.pk}/decision/", {"decision": "approved", "note": "x"}, format="json"
    )
    record_bad_input(
        "decision: other outlet's supervisor",
        expected=404,
        got=response.status_code,
        code=response.json()["error"]["code"],
    )
    assert response.status_code == 404
    assert database_snapshot() == before
