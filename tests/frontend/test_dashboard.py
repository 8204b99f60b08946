"""The outlet dashboard page as the server renders it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
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
