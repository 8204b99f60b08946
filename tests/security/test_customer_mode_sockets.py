"""Customer mode on the sockets: while the customer holds the tablet, the clerk's sign-in opens only
the sockets of that customer's screens (ws/capture/ and ws/sessions/ of their registration); the
dashboard and any other registration's socket close with 4403, those open at the handover close
then, a push re-checks it, and after the clerk's password the dashboard connects again
(registration/customer_mode.py, capture/user_access.py).

Sockets run in this process over the real Redis channel layer and the test PostgreSQL (committed
data: the consumers read it from other threads).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from capture.user_access import CLOSE_CUSTOMER_MODE
from registration import services
from registration.customer_mode import CUSTOMER_MODE_KEY
from registration.models import EvidenceKind, VerificationSession
from registration.roles import CLERK
from registration.state_machine import SessionState
from tests.factories import OutletFactory, UserFactory, make_phone, make_prc_id
from tests.peer_registry import fresh_peer_registry

from .report import record_access
from .sockets import signed_in, socket

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
IN_CUSTOMER_MODE = "wrong state"  # the access table's column: the sign-in is the customer's for now


@pytest.fixture(autouse=True)
def fresh_capture_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh peer registry per test, and a scripted analysis instead of the face-mesh model."""
    from tests.capture.fakes import FakeAnalysis

    monkeypatch.setattr("capture.webrtc.analysis.build_analysis", lambda plan: FakeAnalysis(list(plan)))
    with fresh_peer_registry():
        yield


@pytest.fixture
def clerk(transactional_db: None) -> Any:
    return UserFactory(role=CLERK, outlet=OutletFactory())


def _consented(clerk: Any) -> VerificationSession:
    """A registration ready for the live check: what the customer holds the tablet for."""
    session = services.registration_create(
        clerk=clerk, full_name="孙 七", document_type="prc_id", document_number=make_prc_id(), phone_number=make_phone()
    )
    services.evidence_store(
        session=session, kind=EvidenceKind.ID_PORTRAIT, content=b"portrait", content_type="image/jpeg"
    )
    VerificationSession.objects.filter(pk=session.pk).update(state=SessionState.DOCUMENT_CAPTURED)
    services.consent_record(session_id=session.pk, actor=clerk, consent_version="3", language="zh-hans")
    return VerificationSession.objects.get(pk=session.pk)


def _hand_over(browser: Client, session: VerificationSession) -> None:
    response = browser.post(f"/sessions/{session.pk}/customer-mode/")
    assert response.status_code == 302


async def _closed_code(communicator: WebsocketCommunicator) -> int | str:
    """The close code the socket gets next (after the error a capture socket sends), or what it got instead."""
    output = await communicator.receive_output(timeout=5)
    if output["type"] == "websocket.send" and json.loads(output["text"]).get("type") == "error":
        output = await communicator.receive_output(timeout=5)
    if output["type"] == "websocket.close":
        return int(output.get("code", 1000))
    return f"pushed: {output.get('text', '')[:60]}"


async def _opens(path: str, user: Any, login: Any) -> int | str:
    """ "accepted" (the first message, if the socket sends one, is no close), or the close code."""
    communicator = socket(path, user, login)
    try:
        connected, code = await communicator.connect(timeout=5)
        if not connected:
            return code or "refused"
        if path == "/ws/dashboard/":  # sends nothing until a session changes
            return "accepted" if await communicator.receive_nothing(timeout=0.5) else await _closed_code(communicator)
        output = await communicator.receive_output(timeout=5)
        message = json.loads(output["text"]) if output["type"] == "websocket.send" else {}
        if output["type"] == "websocket.close" or message.get("type") == "error":
            closing = output if output["type"] == "websocket.close" else await communicator.receive_output(timeout=5)
            return int(closing.get("code", 1000))
        return "accepted"
    finally:
        await communicator.disconnect()


