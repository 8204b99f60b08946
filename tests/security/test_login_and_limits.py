"""Login throttling and lockout (django-axes), rate limits on session creation, and the security headers
and cookies of the production settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from registration.apis import OutletSessionCreateThrottle, SessionCreateThrottle
from registration.models import VerificationSession
from registration.roles import CLERK
from tests.config.settings.test_production import PRODUCTION_ENV
from tests.environment import PROJECT_ROOT
from tests.factories import UserFactory

from .report import record_access
from .snapshot import database_snapshot, failed_logins

pytestmark = [pytest.mark.security, pytest.mark.django_db]

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


def _sign_in(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- login throttling and lockout --------------------------------------------------------------


def test_five_failures_lock_the_user_name_on_that_address(clerk: Any, settings: Any) -> None:
    client = Client()
    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        response = _sign_in(client, clerk.username, f"wrong-{attempt}")
        assert response.status_code == 200  # the sign-in page again, with its error
        assert response.context["form"].errors
    locked = _sign_in(client, clerk.username, "wrong-5")
    record_access("POST login/ 5th failure", "anonymous", expected=429, got=locked.status_code)
    assert locked.status_code == 429
    assert failed_logins() == settings.AXES_FAILURE_LIMIT

    # The right password no longer helps, from that address.
    correct = _sign_in(client, clerk.username, PASSWORD)
    record_access("POST login/ right password, locked", "right user", expected=429, got=correct.status_code)
    assert correct.status_code == 429
    assert not _signed_in(client)
    assert Client().get("/").status_code == 302

    # The lockout is said plainly on the sign-in page: which user, after how many tries, for how long.
    page = correct.content.decode()
    assert 'id="lockout"' in page
    assert clerk.username in page
    assert "5" in page
    assert "15" in page  # AXES_COOLOFF_TIME, in minutes
    assert "Content-Security-Policy" in correct.headers


def test_the_lockout_page_speaks_english_too(clerk: Any, settings: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, clerk.username, f"wrong-{attempt}")
    page = _sign_in(client, clerk.username, PASSWORD).content.decode()
    assert "is locked after 5 failed attempts" in page
    assert "Try again in 15 minutes" in page


def test_the_lockout_is_per_user_name_and_address(clerk: Any, other_clerk: Any, settings: Any) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), clerk.username, f"wrong-{attempt}", ip="10.0.0.1")
    # Another user at the same address, and the same user elsewhere, still sign in.
    other = Client()
    assert _sign_in(other, other_clerk.username, PASSWORD, ip="10.0.0.1").status_code == 302
    assert _signed_in(other)
    elsewhere = Client()
    assert _sign_in(elsewhere, clerk.username, PASSWORD, ip="10.0.0.2").status_code == 302
    assert _signed_in(elsewhere)


def test_a_successful_sign_in_resets_the_failure_count(clerk: Any, settings: Any) -> None:
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, clerk.username, f"wrong-{attempt}")
    assert _sign_in(client, clerk.username, PASSWORD).status_code == 302
    client.logout()
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, clerk.username, f"again-{attempt}").status_code == 200
    assert _sign_in(client, clerk.username, PASSWORD).status_code == 302


def test_the_api_token_endpoint_is_locked_out_too(clerk: Any, settings: Any) -> None:
    """No way around the lockout through the integrations' token endpoint."""
    client = APIClient(REMOTE_ADDR="10.0.0.9")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/api/auth/token/", {"username": clerk.username, "password": f"wrong-{attempt}"})
        assert response.status_code in (400, 429)
    before = database_snapshot()
    response = client.post("/api/auth/token/", {"username": clerk.username, "password": PASSWORD})
    record_access("POST api/auth/token/ right password, locked", "right user", expected=429, got=response.status_code)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"
    assert database_snapshot() == before  # no token was issued


# --- rate limits on session creation -----------------------------------------------------------


