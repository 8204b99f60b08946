"""What a tablet app is expected to have: an icon, an installable manifest, the
API docs under the same strict CSP as the pages, and pictures that do not depend on an emoji font."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from frontend.middleware import CONTENT_SECURITY_POLICY
from registration.models import VerificationSession


def _static_exists(url: str) -> bool:
    return finders.find(url.removeprefix("/static/")) is not None


def test_every_page_links_an_icon_and_the_manifest(signed_in: Client) -> None:
    html = signed_in.get("/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    icons = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', html)
    assert len(icons) == 3
    assert all(_static_exists(icon) for icon in icons), icons


def test_the_manifest_makes_the_app_installable_in_the_pages_language() -> None:
    client = Client()
    response = client.get("/manifest.webmanifest")
    english = client.get("/manifest.webmanifest", headers={"accept-language": "en"})

    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    assert manifest["name"] == "实名制登记 Shiming"
    assert json.loads(english.content)["name"] == "Shiming real-name registration"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes  # what Chromium requires to offer "install"
    assert all(_static_exists(icon["src"]) for icon in manifest["icons"])


def test_favicon_ico_answers_with_the_icon() -> None:
    response = Client().get("/favicon.ico")

    assert response.status_code == 301
    assert _static_exists(response["Location"])


@pytest.mark.django_db
def test_the_api_docs_run_under_the_pages_policy_without_inline_code(clerk: Any) -> None:
    client = Client()
    client.force_login(clerk)  # the docs are for signed-in staff
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = page.content.decode()
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # every script is a file
    assert all(_static_exists(src) for src in re.findall(r'<script src="(/static/[^"?]+)"', html))
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()  # no badge fetched from validator.swagger.io


def test_the_supervisor_check_page_draws_its_icon_as_svg(
    signed_in: Client, make_session: Callable[..., VerificationSession]
) -> None:
    html = signed_in.get(f"/sessions/{make_session().pk}/alternative/").content.decode()

    assert "👤" not in html
    icon = re.search(r'<img class="outcome-icon" src="([^"]+\.svg)"', html)
    assert icon is not None
    assert _static_exists(icon.group(1))
