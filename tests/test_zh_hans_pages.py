"""Every page and admin page, rendered in zh-Hans, shows no untranslated English and no raw code.

The pages are rendered for a superuser and for a supervisor over Chinese test data (so a word of
English on a page came from the product or a library, not from the data): the admin's index, every
registered model's list, add and change page, and the staff pages of a case in review. The visible
text is what a person reads: element text, `title`, `alt`, `placeholder`, `aria-label` and the labels
of buttons. What may stay in Latin letters is listed with the reason (names of products, standards
and the language switch's "English"). A raw code is a word with an underscore (`manual_review`) or a
bare `True`/`False`/`None`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from registration.models import ConsentText, Outlet
from registration.roles import CLERK, SUPERVISOR
from registration.state_machine import SessionState
from tests import factories

# Latin words a Chinese page may show, each for its reason.
ALLOWED = {
    "Shiming",  # the product's name
    "English",  # the language switch names each language in itself
    "SIM",  # 手机卡 is "SIM 卡" in Chinese too
    "MRZ",  # ICAO 9303's name for the machine-readable zone
    "ICAO",
    "API",  # the REST API and its token
    "JSON",  # the export format's name
    "PDF",
    "CSV",
    "WebRTC",
    "OpenVINO",  # the face matchers are named by their makers' names
    "Intel",
    "Dlib",
    "OMZ",
    "YuNet",
    "DeepFace",
    "SHA",  # SHA-384 checksums of the model files
    "PIPL",  # the law's English short name next to its Chinese one
    "PIN",
    "LDAP",  # Django's password help names the technology
    "UTC",
    "HTTP",  # the sign-in log's request headers are named by the protocol
    "omz",  # the face matcher's configured name (SHIMING_FACE_MATCHER=omz-0095), as the admin sets it
}
# Identifiers in the data, not words: session UUIDs (their hex letters) and the first 8 of them a
# session's name shows ("会话 2b7dbb87"), the masked start of a password's salt and hash on the user
# page ("bcfb******"), and django-axes's placeholder for a value the request did not carry (the test
# client sends no user agent).
NOT_WORDS = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b(?=[a-f]*[0-9])[0-9a-f]{8}\b|\S+\*{3,}|<unknown>"
)
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")
RAW = re.compile(r"\b(?:[a-z]+_[a-z_]+|True|False|None)\b")


def visible_text(page: str) -> str:
    """What a person reads on the page (scripts, styles, comments and hidden values left out)."""
    page = re.sub(r"(?is)<(script|style|template)[^>]*>.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    attributes = re.findall(r'\s(?:title|placeholder|aria-label|alt)="([^"]*)"', page)
    attributes += re.findall(r'<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    return NOT_WORDS.sub(" ", html.unescape(text + " " + " ".join(attributes)))


def findings(page: str) -> list[str]:
    text = visible_text(page)
    english = sorted({word for word in LATIN_WORD.findall(text) if word not in ALLOWED and not RAW.fullmatch(word)})
    raw = sorted(set(RAW.findall(text)))
    return [f"English: {', '.join(english)}"] * bool(english) + [f"raw code: {', '.join(raw)}"] * bool(raw)


def test_the_judge_finds_english_and_raw_codes() -> None:
    """A page with an untranslated word and a state code is caught; a Chinese one is not."""
    assert findings("<p>Access attempts</p><td>manual_review</td>") == [
        "English: Access, attempts",
        "raw code: manual_review",
    ]
    assert findings('<p title="搜索">待人工复核</p><script>var x = "manual_review";</script>') == []
    assert findings('<img alt="Search">') == ["English: Search"]


@pytest.fixture
def chinese_data(db: None) -> dict[str, Any]:
    # The consent texts in English are content in English, shown as such in any language's admin.
    ConsentText.objects.filter(language="en").delete()
    outlet = Outlet.objects.create(code="0571", name="西湖营业厅", address="杭州市西湖区文三路 1 号")
    clerk = factories.make_staff(CLERK, outlet=outlet, username="李店员")
    supervisor = factories.make_staff(SUPERVISOR, outlet=outlet, is_staff=True, username="王主管")
    root = User.objects.create_superuser("管理员", "admin@example.cn", "a-long-password-1234")
    session = factories.make_session(
        clerk=clerk,
        state=SessionState.MANUAL_REVIEW,
        full_name="陈 小明",
    )
    return {"outlet": outlet, "supervisor": supervisor, "root": root, "session": session}


def admin_urls() -> Iterator[str]:
    yield reverse("admin:index")
    for model in admin.site._registry:  # noqa: SLF001 (the admin's own list of what it shows)
        info = (model._meta.app_label, model._meta.model_name)
        yield reverse("admin:{}_{}_changelist".format(*info))
        yield reverse("admin:{}_{}_add".format(*info))  # every model admin has one (403 when read-only)
        first = model._default_manager.first()  # noqa: SLF001 (Django's documented manager)
        if first is not None:
            yield reverse("admin:{}_{}_change".format(*info), args=[first.pk])


def render(client: Client, url: str) -> str | None:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    if response.status_code in {403, 302}:
        return None  # a page this user may not open shows nothing to judge
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.content.decode()


def test_no_admin_page_shows_english_or_raw_codes(chinese_data: dict[str, Any]) -> None:
    client = Client()
    client.force_login(chinese_data["root"])
    client.cookies["django_language"] = "zh-hans"
    problems = {}
    for url in admin_urls():
        page = render(client, url)
        if page is not None and (found := findings(page)):
            problems[url] = found
    assert not problems, "\n".join(f"{url}: {'; '.join(found)}" for url, found in problems.items())


def test_no_staff_page_shows_english_or_raw_codes(chinese_data: dict[str, Any]) -> None:
    client = Client()
    client.force_login(chinese_data["supervisor"])
    client.cookies["django_language"] = "zh-hans"
    session = chinese_data["session"]
    urls = ["/", "/register/", "/dashboard/", f"/review/{session.pk}/", f"/sessions/{session.pk}/result/"]
    problems = {}
    for url in urls:
        page = render(client, url)
        if page is not None and (found := findings(page)):
            problems[url] = found
    assert not problems, "\n".join(f"{url}: {'; '.join(found)}" for url, found in problems.items())