@pytest.fixture
def throttle_rates(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set the throttles' rates for one test (DRF binds them to the classes at import)."""

    def set_rates(**rates: str) -> None:
        for throttle in (SessionCreateThrottle, OutletSessionCreateThrottle):
            monkeypatch.setattr(throttle, "THROTTLE_RATES", {**throttle.THROTTLE_RATES, **rates})

    return set_rates


def _create(client: APIClient, registration_input: Callable[..., dict[str, Any]]) -> Any:
    return client.post("/api/sessions/", registration_input(), format="json")


def test_session_creation_is_limited_per_clerk_then_per_outlet(
    clerk: Any,
    outlet: Any,
    client_for: Callable[[Any], APIClient],
    registration_input: Callable[..., dict[str, Any]],
    throttle_rates: Callable[..., None],
) -> None:
    throttle_rates(session_create="3/min", outlet_session_create="5/min")
    first, second = client_for(clerk), client_for(UserFactory(role=CLERK, outlet=outlet))
    assert [_create(first, registration_input).status_code for _ in range(3)] == [201, 201, 201]

    before = database_snapshot()
    refused = _create(first, registration_input)
    record_access("POST api/sessions/ over the clerk's rate", "right user", expected=429, got=refused.status_code)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert database_snapshot() == before

    # Another clerk of the outlet still works, until the outlet's own limit (5/min), which counts every
    # attempt made at the outlet: the 4th, refused one too.
    assert [_create(second, registration_input).status_code for _ in range(2)] == [201, 429]
    assert VerificationSession.objects.count() == 4


def test_the_rate_limit_does_not_touch_reads(
    clerk: Any, client_for: Callable[[Any], APIClient], throttle_rates: Callable[..., None]
) -> None:
    throttle_rates(session_create="1/min")
    client = client_for(clerk)
    assert all(client.get("/api/sessions/").status_code == 200 for _ in range(5))


# --- headers and cookies ---------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(client: Client) -> None:
    response = client.get("/login/")
    policy = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";") if directive
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=(self)" in response["Permissions-Policy"]


PRODUCTION_PROBE = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.conf import settings
    from django.test import Client

    client = Client()
    plain = client.get("/login/", HTTP_HOST="shiming.example.com")
    secure = client.get("/login/", HTTP_HOST="shiming.example.com", HTTP_X_FORWARDED_PROTO="https")
    csrf = secure.cookies.get(settings.CSRF_COOKIE_NAME)
    print(json.dumps({
        "plain_status": plain.status_code,
        "plain_location": plain.get("Location", ""),
        "secure_status": secure.status_code,
        "headers": dict(secure.headers),
        "csrf_cookie": {"secure": bool(csrf and csrf["secure"]), "samesite": csrf["samesite"] if csrf else ""},
        "settings": {
            name: getattr(settings, name)
            for name in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
                         "SECURE_SSL_REDIRECT", "DEBUG", "SESSION_COOKIE_SAMESITE")
        },
    }))
    """
)


@pytest.fixture(scope="module")
def production_probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The production settings in their own process (they refuse to start without their secrets).

    Static files are served from a manifest built by `collectstatic` in production; the probe has none,
    so a one-line settings module keeps the plain storage and changes nothing else.
    """
    folder: Path = tmp_path_factory.mktemp("production-probe")
    (folder / "probe_settings.py").write_text(
        "from config.settings.production import *  # noqa\n"
        "STORAGES = {**STORAGES, 'staticfiles': {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
    )
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SHIMING_"))}
    env = {
        **clean,
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "probe_settings",
        "PYTHONPATH": f"{folder}{os.pathsep}{PROJECT_ROOT}",
    }
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_production_redirects_plain_http_to_https(production_probe: dict[str, Any]) -> None:
    assert production_probe["plain_status"] == 301
    assert production_probe["plain_location"].startswith("https://shiming.example.com/login/")


def test_production_sends_hsts_and_the_security_headers(production_probe: dict[str, Any]) -> None:
    headers = production_probe["headers"]
    assert production_probe["secure_status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_production_cookies_are_secure(production_probe: dict[str, Any]) -> None:
    assert production_probe["csrf_cookie"]["secure"] is True
    assert production_probe["settings"] == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "DEBUG": False,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }
