"""Every HTTP endpoint tried as anonymous, as another outlet's staff, as a clerk where a supervisor is
needed, and as the right user: the exact status, and nothing written by a refused request.

The results go into the access table printed in the terminal summary (tests/security/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from registration import services
from registration.models import AuditEvent, ChipRegistration, EvidenceKind, VerificationSession
from registration.roles import CLERK, SUPERVISOR
from registration.state_machine import SessionState
from tests.factories import UserFactory, make_phone, make_prc_id

from .report import record_access
from .snapshot import database_snapshot

pytestmark = [pytest.mark.security, pytest.mark.django_db]

S = SessionState
ANONYMOUS, OTHER_OUTLET, WRONG_ROLE, RIGHT_USER = "anonymous", "other outlet", "wrong role", "right user"
WRONG_STATE = "wrong state"


@dataclass
class World:
    """Two outlets, staff of each role, and outlet A's sessions at the steps the endpoints need."""

    users: dict[str, Any]
    sessions: dict[str, VerificationSession]


@pytest.fixture
def world(outlet: Any, other_outlet: Any, clerk: Any, supervisor: Any, other_clerk: Any) -> World:
    users = {
        "anonymous": None,
        "clerk": clerk,
        "supervisor": supervisor,
        "other_clerk": other_clerk,
        "other_supervisor": UserFactory(role=SUPERVISOR, outlet=other_outlet, is_staff=True),
        # A clerk who was given admin-site access by mistake must still not see evidence.
        "staff_clerk": UserFactory(role=CLERK, outlet=outlet, is_staff=True),
        "no_role": UserFactory(role=None, outlet=outlet),
    }
    users["no_role"].groups.clear()

    def create() -> VerificationSession:
        return services.registration_create(
            clerk=clerk,
            full_name="王 五",
            document_type="prc_id",
            document_number=make_prc_id(),
            phone_number=make_phone(),
        )

    def photographed() -> VerificationSession:
        session = create()
        for kind in (EvidenceKind.ID_PORTRAIT, EvidenceKind.DOCUMENT_PHOTO):
            services.evidence_store(session=session, kind=kind, content=b"\xff\xd8jpeg", content_type="image/jpeg")
        VerificationSession.objects.filter(pk=session.pk).update(state=S.DOCUMENT_CAPTURED)
        return session

    created = create()
    captured = photographed()
    consented = services.consent_record(
        session_id=photographed().pk, actor=clerk, consent_version="3", language="zh-hans"
    )
    review = photographed()
    services.evidence_store(
        session=review, kind=EvidenceKind.LIVE_FRAME, content=b"\xff\xd8jpeg", content_type="image/jpeg"
    )
    services.session_request_alternative(session_id=review.pk, actor=clerk, reason="declined face processing")
    # The registration page's chip read that opened `created` (a session takes its request's id).
    ChipRegistration.objects.create(
        pk=created.pk, outlet=outlet, clerk=clerk, expires_at=timezone.now(), outcome="registered"
    )
    sessions = {"created": created, "consented": consented, "captured": captured, "review": review}
    return World(users=users, sessions={name: _fresh(session) for name, session in sessions.items()})


def _fresh(session: VerificationSession) -> VerificationSession:
    return VerificationSession.objects.get(pk=session.pk)


@dataclass(frozen=True)
class Case:
    endpoint: str  # the label in the table
    method: str
    path: str  # may name a session of the world: {created}, {consented}, {captured}, {review}
    user: str  # a key of World.users
    actor: str  # the table column
    expected: int
    body: dict[str, Any] | None = None
    multipart: bool = False
    # For allowed requests: what must (not) be in the response, and whether the request may write.
    hidden: tuple[str, ...] = ()
    writes: bool = False
    redirect_to: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.endpoint}|{self.user}" + (" (wrong state)" if self.actor == WRONG_STATE else "")


NEW_REGISTRATION = {
    "full_name": "新 客户",
    "document_type": "prc_id",
    "document_number": "",  # filled per test
    "phone_number": "",
}
CONSENT = {"consent_version": "3", "language": "zh-hans"}
DECISION = {"decision": "approved", "note": "document checked by hand"}
CHIP = {"phone_number": "+8613800000001"}


