"""The pages: who may see them, which step a session continues on, the audited portrait view,
no inline script (the CSP forbids it), and both languages."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from registration.models import AuditEvent, VerificationPolicy, VerificationSession
from registration.state_machine import SessionState

S = SessionState
PAGES = ["consent", "document", "capture", "result", "alternative"]


def test_pages_need_a_signed_in_user(make_session: Callable[..., VerificationSession]) -> None:
    session = make_session()
    for url in ["/", "/register/", "/dashboard/", f"/sessions/{session.pk}/capture/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("state", "page"),
    [
        (S.CREATED, "consent"),
        (S.CONSENTED, "document"),
        (S.DOCUMENT_CAPTURED, "capture"),
        (S.LIVENESS_FAILED, "capture"),
        (S.MANUAL_REVIEW, "result"),
        (S.APPROVED, "result"),
    ],
)
def test_a_session_continues_on_the_page_of_its_state(
    signed_in: Client, make_session: Callable[..., VerificationSession], state: str, page: str
) -> None:
    session = make_session(state)
    response = signed_in.get(f"/sessions/{session.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/{page}/"


def test_another_outlets_session_is_not_found(
    other_clerk: Any, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(S.DOCUMENT_CAPTURED, portrait=b"jpeg")
    client = Client()
    client.force_login(other_clerk)
    for page in [*PAGES, "portrait.jpg"]:
        url = f"/sessions/{session.pk}/{page}" + ("" if page.endswith(".jpg") else "/")
        assert client.get(url).status_code == 404, url


def test_every_page_renders_without_inline_script(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    urls = ["/", "/register/", "/dashboard/", "/login/"]
    for state, page in [(S.CREATED, "consent"), (S.CONSENTED, "document"), (S.DOCUMENT_CAPTURED, "capture")]:
        urls.append(f"/sessions/{make_session(state).pk}/{page}/")
    urls.append(f"/sessions/{make_session(S.MANUAL_REVIEW).pk}/result/")
    urls.append(f"/sessions/{make_session(S.MANUAL_REVIEW).pk}/alternative/")
    for url in urls:
        response = signed_in.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert " style=" not in html, url
        assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_portrait_is_shown_to_the_outlet_while_open_and_every_view_is_audited(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(S.DOCUMENT_CAPTURED, portrait=b"\xff\xd8portrait")

    response = signed_in.get(f"/sessions/{session.pk}/portrait.jpg")

    assert response.status_code == 200
    assert response.content == b"\xff\xd8portrait"
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="evidence.viewed", object_id=str(session.pk))
    assert event.details == {"kind": "id_portrait", "purpose": "clerk_document_check"}


def test_the_portrait_is_gone_once_the_session_is_closed(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    closed = make_session(S.APPROVED, portrait=b"jpeg")
    without = make_session(S.CONSENTED)
    assert signed_in.get(f"/sessions/{closed.pk}/portrait.jpg").status_code == 404
    assert signed_in.get(f"/sessions/{without.pk}/portrait.jpg").status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.viewed").exists()


def test_pages_speak_simplified_chinese_by_default_and_english_on_request(signed_in: Client) -> None:
    chinese = signed_in.get("/").content.decode()
    assert "新登记" in chinese
    assert 'lang="zh-hans"' in chinese
    signed_in.cookies["django_language"] = "en"
    english = signed_in.get("/").content.decode()
    assert "New registration" in english
    assert 'lang="en"' in english


def test_the_script_catalogue_carries_the_prompts(signed_in: Client) -> None:
    catalogue = signed_in.get("/jsi18n/").content.decode()
    assert "\\u8bf7\\u7728\\u7728\\u773c" in catalogue or "请眨眨眼" in catalogue


def test_the_capture_page_carries_its_settings(
    signed_in: Client, make_session: Callable[..., VerificationSession], settings: Any
) -> None:
    settings.SHIMING_ICE_SERVERS = [{"urls": ["turn:turn.example.net:3478"], "username": "u", "credential": "c"}]
    session = make_session(S.DOCUMENT_CAPTURED)
    html = signed_in.get(f"/sessions/{session.pk}/capture/").content.decode()
    assert f'data-capture-socket="/ws/capture/{session.pk}/"' in html
    assert "turn:turn.example.net:3478" in html
    assert 'id="session-payload"' in html


def test_the_capture_page_asks_the_camera_for_the_engines_frame_budget(
    signed_in: Client, make_session: Callable[..., VerificationSession], settings: Any
) -> None:
    settings.SHIMING_LIVENESS_FPS = 12.0
    session = make_session(S.DOCUMENT_CAPTURED)
    html = signed_in.get(f"/sessions/{session.pk}/capture/").content.decode()
    assert 'data-fps-budget="12"' in html


def test_the_capture_page_tells_the_attempt_limit_of_the_admin_policy(
    signed_in: Client, make_session: Callable[..., VerificationSession], settings: Any
) -> None:
    settings.SHIMING_MAX_LIVENESS_ATTEMPTS = 3
    VerificationPolicy.objects.create(pk=1, max_liveness_attempts=5)
    session = make_session(S.DOCUMENT_CAPTURED)
    html = signed_in.get(f"/sessions/{session.pk}/capture/").content.decode()
    assert 'data-max-attempts="5"' in html


def test_compiled_catalogues_are_committed_next_to_their_sources(settings: Any, tmp_path: Path) -> None:
    locale = settings.LOCALE_PATHS[0]
    for language in ["zh_Hans", "en"]:
        for domain in ["django", "djangojs"]:
            source = locale / language / "LC_MESSAGES" / f"{domain}.po"
            compiled = source.with_suffix(".mo")
            assert compiled.is_file(), compiled
            # Compare what msgfmt makes of the source now with what is committed (file dates say
            # nothing after a checkout or a merge, which write files in any order).
            fresh = tmp_path / f"{language}-{domain}.mo"
            subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(source)], check=True)
            assert fresh.read_bytes() == compiled.read_bytes(), f"{compiled} is stale: run make messages"
