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

from registration.liveness_settings import liveness_config
from registration.models import AuditEvent, VerificationPolicy, VerificationSession
from registration.state_machine import SessionState

S = SessionState
PAGES = ["document", "handover", "consent", "capture", "result", "alternative"]
PHOTO = b"\xff\xd8portrait"


def test_pages_need_a_signed_in_user(make_session: Callable[..., VerificationSession]) -> None:
    session = make_session()
    for url in ["/", "/register/", "/dashboard/", f"/sessions/{session.pk}/capture/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("state", "portrait", "page"),
    [
        (S.CREATED, None, "document"),  # the clerk's steps first
        (S.DOCUMENT_CAPTURED, PHOTO, "handover"),  # then the tablet goes to the customer
        (S.CONSENTED, PHOTO, "capture"),
        (S.CONSENTED, None, "document"),  # consented before its photo (the old order): the photo first
        (S.LIVENESS_FAILED, PHOTO, "capture"),
        (S.MANUAL_REVIEW, PHOTO, "result"),
        (S.APPROVED, PHOTO, "result"),
    ],
)
def test_a_session_continues_on_the_page_of_its_state(
    signed_in: Client,
    make_session: Callable[..., VerificationSession],
    state: str,
    portrait: bytes | None,
    page: str,
) -> None:
    session = make_session(state, portrait=portrait)
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
    steps = [(S.CREATED, "document"), (S.DOCUMENT_CAPTURED, "handover"), (S.DOCUMENT_CAPTURED, "consent")]
    for state, page in [*steps, (S.CONSENTED, "capture")]:
        urls.append(f"/sessions/{make_session(state, portrait=PHOTO if state != S.CREATED else None).pk}/{page}/")
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
    without = make_session(S.CREATED)
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
    session = make_session(S.CONSENTED, portrait=PHOTO)
    html = signed_in.get(f"/sessions/{session.pk}/capture/").content.decode()
    assert f'data-capture-socket="/ws/capture/{session.pk}/"' in html
    assert "turn:turn.example.net:3478" in html
    assert 'id="session-payload"' in html


def test_the_capture_page_asks_the_camera_for_the_engines_frame_budget(
    signed_in: Client, make_session: Callable[..., VerificationSession], settings: Any
) -> None:
    settings.SHIMING_LIVENESS_FPS = 12.0
    session = make_session(S.CONSENTED, portrait=PHOTO)
    html = signed_in.get(f"/sessions/{session.pk}/capture/").content.decode()
    assert 'data-fps-budget="12"' in html


def test_the_capture_page_tells_the_attempt_limit_of_the_admin_policy(
    signed_in: Client, make_session: Callable[..., VerificationSession], settings: Any
) -> None:
    settings.SHIMING_MAX_LIVENESS_ATTEMPTS = 3
    VerificationPolicy.objects.create(pk=1, max_liveness_attempts=5)
    session = make_session(S.CONSENTED, portrait=PHOTO)
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


# --- the clerk's steps, one handover, the customer's steps ---------------------------------------