def _session_cases(
    endpoint: str, method: str, path: str, ok: int, body: dict[str, Any] | None = None, **kw: Any
) -> list[Case]:
    """Anonymous, both users of the other outlet, and the outlet's clerk."""
    return [
        Case(endpoint, method, path, "anonymous", ANONYMOUS, 403, body, **kw),
        Case(endpoint, method, path, "other_clerk", OTHER_OUTLET, 404, body, **kw),
        Case(endpoint, method, path, "other_supervisor", OTHER_OUTLET, 404, body, **kw),
        Case(endpoint, method, path, "clerk", RIGHT_USER, ok, body, writes=method == "POST", **kw),
    ]


def _page_cases(endpoint: str, path: str, ok: int, redirect_to: str = "") -> list[Case]:
    return [
        Case(endpoint, "GET", path, "anonymous", ANONYMOUS, 302, redirect_to="/login/?next="),
        Case(endpoint, "GET", path, "other_clerk", OTHER_OUTLET, 404),
        Case(endpoint, "GET", path, "clerk", RIGHT_USER, ok, redirect_to=redirect_to),
    ]


EVIDENCE_URL = "/admin/registration/verificationsession/{review}/evidence/live_frame/"
QUEUE_URL = "/admin/registration/manualreviewsession/"
REVIEW_IMAGE_URL = "/review/{review}/live.jpg"
DOCUMENT_PHOTO_URL = "/review/{review}/document.jpg"

PHONE_SEARCH = {"phone_number": "+8613800000000"}