def test_in_customer_mode_only_the_customers_sockets_open(clerk: Any) -> None:
    customers, other = _consented(clerk), _consented(clerk)
    browser, login = signed_in(clerk)
    _hand_over(browser, customers)

    def opens(route: str, path: str, expected: int | str) -> None:
        got = async_to_sync(_opens)(path, clerk, login)
        record_access(route, IN_CUSTOMER_MODE if expected != "accepted" else "right user", expected=expected, got=got)
        assert got == expected, route

    opens("WS ws/dashboard/ (customer mode)", "/ws/dashboard/", CLOSE_CUSTOMER_MODE)
    opens("WS ws/sessions/{other id}/ (customer mode)", f"/ws/sessions/{other.pk}/", CLOSE_CUSTOMER_MODE)
    opens("WS ws/capture/{other id}/ (customer mode)", f"/ws/capture/{other.pk}/", CLOSE_CUSTOMER_MODE)
    opens("WS ws/sessions/{id}/ (customer mode)", f"/ws/sessions/{customers.pk}/", "accepted")
    opens("WS ws/capture/{id}/ (customer mode)", f"/ws/capture/{customers.pk}/", "accepted")
    other.refresh_from_db()
    assert other.state == SessionState.CONSENTED  # the refused capture started no attempt


def test_the_handover_closes_the_clerks_other_sockets_and_keeps_the_customers(clerk: Any) -> None:
    customers, other = _consented(clerk), _consented(clerk)
    browser, login = signed_in(clerk)
    _, other_tablet = signed_in(clerk)

    async def run() -> tuple[int | str, int | str, bool, bool]:
        dashboard = socket("/ws/dashboard/", clerk, login)
        elsewhere = socket(f"/ws/sessions/{other.pk}/", clerk, login)
        own = socket(f"/ws/sessions/{customers.pk}/", clerk, login)
        colleague_tablet = socket("/ws/dashboard/", clerk, other_tablet)
        for communicator in (dashboard, elsewhere, own, colleague_tablet):
            assert (await communicator.connect(timeout=5))[0]
        await elsewhere.receive_json_from(timeout=5)
        await own.receive_json_from(timeout=5)
        try:
            await database_sync_to_async(_hand_over)(browser, customers)
            return (
                await _closed_code(dashboard),
                await _closed_code(elsewhere),
                await own.receive_nothing(timeout=0.5),
                await colleague_tablet.receive_nothing(timeout=0.2),
            )
        finally:
            for communicator in (dashboard, elsewhere, own, colleague_tablet):
                await communicator.disconnect()

    dashboard, elsewhere, own_open, other_sign_in_open = async_to_sync(run)()
    record_access("WS ws/dashboard/ (open at the handover)", IN_CUSTOMER_MODE, expected=4403, got=dashboard)
    record_access("WS ws/sessions/{other id}/ (open at the handover)", IN_CUSTOMER_MODE, expected=4403, got=elsewhere)
    assert (dashboard, elsewhere) == (CLOSE_CUSTOMER_MODE, CLOSE_CUSTOMER_MODE)
    assert own_open
    assert other_sign_in_open  # the same clerk signed in on another tablet keeps their dashboard


def _flag_without_telling_the_sockets(login: Any, session: VerificationSession) -> None:
    login[CUSTOMER_MODE_KEY] = str(session.pk)
    login.save()


def test_a_push_re_checks_customer_mode(clerk: Any) -> None:
    """The sign-in went into customer mode without a message reaching the socket: the next push
    finds it and closes instead of showing the outlet's new customer."""
    _, login = signed_in(clerk)
    customers = _consented(clerk)

    async def run() -> int | str:
        dashboard = socket("/ws/dashboard/", clerk, login)
        assert (await dashboard.connect(timeout=5))[0]
        try:
            await database_sync_to_async(_flag_without_telling_the_sockets)(login, customers)
            await database_sync_to_async(_consented)(clerk)
            return await _closed_code(dashboard)
        finally:
            await dashboard.disconnect()

    got = async_to_sync(run)()
    record_access("WS ws/dashboard/ (push in customer mode)", IN_CUSTOMER_MODE, expected=4403, got=got)
    assert got == CLOSE_CUSTOMER_MODE


def test_after_the_clerks_password_the_dashboard_connects_again(clerk: Any) -> None:
    customers = _consented(clerk)
    browser, login = signed_in(clerk)
    _hand_over(browser, customers)
    assert async_to_sync(_opens)("/ws/dashboard/", clerk, login) == CLOSE_CUSTOMER_MODE

    back = browser.post("/customer-mode/return/", {"password": PASSWORD})
    assert back.headers["Location"] == f"/sessions/{customers.pk}/result/"

    got = async_to_sync(_opens)("/ws/dashboard/", clerk, login)
    record_access("WS ws/dashboard/ (after the clerk's return)", "right user", expected="accepted", got=got)
    assert got == "accepted"
