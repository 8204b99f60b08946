"""Access that can be taken back: an API token dies with a password change, a deactivation or a move
to another outlet, each issue gives a new key, and a token can be revoked (API and admin); the
sockets a user has open close on sign-out, deactivation and outlet change, and every push re-checks
the user first (registration/authentication.py, registration/services/access.py, capture/consumers.py).

Sockets run in this process over the real Redis channel layer and the test PostgreSQL (committed
data: the consumers read it from other threads).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import import_module
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registration import services
from registration.models import AuditEvent, StaffProfile
from registration.roles import ADMIN, CLERK
from tests.environment import PROJECT_ROOT
from tests.factories import OutletFactory, UserFactory, make_phone, make_prc_id

from .report import record_access
from .sockets import signed_in, socket

pytestmark = [pytest.mark.security]

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


def _issue(user: Any) -> str:
    response = APIClient().post("/api/auth/token/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    return str(response.json()["token"])


def _status_with(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return int(client.get("/api/sessions/").status_code)


# --- API tokens -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_issue_gives_a_new_key_and_the_old_one_dies(clerk: Any) -> None:
    first = _issue(clerk)
    second = _issue(clerk)
    assert second != first
    record_access(
        "GET api/sessions/ (token issued before the last)", "anonymous", expected=403, got=_status_with(first)
    )
    assert _status_with(first) == 403
    assert _status_with(second) == 200


@pytest.mark.django_db
def test_a_password_change_kills_the_token(clerk: Any) -> None:
    key = _issue(clerk)
    assert _status_with(key) == 200
    clerk.set_password("a new and different password")
    clerk.save()  # any path: admin, `manage.py changepassword`, a shell
    got = _status_with(key)
    record_access("GET api/sessions/ (token, password changed)", "anonymous", expected=403, got=got)
    assert got == 403


@pytest.mark.django_db
def test_a_move_to_another_outlet_kills_the_token(clerk: Any, other_outlet: Any) -> None:
    key = _issue(clerk)
    StaffProfile.objects.filter(user=clerk).update(outlet=other_outlet)
    got = _status_with(key)
    record_access("GET api/sessions/ (token, outlet changed)", "anonymous", expected=403, got=got)
    assert got == 403


@pytest.mark.django_db
def test_a_deactivated_users_token_is_refused(clerk: Any) -> None:
    key = _issue(clerk)
    clerk.is_active = False
    clerk.save()
    got = _status_with(key)
    record_access("GET api/sessions/ (token, user deactivated)", "anonymous", expected=403, got=got)
    assert got == 403


@pytest.mark.django_db
def test_the_caller_can_revoke_its_token(clerk: Any) -> None:
    key = _issue(clerk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post("/api/auth/token/revoke/")
    record_access("POST api/auth/token/revoke/", "right user", expected=204, got=response.status_code)
    assert response.status_code == 204
    assert _status_with(key) == 403
    anonymous = APIClient().post("/api/auth/token/revoke/").status_code
    record_access("POST api/auth/token/revoke/", "anonymous", expected=403, got=anonymous)
    assert anonymous == 403


@pytest.mark.django_db
def test_an_admin_revokes_a_users_tokens(clerk: Any, outlet: Any) -> None:
    key = _issue(clerk)
    admin: Any = UserFactory(role=ADMIN, outlet=outlet, is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        "/admin/auth/user/", {"action": "revoke_access", "_selected_action": [clerk.pk], "index": 0}
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=clerk).exists()
    assert _status_with(key) == 403


@pytest.mark.django_db
def test_deactivating_in_the_admin_deletes_the_token(clerk: Any, outlet: Any) -> None:
    _issue(clerk)
    admin: Any = UserFactory(role=ADMIN, outlet=outlet, is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    page = browser.get(f"/admin/auth/user/{clerk.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "is_active": "",
            "groups": [group.pk for group in clerk.groups.all()],
            "user_permissions": [],
            "date_joined_0": clerk.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": clerk.date_joined.strftime("%H:%M:%S"),
            "last_login_0": "",
            "last_login_1": "",
            "staff_profile-TOTAL_FORMS": "1",
            "staff_profile-INITIAL_FORMS": "1",
            "staff_profile-MIN_NUM_FORMS": "0",
            "staff_profile-MAX_NUM_FORMS": "1",
            "staff_profile-0-id": clerk.staff_profile.pk,
            "staff_profile-0-user": clerk.pk,
            "staff_profile-0-outlet": outlet.pk,
        }
    )
    data.pop("is_active")
    response = browser.post(f"/admin/auth/user/{clerk.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert not Token.objects.filter(user=clerk).exists()


# --- sockets ----------------------------------------------------------------------------------


async def _closed_code(communicator: WebsocketCommunicator) -> int | str:
    """The close code the socket gets next, or what it got instead."""
    output = await communicator.receive_output(timeout=5)
    if output["type"] == "websocket.close":
        return int(output.get("code", 1000))
    return f"pushed: {output.get('text', '')[:60]}"


def _new_session(clerk: Any) -> Any:
    return services.registration_create(
        clerk=clerk, full_name="孙 七", document_type="prc_id", document_number=make_prc_id(), phone_number=make_phone()
    )


@pytest.fixture
def staff(transactional_db: None) -> dict[str, Any]:
    outlet = OutletFactory()
    return {
        "outlet": outlet,
        "other_outlet": OutletFactory(),
        "clerk": UserFactory(role=CLERK, outlet=outlet),
        "colleague": UserFactory(role=CLERK, outlet=outlet),
    }


def _watch(path: str, staff: dict[str, Any], take_away: Callable[[], object]) -> int | str:
    """Open `path` as the clerk, take the access away, then a colleague opens a session at the outlet."""
    clerk = staff["clerk"]
    _, login = signed_in(clerk)

    async def run() -> int | str:
        communicator = socket(path, clerk, login)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        if path != "/ws/dashboard/":
            await communicator.receive_json_from(timeout=5)  # the session as it is
        try:
            await database_sync_to_async(take_away)()
            await database_sync_to_async(services.registration_create)(
                clerk=staff["colleague"],
                full_name="周 八",
                document_type="prc_id",
                document_number=make_prc_id(),
                phone_number=make_phone(),
            )
            return await _closed_code(communicator)
        finally:
            await communicator.disconnect()

    return async_to_sync(run)()


def test_the_dashboard_stops_pushing_to_a_deactivated_user(staff: dict[str, Any]) -> None:
    """Deactivated outside the admin (no revocation sent): the next push finds out and closes."""
    clerk = staff["clerk"]
    got = _watch("/ws/dashboard/", staff, lambda: type(clerk).objects.filter(pk=clerk.pk).update(is_active=False))
    record_access("WS ws/dashboard/ (user deactivated)", "anonymous", expected=4401, got=got)
    assert got == 4401


def test_the_dashboard_stops_pushing_after_a_move_to_another_outlet(staff: dict[str, Any]) -> None:
    clerk = staff["clerk"]
    got = _watch(
        "/ws/dashboard/",
        staff,
        lambda: StaffProfile.objects.filter(user=clerk).update(outlet=staff["other_outlet"]),
    )
    record_access("WS ws/dashboard/ (moved to another outlet)", "other outlet", expected=4401, got=got)
    assert got == 4401


def test_revoking_access_closes_the_users_sockets_at_once(staff: dict[str, Any]) -> None:
    clerk = staff["clerk"]
    session = _new_session(clerk)
    _, login = signed_in(clerk)

    async def run() -> tuple[int | str, int | str]:
        dashboard = socket("/ws/dashboard/", clerk, login)
        page = socket(f"/ws/sessions/{session.pk}/", clerk, login)
        assert (await dashboard.connect(timeout=5))[0]
        assert (await page.connect(timeout=5))[0]
        await page.receive_json_from(timeout=5)
        try:
            await database_sync_to_async(services.access_revoke)(user=clerk, reason="deactivated")
            return await _closed_code(dashboard), await _closed_code(page)
        finally:
            await dashboard.disconnect()
            await page.disconnect()

    dashboard, page = async_to_sync(run)()
    record_access("WS ws/dashboard/ (access revoked)", "anonymous", expected=4401, got=dashboard)
    record_access("WS ws/sessions/{id}/ (access revoked)", "anonymous", expected=4401, got=page)
    assert (dashboard, page) == (4401, 4401)


def test_signing_out_closes_that_sign_ins_sockets_only(staff: dict[str, Any]) -> None:
    clerk = staff["clerk"]
    browser, login = signed_in(clerk)
    _, other_tablet = signed_in(clerk)

    async def run() -> tuple[int | str, bool]:
        mine, theirs = socket("/ws/dashboard/", clerk, login), socket("/ws/dashboard/", clerk, other_tablet)
        assert (await mine.connect(timeout=5))[0]
        assert (await theirs.connect(timeout=5))[0]
        try:
            response = await database_sync_to_async(browser.post)("/logout/")
            assert response.status_code == 302
            return await _closed_code(mine), await theirs.receive_nothing(timeout=0.5)
        finally:
            await mine.disconnect()
            await theirs.disconnect()

    mine, theirs_open = async_to_sync(run)()
    record_access("WS ws/dashboard/ (signed out)", "anonymous", expected=4401, got=mine)
    assert mine == 4401
    assert theirs_open


def test_a_session_page_of_a_signed_out_login_gets_no_more_pushes(staff: dict[str, Any]) -> None:
    """The sign-in ended without a message reaching the socket (a session expired or flushed): the
    next push checks the sign-in and closes instead."""
    clerk = staff["clerk"]
    session = _new_session(clerk)
    _, login = signed_in(clerk)

    async def run() -> int | str:
        page = socket(f"/ws/sessions/{session.pk}/", clerk, login)
        assert (await page.connect(timeout=5))[0]
        await page.receive_json_from(timeout=5)
        try:
            await database_sync_to_async(
                import_module(settings.SESSION_ENGINE).SessionStore(login.session_key).delete
            )()
            await database_sync_to_async(services.session_cancel)(session_id=session.pk, actor=clerk)
            return await _closed_code(page)
        finally:
            await page.disconnect()

    got = async_to_sync(run)()
    record_access("WS ws/sessions/{id}/ (sign-in ended)", "anonymous", expected=4401, got=got)
    assert got == 4401


def test_the_deployed_web_role_limits_a_sockets_lifetime() -> None:
    """daphne keeps a socket a day by default; the web role gives it an hour (the pages reconnect,
    signing in again), so a socket no revocation reached still ends within a shift."""
    entrypoint = (PROJECT_ROOT / "docker" / "entrypoint").read_text()
    match = re.search(r'--websocket_timeout "\$\{SHIMING_WEBSOCKET_TIMEOUT_SECONDS:-(\d+)\}"', entrypoint)
    assert match is not None
    assert 0 < int(match.group(1)) <= 3600


def test_a_running_capture_ends_when_the_clerks_access_is_revoked(
    staff: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attempt ends with `access_ended`, an interruption (it does not count; a retry is possible
    once signed in again)."""
    from registration.models import EvidenceKind, VerificationSession
    from registration.state_machine import SessionState
    from tests.capture.fakes import FakeAnalysis
    from tests.peer_registry import fresh_peer_registry

    monkeypatch.setattr("capture.webrtc.analysis.build_analysis", lambda plan: FakeAnalysis(list(plan)))
    clerk = staff["clerk"]
    session = _new_session(clerk)
    services.evidence_store(
        session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"\xff\xd8p", content_type="image/jpeg"
    )
    VerificationSession.objects.filter(pk=session.pk).update(state=SessionState.DOCUMENT_CAPTURED)
    services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
    _, login = signed_in(clerk)

    async def run() -> tuple[list[dict[str, Any]], int]:
        capture = socket(f"/ws/capture/{session.pk}/", clerk, login)
        assert (await capture.connect(timeout=5))[0]
        ready = await capture.receive_json_from(timeout=5)
        assert ready["type"] == "ready", ready
        try:
            await database_sync_to_async(services.access_revoke)(user=clerk, reason="deactivated")
            said: list[dict[str, Any]] = []
            while (output := await capture.receive_output(timeout=10))["type"] == "websocket.send":
                said.append(json.loads(output["text"]))
            return said, int(output.get("code", 1000))
        finally:
            await capture.disconnect()

    with fresh_peer_registry():
        said, code = async_to_sync(run)()
    ended = [message.get("reason") for message in said if message["type"] == "ended"]
    record_access("WS ws/capture/{id}/ (access revoked mid-attempt)", "anonymous", expected="closed", got="closed")
    assert ended == ["access_ended"], said
    assert code in {4000, 4401}
    stored = VerificationSession.objects.get(pk=session.pk)
    # interrupted by the clerk's access, not by the customer: the attempt is given back (audited)
    assert (stored.state, stored.attempt_count) == (SessionState.CONSENTED, 0)
    interrupted = AuditEvent.objects.get(object_id=str(session.pk), action="capture.interrupted")
    assert interrupted.details["reason"] == "access_ended"