CASES: list[Case] = [
    # --- public by design -------------------------------------------------------------------
    Case("GET api/health/", "GET", "/api/health/", "anonymous", ANONYMOUS, 200),
    Case(
        "POST api/auth/token/",
        "POST",
        "/api/auth/token/",
        "anonymous",
        ANONYMOUS,
        400,
        {"username": "clerk", "password": "wrong"},
    ),
    Case("POST api/auth/token/revoke/", "POST", "/api/auth/token/revoke/", "anonymous", ANONYMOUS, 403, {}),
    Case("POST api/auth/token/revoke/", "POST", "/api/auth/token/revoke/", "clerk", RIGHT_USER, 204, {}, writes=True),
    Case("GET login/", "GET", "/login/", "anonymous", ANONYMOUS, 200),
    Case("GET jsi18n/", "GET", "/jsi18n/", "anonymous", ANONYMOUS, 200),
    # One language's script words as JSON (the live check's language switch): the same public words.
    Case("GET jsi18n/<language>.json", "GET", "/jsi18n/en.json", "anonymous", ANONYMOUS, 200),
    Case("GET jsi18n/<language>.json", "GET", "/jsi18n/xx.json", "anonymous", ANONYMOUS, 404),
    # The installable app's manifest and icon hold no data: public, like the static files.
    Case("GET manifest.webmanifest", "GET", "/manifest.webmanifest", "anonymous", ANONYMOUS, 200),
    Case("GET favicon.ico", "GET", "/favicon.ico", "anonymous", ANONYMOUS, 301),
    Case("POST logout/", "POST", "/logout/", "anonymous", ANONYMOUS, 302, {}, redirect_to="/login/"),
    # --- API ----------------------------------------------------------------------------------
    # The API's description is for signed-in staff: a stranger is sent to the sign-in.
    Case("GET api/schema/", "GET", "/api/schema/", "anonymous", ANONYMOUS, 302, redirect_to="/login/?next="),
    Case("GET api/docs/", "GET", "/api/docs/", "anonymous", ANONYMOUS, 302, redirect_to="/login/?next="),
    Case("GET api/consent-text/", "GET", "/api/consent-text/", "anonymous", ANONYMOUS, 403),
    Case("GET api/consent-text/", "GET", "/api/consent-text/", "clerk", RIGHT_USER, 200),
    Case("GET api/sessions/", "GET", "/api/sessions/", "anonymous", ANONYMOUS, 403),
    Case(
        "GET api/sessions/",
        "GET",
        "/api/sessions/",
        "other_clerk",
        OTHER_OUTLET,
        200,
        hidden=("{created}", "{review}", "王 五"),
    ),
    Case("GET api/sessions/", "GET", "/api/sessions/", "clerk", RIGHT_USER, 200),
    Case("POST api/sessions/search/", "POST", "/api/sessions/search/", "anonymous", ANONYMOUS, 403, PHONE_SEARCH),
    Case(
        "POST api/sessions/search/",
        "POST",
        "/api/sessions/search/",
        "other_clerk",
        OTHER_OUTLET,
        200,
        PHONE_SEARCH,
        hidden=("{created}", "{review}", "王 五"),
    ),
    Case("POST api/sessions/search/", "POST", "/api/sessions/search/", "clerk", RIGHT_USER, 200, PHONE_SEARCH),
    Case("POST api/sessions/", "POST", "/api/sessions/", "anonymous", ANONYMOUS, 403, NEW_REGISTRATION),
    Case("POST api/sessions/", "POST", "/api/sessions/", "no_role", WRONG_ROLE, 403, NEW_REGISTRATION),
    Case("POST api/sessions/", "POST", "/api/sessions/", "clerk", RIGHT_USER, 201, NEW_REGISTRATION, writes=True),
    *_session_cases("GET api/sessions/{id}/", "GET", "/api/sessions/{created}/", 200),
    *_session_cases("POST api/sessions/{id}/consent/", "POST", "/api/sessions/{captured}/consent/", 200, CONSENT),
    *_session_cases(
        "POST api/sessions/{id}/alternative/",
        "POST",
        "/api/sessions/{captured}/alternative/",
        200,
        {"reason": "declined"},
    ),
    # The right user reaches the upload's checks (a non-image is refused there, 400): access was granted.
    *_session_cases(
        "POST api/sessions/{id}/document/",
        "POST",
        "/api/sessions/{created}/document/",
        400,
        {"image": "not-a-file"},
        multipart=True,
    ),
    *_session_cases(
        "POST api/sessions/{id}/chip-read-request/", "POST", "/api/sessions/{created}/chip-read-request/", 200, {}
    ),
    # A card reader's agent has no user: its enrolled key signs every message (test_chip_reads). An
    # unsigned one is refused by the protocol's checks; a refused read is still recorded (writes).
    Case(
        "POST api/readers/poll/",
        "POST",
        "/api/readers/poll/",
        "anonymous",
        ANONYMOUS,
        400,
        {"poll": {"protocol": "x"}, "signature": "x"},
    ),
    Case(
        "POST api/readers/reads/",
        "POST",
        "/api/readers/reads/",
        "anonymous",
        ANONYMOUS,
        400,
        {"read": {"protocol": "x"}, "portrait": "", "signature": "x"},
        writes=True,
    ),
    # The registration page asks the outlet's reader for a PRC card's chip: only the phone is typed.
    Case("POST api/chip-registrations/", "POST", "/api/chip-registrations/", "anonymous", ANONYMOUS, 403, CHIP),
    Case("POST api/chip-registrations/", "POST", "/api/chip-registrations/", "no_role", WRONG_ROLE, 403, CHIP),
    Case(
        "POST api/chip-registrations/", "POST", "/api/chip-registrations/", "clerk", RIGHT_USER, 201, CHIP, writes=True
    ),
    *_session_cases("GET api/chip-registrations/{id}/", "GET", "/api/chip-registrations/{created}/", 200),
    *_session_cases("POST api/sessions/{id}/cancel/", "POST", "/api/sessions/{created}/cancel/", 200, {}),
    Case(
        "POST api/sessions/{id}/decision/",
        "POST",
        "/api/sessions/{review}/decision/",
        "anonymous",
        ANONYMOUS,
        403,
        DECISION,
    ),
    Case(
        "POST api/sessions/{id}/decision/",
        "POST",
        "/api/sessions/{review}/decision/",
        "other_clerk",
        OTHER_OUTLET,
        404,
        DECISION,
    ),
    Case(
        "POST api/sessions/{id}/decision/",
        "POST",
        "/api/sessions/{review}/decision/",
        "other_supervisor",
        OTHER_OUTLET,
        404,
        DECISION,
    ),
    Case(
        "POST api/sessions/{id}/decision/",
        "POST",
        "/api/sessions/{review}/decision/",
        "clerk",
        WRONG_ROLE,
        403,
        DECISION,
    ),
    Case(
        "POST api/sessions/{id}/decision/",
        "POST",
        "/api/sessions/{review}/decision/",
        "supervisor",
        RIGHT_USER,
        200,
        DECISION,
        writes=True,
    ),
    # --- admin: evidence only for supervisors of the session's outlet, every view audited ------
    Case("GET admin evidence view", "GET", EVIDENCE_URL, "anonymous", ANONYMOUS, 302, redirect_to="/admin/login/"),
    Case("GET admin evidence view", "GET", EVIDENCE_URL, "clerk", WRONG_ROLE, 302, redirect_to="/admin/login/"),
    Case("GET admin evidence view", "GET", EVIDENCE_URL, "staff_clerk", WRONG_ROLE, 403),
    Case("GET admin evidence view", "GET", EVIDENCE_URL, "other_supervisor", OTHER_OUTLET, 404),
    Case("GET admin evidence view", "GET", EVIDENCE_URL, "supervisor", RIGHT_USER, 200, writes=True),
    # --- the supervisor's review page: supervisors of the case's outlet; each face shown is audited --
    Case("GET review/", "GET", "/review/", "anonymous", ANONYMOUS, 302, redirect_to="/login/?next="),
    Case("GET review/", "GET", "/review/", "clerk", WRONG_ROLE, 403),
    Case("GET review/", "GET", "/review/", "supervisor", RIGHT_USER, 302, redirect_to="/review/{review}/"),
    Case("GET review/{id}/", "GET", "/review/{review}/", "anonymous", ANONYMOUS, 302, redirect_to="/login/?next="),
    Case("GET review/{id}/", "GET", "/review/{review}/", "clerk", WRONG_ROLE, 403),
    Case("GET review/{id}/", "GET", "/review/{review}/", "other_supervisor", OTHER_OUTLET, 404),
    Case("GET review/{id}/", "GET", "/review/{review}/", "supervisor", RIGHT_USER, 200),
    Case("GET review image", "GET", REVIEW_IMAGE_URL, "anonymous", ANONYMOUS, 302, redirect_to="/login/?next="),
    Case("GET review image", "GET", REVIEW_IMAGE_URL, "clerk", WRONG_ROLE, 403),
    Case("GET review image", "GET", REVIEW_IMAGE_URL, "other_supervisor", OTHER_OUTLET, 404),
    Case("GET review image", "GET", REVIEW_IMAGE_URL, "supervisor", RIGHT_USER, 200, writes=True),
    # The whole document page: only to a supervisor who may decide the case, so not before the review.
    Case("GET review document photo", "GET", DOCUMENT_PHOTO_URL, "anonymous", ANONYMOUS, 302,
         redirect_to="/login/?next="),
    Case("GET review document photo", "GET", DOCUMENT_PHOTO_URL, "clerk", WRONG_ROLE, 403),
    Case("GET review document photo", "GET", DOCUMENT_PHOTO_URL, "other_supervisor", OTHER_OUTLET, 404),
    Case("GET review document photo", "GET", "/review/{captured}/document.jpg", "supervisor", WRONG_STATE, 404),
    Case("GET review document photo", "GET", DOCUMENT_PHOTO_URL, "supervisor", RIGHT_USER, 200, writes=True),
    # --- pages ----------------------------------------------------------------------------------
    Case("GET / (home)", "GET", "/", "anonymous", ANONYMOUS, 302, redirect_to="/login/?next="),
    Case("GET / (home)", "GET", "/", "other_clerk", OTHER_OUTLET, 200, hidden=("{created}", "王 五")),
    Case("GET / (home)", "GET", "/", "clerk", RIGHT_USER, 200),
    Case("GET dashboard/", "GET", "/dashboard/", "anonymous", ANONYMOUS, 302, redirect_to="/login/?next="),
    Case("GET dashboard/", "GET", "/dashboard/", "other_clerk", OTHER_OUTLET, 200, hidden=("{created}", "王 五")),
    Case("GET dashboard/", "GET", "/dashboard/", "clerk", RIGHT_USER, 200),
    *_page_cases("GET dashboard/rows/{id}/", "/dashboard/rows/{created}/", 200),
    Case("GET register/", "GET", "/register/", "anonymous", ANONYMOUS, 302, redirect_to="/login/?next="),
    Case("GET register/", "GET", "/register/", "clerk", RIGHT_USER, 200),
    *_page_cases("GET sessions/{id}/", "/sessions/{created}/", 302, redirect_to="/sessions/{created}/document/"),
    *_page_cases("GET sessions/{id}/document/", "/sessions/{created}/document/", 200),
    *_page_cases("GET sessions/{id}/handover/", "/sessions/{captured}/handover/", 200),
    *_page_cases("GET sessions/{id}/consent/", "/sessions/{captured}/consent/", 200),
    *_page_cases("GET sessions/{id}/alternative/", "/sessions/{created}/alternative/", 200),
    *_page_cases("GET sessions/{id}/portrait.jpg", "/sessions/{captured}/portrait.jpg", 200),
    *_page_cases("GET sessions/{id}/capture/", "/sessions/{consented}/capture/", 200),
    *_page_cases("GET sessions/{id}/result/", "/sessions/{review}/result/", 200),
    # --- customer mode: the handover gives the tablet away; the hand-back screen; more time, once ---
    Case("POST sessions/{id}/customer-mode/", "POST", "/sessions/{captured}/customer-mode/", "anonymous", ANONYMOUS,
         302, redirect_to="/login/?next="),
    Case("POST sessions/{id}/customer-mode/", "POST", "/sessions/{captured}/customer-mode/", "other_clerk",
         OTHER_OUTLET, 404),
    Case("POST sessions/{id}/customer-mode/", "POST", "/sessions/{captured}/customer-mode/", "clerk", RIGHT_USER,
         302, redirect_to="/sessions/{captured}/consent/", writes=True),
    Case("GET customer-mode/return/", "GET", "/customer-mode/return/", "anonymous", ANONYMOUS, 302,
         redirect_to="/login/?next="),
    # Nothing to take back while the clerk holds the tablet: home.
    Case("GET customer-mode/return/", "GET", "/customer-mode/return/", "clerk", RIGHT_USER, 302, redirect_to="/"),
    *_session_cases("POST api/sessions/{id}/extend/", "POST", "/api/sessions/{captured}/extend/", 200, {}),
]  # fmt: skip


