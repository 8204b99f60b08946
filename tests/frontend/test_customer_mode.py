"""Customer mode: from the handover's "I am the customer" until the clerk's password, the sign-in
serves only that customer's screens; every other page sends the tablet to the hand-back screen, the
API refuses, and the start, the return and a wrong password are audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from registration.models import AuditEvent, VerificationSession
from registration.state_machine import SessionState

PASSWORD = "correct horse battery"  # tests/factories.py


def handed_over(client: Client, session: VerificationSession) -> None:
    response = client.post(f"/sessions/{session.pk}/customer-mode/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sessions/{session.pk}/consent/"


def test_the_customers_screens_show_no_clerk_menu_and_the_clerks_pages_refuse(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"portrait")
    other = make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"portrait")
    handed_over(signed_in, session)

    consent = signed_in.get(f"/sessions/{session.pk}/consent/").content.decode()
    assert 'href="/dashboard/"' not in consent
    assert "/logout/" not in consent
    for page in ["/", "/dashboard/", "/register/", f"/sessions/{session.pk}/document/",
                 f"/sessions/{other.pk}/result/", f"/dashboard/rows/{other.pk}/", "/review/", "/admin/"]:  # fmt: skip
        response = signed_in.get(page)
        assert (response.status_code, response.headers.get("Location")) == (302, "/customer-mode/return/"), page
    assert signed_in.get("/api/sessions/").status_code == 403
    assert signed_in.get(f"/api/sessions/{other.pk}/").status_code == 403
    assert signed_in.get(f"/api/sessions/{session.pk}/").status_code == 200
    assert signed_in.post("/logout/").status_code == 403


def test_the_result_asks_for_the_tablet_back_and_the_password_returns_it(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"portrait")
    handed_over(signed_in, session)

    result = signed_in.get(f"/sessions/{session.pk}/result/").content.decode()
    assert "请将平板交还工作人员" in result
    assert 'href="/register/' not in result
    assert 'href="/"' not in result

    wrong = signed_in.post("/customer-mode/return/", {"password": "guess"})
    assert 'id="return-error"' in wrong.content.decode()
    assert signed_in.get("/dashboard/").status_code == 302

    back = signed_in.post("/customer-mode/return/", {"password": PASSWORD})
    assert back.headers["Location"] == f"/sessions/{session.pk}/result/"
    assert signed_in.get("/dashboard/").status_code == 200
    actions = list(
        AuditEvent.objects.filter(action__startswith="customer_mode.").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["customer_mode.started", "customer_mode.return_refused", "customer_mode.ended"]


def test_a_session_still_with_the_clerk_does_not_start_customer_mode(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session()  # created: the document photo is still to take
    signed_in.post(f"/sessions/{session.pk}/customer-mode/")
    assert signed_in.get("/dashboard/").status_code == 200


def test_a_registration_that_expires_in_the_customers_hands_asks_for_the_tablet_back(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"portrait")
    handed_over(signed_in, session)
    VerificationSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    html = signed_in.get(f"/sessions/{session.pk}/consent/", follow=True).content.decode()

    assert "此登记已过期。" in html
    assert "请将平板交还工作人员" in html
    assert "/register/?from=" not in html  # the restart is the clerk's, after the password
    signed_in.post("/customer-mode/return/", {"password": PASSWORD})
    assert f'href="/register/?from={session.pk}"' in signed_in.get(f"/sessions/{session.pk}/result/").content.decode()


def test_the_check_by_a_supervisor_asks_the_customer_for_the_tablet_back(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    """The page the customer lands on after asking for a person: the clerk's "back to registrations"
    was offered to the customer (it led to the hand-back screen all the same)."""
    session = make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"portrait")
    handed_over(signed_in, session)
    VerificationSession.objects.filter(pk=session.pk).update(state=SessionState.MANUAL_REVIEW, attempt_count=1)

    html = signed_in.get(f"/sessions/{session.pk}/alternative/").content.decode()

    assert 'id="to-home" href="/customer-mode/return/"' in html
    assert "请将平板交还工作人员" in html
    assert 'href="/"' not in html
    signed_in.post("/customer-mode/return/", {"password": PASSWORD})
    assert 'id="to-home" href="/"' in signed_in.get(f"/sessions/{session.pk}/alternative/").content.decode()
