"""The outlet dashboard page as the server renders it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.test import Client

from registration.models import Subscriber, VerificationSession


def test_rows_link_to_their_session_with_the_whole_name_in_the_title(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session()
    long_name = "欧阳" + "很长的名字" * 30
    Subscriber.objects.filter(pk=session.subscriber_id).update(full_name=long_name[:200])

    html = signed_in.get("/dashboard/").content.decode()

    row = re.search(rf'<tr data-session="{session.pk}".*?</tr>', html, re.S)
    assert row is not None
    assert f'href="/sessions/{session.pk}/"' in row.group(0)
    assert f'title="{long_name[:200]}"' in row.group(0)
    assert "dashboard-table" in html


def test_times_are_the_outlets_time_zone(
    signed_in: Client, make_session: Callable[..., VerificationSession], settings: Any
) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    session = make_session()
    shown = session.created_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")

    html = signed_in.get("/dashboard/").content.decode()

    time_cell = re.search(r'<time datetime="([^"]+)">' + shown + "</time>", html)
    assert time_cell is not None
    iso = datetime.fromisoformat(time_cell.group(1))
    assert iso == session.created_at
    assert "UTC+08:00" in html  # the zone by its offset, readable in any language (not "Asia/Shanghai")


def test_a_live_row_is_the_row_the_page_renders(
    signed_in: Client, make_session: Callable[..., VerificationSession], settings: Any
) -> None:
    """The script replaces a changed row with the server's rendering of it: one template, the same
    markup, time zone and state label as a reloaded page."""
    settings.TIME_ZONE = "Asia/Shanghai"
    session = make_session()

    page = signed_in.get("/dashboard/").content.decode()
    row = signed_in.get(f"/dashboard/rows/{session.pk}/")

    assert row.status_code == 200
    in_page = re.search(rf'<tr data-session="{session.pk}".*?</tr>', page, re.S)
    assert in_page is not None
    assert row.content.decode().strip() == in_page.group(0)
    assert 'data-row-url="/dashboard/rows/00000000-0000-0000-0000-000000000000/"' in page


def _attempts(session: VerificationSession, *, declined: list[bool]) -> None:
    """Attempts of the session started by its clerk, each offering or declining the light step."""
    from registration import services
    from registration.state_machine import SessionState

    for no_lights in declined:
        VerificationSession.objects.filter(pk=session.pk).update(state=SessionState.CONSENTED)
        services.capture_start(session_id=session.pk, actor=session.clerk, no_lights=no_lights)


def test_supervisors_see_each_clerks_share_of_declined_light_steps(
    make_session: Callable[..., VerificationSession], supervisor: Any, clerk: Any, other_clerk: Any, settings: Any
) -> None:
    """Today and over 7 days: a week-old decline counts in the week only, another outlet's never."""
    from datetime import timedelta

    from django.utils import timezone

    from tests import factories

    settings.SHIMING_LIGHT_CHALLENGE = True
    settings.SHIMING_CAPTURE_ATTEMPTS_PER_MINUTE_CLERK = 100
    sessions = [make_session("consented") for _ in range(4)]
    _attempts(sessions[0], declined=[True, False])  # a session that declined once is a declined session
    _attempts(sessions[1], declined=[False])
    _attempts(sessions[2], declined=[False])
    three_days_ago = timezone.now() - timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=three_days_ago):
        _attempts(sessions[3], declined=[True])
    other = factories.make_session(clerk=other_clerk, state="consented")
    _attempts(other, declined=[True])
    client = Client()
    client.force_login(supervisor)

    html = client.get("/dashboard/").content.decode()

    row = re.search(rf'<tr data-clerk="{clerk.username}">.*?</tr>', html, re.S)
    assert row is not None, html
    assert 'data-today="33"' in row.group(0)  # 1 of 3 sessions today
    assert 'data-week="50"' in row.group(0)  # 2 of 4 over the week
    assert html.count("<tr data-clerk=") == 1  # the other outlet's clerk is not listed


def test_clerks_do_not_see_the_decline_rates(signed_in: Client) -> None:
    assert 'id="light-declines"' not in signed_in.get("/dashboard/").content.decode()