def _fill(text: str, world: World) -> str:
    return text.format(**{name: session.pk for name, session in world.sessions.items()})


def _client(world: World, user_key: str, *, csrf: bool = False) -> APIClient:
    client = APIClient(enforce_csrf_checks=csrf)
    user = world.users[user_key]
    if user is not None:
        client.force_login(user)
    return client


def _send(client: APIClient, case: Case, world: World, registration_input: Callable[..., dict[str, Any]]) -> Any:
    path = _fill(case.path, world)
    if case.method == "GET":
        return client.get(path)
    body = registration_input() if case.body is NEW_REGISTRATION else dict(case.body or {})
    if case.multipart:
        return client.post(path, body, format="multipart")
    return client.post(path, body, format="json")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_endpoint_access(case: Case, world: World, registration_input: Callable[..., dict[str, Any]]) -> None:
    before = database_snapshot()
    audit_before = AuditEvent.objects.count()
    response = _send(_client(world, case.user), case, world, registration_input)
    record_access(case.endpoint, case.actor, expected=case.expected, got=response.status_code)

    assert response.status_code == case.expected, response.content[:500]
    if case.redirect_to:
        assert response["Location"].startswith(_fill(case.redirect_to, world))
    if case.path.startswith("/api/") and response.status_code >= 400:
        assert set(response.json()) == {"error"}  # the API's one error shape, even for refusals
    body = response.content.decode(errors="replace")
    for secret in case.hidden:
        assert _fill(secret, world) not in body
    if not case.writes:
        after = database_snapshot()
        # Reading evidence is audited: the clerk's look at the portrait writes exactly one audit event.
        if case.endpoint.endswith("portrait.jpg") and case.actor == RIGHT_USER:
            assert AuditEvent.objects.count() == audit_before + 1
            assert AuditEvent.objects.filter(action="evidence.viewed").count() == 1
            after["registration.AuditEvent"] -= 1
        # The supervisor deciding a case reads its full document number: audited the same way.
        if case.endpoint == "GET review/{id}/" and case.actor == RIGHT_USER:
            assert AuditEvent.objects.filter(action="document.number_viewed").count() == 1
            after["registration.AuditEvent"] -= 1
        assert after == before, f"{case.id} wrote something"
    elif case.endpoint in {"GET admin evidence view", "GET review image"}:
        viewed = AuditEvent.objects.filter(action="evidence.viewed", actor=world.users[case.user])
        assert viewed.count() == 1
        purpose = "admin_review" if case.endpoint == "GET admin evidence view" else "supervisor_review"
        assert viewed.get().details == {"kind": "live_frame", "purpose": purpose}
    elif case.endpoint == "GET review document photo":
        assert response.content == b"\xff\xd8jpeg"
        assert response["Cache-Control"] == "no-store, private"
        page_viewed = AuditEvent.objects.get(action="evidence.viewed", actor=world.users[case.user])
        assert page_viewed.details == {"kind": "document_photo", "purpose": "supervisor_document_check"}