def test_the_clerks_steps_come_first_and_the_document_page_hands_the_tablet_over(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    new = make_session()
    assert signed_in.get(f"/sessions/{new.pk}/consent/")["Location"] == f"/sessions/{new.pk}/"  # no consent yet
    assert signed_in.get(f"/sessions/{new.pk}/handover/")["Location"] == f"/sessions/{new.pk}/"
    assert signed_in.get(f"/sessions/{new.pk}/capture/")["Location"] == f"/sessions/{new.pk}/"
    photographed = make_session(S.DOCUMENT_CAPTURED, portrait=PHOTO)
    document = signed_in.get(f"/sessions/{photographed.pk}/document/").content.decode()  # a retake, until the consent
    assert f'id="to-handover" href="/sessions/{photographed.pk}/handover/"' in document
    assert 'data-has-portrait="1"' in document
    assert signed_in.get(f"/sessions/{photographed.pk}/capture/")["Location"] == f"/sessions/{photographed.pk}/"


def test_the_handover_screen_asks_for_the_tablet_to_go_to_the_customer_in_both_languages(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(S.DOCUMENT_CAPTURED, portrait=PHOTO, full_name="张 三")
    chinese = signed_in.get(f"/sessions/{session.pk}/handover/").content.decode()
    assert "请将平板交给客户" in chinese
    assert "张 三，接下来由您本人操作平板" in chinese
    assert f'action="/sessions/{session.pk}/customer-mode/"' in chinese  # the tablet changes hands here
    assert 'id="to-consent"' in chinese
    assert f'id="retake" href="/sessions/{session.pk}/document/"' in chinese
    signed_in.cookies["django_language"] = "en"
    english = signed_in.get(f"/sessions/{session.pk}/handover/").content.decode()
    assert "Please hand the tablet to the customer" in english
    assert "I am the customer: continue" in english
    consent = signed_in.get(f"/sessions/{session.pk}/consent/").content.decode()
    assert f'data-next="/sessions/{session.pk}/capture/"' in consent  # consent, then the live check
    assert "Step 3 of 4 · for the customer" in consent


def test_once_the_customer_consented_the_photo_is_not_retaken_and_the_capture_opens(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    session = make_session(S.CONSENTED, portrait=PHOTO)
    for page in ("document", "handover", "consent"):
        assert signed_in.get(f"/sessions/{session.pk}/{page}/")["Location"] == f"/sessions/{session.pk}/", page
    assert signed_in.get(f"/sessions/{session.pk}/capture/").status_code == 200
    legacy = make_session(S.CONSENTED, portrait=None)  # consented before its photo, as the old order left it
    assert signed_in.get(f"/sessions/{legacy.pk}/capture/")["Location"] == f"/sessions/{legacy.pk}/"
    assert signed_in.get(f"/sessions/{legacy.pk}/document/").status_code == 200


def test_the_alternative_page_says_what_was_and_was_not_taken(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    """Refused at the consent screen, after the document photo: no live image, no comparison."""
    from registration import services

    refused = make_session(S.DOCUMENT_CAPTURED, portrait=PHOTO)
    services.session_request_alternative(session_id=refused.pk, actor=refused.clerk, reason="declined")
    html = signed_in.get(f"/sessions/{refused.pk}/alternative/").content.decode()
    assert "我们未拍摄您的现场人脸图像，也未进行人脸比对" in html
    assert "状态：" in html  # the label's colon is Chinese too (it was typed in English after the word)
    assert "状态:" not in html
    after_an_attempt = make_session(S.LIVENESS_FAILED, portrait=PHOTO)
    VerificationSession.objects.filter(pk=after_an_attempt.pk).update(attempt_count=1)
    services.session_request_alternative(session_id=after_an_attempt.pk, actor=after_an_attempt.clerk, reason="x")
    html = signed_in.get(f"/sessions/{after_an_attempt.pk}/alternative/").content.decode()
    assert "活体检测改由主管人工核验" in html
    assert "未拍摄" not in html


def test_a_failed_sign_in_keeps_the_user_name(clerk: Any) -> None:
    response = Client().post("/login/", {"username": clerk.username, "password": "wrong"})
    html = response.content.decode()
    assert f'name="username" autocomplete="username" required value="{clerk.username}"' in html
    assert 'type="password" autocomplete="current-password" required autofocus' in html


@pytest.mark.parametrize(("language", "words"), [("en", "For about {} seconds"), ("zh-hans", "屏幕会显示约 {} 秒")])
def test_the_light_warning_says_how_long_the_lights_last_from_their_setting(
    signed_in: Client, make_session: Callable[..., VerificationSession], language: str, words: str
) -> None:
    session = make_session(S.CONSENTED, portrait=PHOTO)
    html = signed_in.get(f"/sessions/{session.pk}/capture/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert words.format(f"{liveness_config().light.duration:.0f}") in html
