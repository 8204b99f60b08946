"""Expired sessions shown as expired everywhere: home, dashboard, the consent
page (refused before the customer reads it), the result page, and a restart pre-filled from the
old registration's details but none of its evidence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from registration.models import EvidenceKind, VerificationSession
from registration.state_machine import SessionState


def past_its_time(session: VerificationSession) -> VerificationSession:
    VerificationSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return session


def test_home_and_dashboard_show_a_session_past_its_time_as_expired(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = past_its_time(make_session())

    home = signed_in.get("/").content.decode()
    dashboard = signed_in.get("/dashboard/").content.decode()

    assert f'href="/sessions/{session.pk}/"' not in home  # no "continue"
    assert f'href="/sessions/{session.pk}/result/"' in home
    assert "state-expired" in home
    assert f'data-session="{session.pk}" data-state="expired"' in dashboard


def test_the_consent_page_refuses_before_the_customer_reads_it(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = past_its_time(make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"portrait"))

    response = signed_in.get(f"/sessions/{session.pk}/consent/", follow=True)

    assert response.redirect_chain[-1][0] == f"/sessions/{session.pk}/result/"
    html = response.content.decode()
    assert "此登记已过期。" in html
    assert "consent-body" not in html


def test_the_result_of_an_expired_session_says_so_and_offers_a_restart(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = past_its_time(make_session())

    html = signed_in.get(f"/sessions/{session.pk}/result/").content.decode()

    assert "此登记已过期。" in html
    assert "In progress" not in html
    assert "进行中" not in html
    assert f'href="/register/?from={session.pk}"' in html


def test_the_restart_is_filled_with_the_details_but_not_the_number_or_the_evidence(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    old = past_its_time(make_session(SessionState.DOCUMENT_CAPTURED, portrait=b"portrait"))
    signed_in.get("/")  # expires it

    html = signed_in.get(f"/register/?from={old.pk}").content.decode()

    subscriber = old.subscriber
    assert f'value="{subscriber.full_name}"' in html
    assert f'value="{subscriber.phone_number.removeprefix("+86")}"' in html
    assert '<option value="prc_id" selected>' in html
    assert 'name="document_number" required maxlength="32" autocomplete="off">' in html  # typed again
    assert 'id="restarted-from"' in html
    assert "portrait" not in html
    assert old.evidence.filter(kind=EvidenceKind.ID_PORTRAIT).count() == 1  # nothing copied, nothing moved


def test_an_open_session_does_not_fill_a_restart(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session()

    html = signed_in.get(f"/register/?from={session.pk}").content.decode()

    assert 'id="restarted-from"' not in html
    assert session.subscriber.full_name not in html