def test_session_authenticated_post_without_csrf_token_is_refused(
    world: World, registration_input: Callable[..., dict[str, Any]]
) -> None:
    client = _client(world, "clerk", csrf=True)
    before = database_snapshot()
    created, captured = world.sessions["created"].pk, world.sessions["captured"].pk
    for label, path, body in (
        ("POST api/sessions/ no CSRF", "/api/sessions/", registration_input()),
        ("POST api/sessions/{id}/consent/ no CSRF", f"/api/sessions/{captured}/consent/", CONSENT),
        ("POST api/sessions/{id}/cancel/ no CSRF", f"/api/sessions/{created}/cancel/", {}),
    ):
        response = client.post(path, body, format="json")
        record_access(
            label,
            RIGHT_USER,
            expected=403,
            got=response.status_code,
        )
        assert response.status_code == 403
        assert "CSRF" in response.json()["error"]["message"]
    assert database_snapshot() == before


def test_token_authentication_is_scoped_like_the_session(world: World) -> None:
    """An API token of another outlet's clerk reads nothing of this outlet."""
    from registration.authentication import token_for

    token = token_for(world.users["other_clerk"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get(f"/api/sessions/{world.sessions['created'].pk}/")
    record_access("GET api/sessions/{id}/ (token)", OTHER_OUTLET, expected=404, got=response.status_code)
    assert response.status_code == 404
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = bad.get("/api/sessions/")
    # 403 rather than 401: session authentication comes first and sends no WWW-Authenticate challenge.
    record_access("GET api/sessions/ (bad token)", ANONYMOUS, expected=403, got=response.status_code)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "authentication_failed"


def test_other_outlets_staff_never_learn_whether_a_session_exists(world: World) -> None:
    """Another outlet's session and a session that does not exist get the same answer."""
    import uuid

    client = _client(world, "other_clerk")
    real = client.get(f"/api/sessions/{world.sessions['created'].pk}/")
    missing = client.get(f"/api/sessions/{uuid.uuid4()}/")
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json()


def test_staff_without_an_outlet_see_nothing(world: World) -> None:
    lonely: Any = UserFactory(role=CLERK)
    client = APIClient()
    client.force_login(lonely)
    response = client.get("/api/sessions/")
    record_access("GET api/sessions/ (no outlet)", OTHER_OUTLET, expected=200, got=response.status_code)
    assert response.status_code == 200
    assert response.json() == {"count": 0, "results": []}
    assert client.get(f"/api/sessions/{world.sessions['created'].pk}/").status_code == 404


def test_every_endpoint_is_in_the_access_catalogue() -> None:
    """A new endpoint in registration/urls.py or frontend/urls.py must be added to CASES above."""
    import uuid

    from django.urls import resolve

    import frontend.urls
    import registration.urls

    sample = str(uuid.uuid4())
    tried = {
        resolve(case.path.format(created=sample, consented=sample, captured=sample, review=sample)).view_name
        for case in CASES
    }
    declared = {f"registration:{pattern.name}" for pattern in registration.urls.urlpatterns} | {
        f"frontend:{pattern.name}" for pattern in frontend.urls.urlpatterns
    }
    assert declared - tried == set()
