"""API tokens stop working `SHIMING_API_TOKEN_TTL_HOURS` after they were issued
(registration/authentication.py), and asking the token endpoint again gives a new key (each issue
does: tests/security/test_revocable_access.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registration.authentication import token_for

from .report import record_access
from .snapshot import database_snapshot

pytestmark = [pytest.mark.security, pytest.mark.django_db]

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's


def _with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _issued_hours_ago(token: Token, hours: float) -> None:
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=hours))


def test_a_token_past_its_lifetime_is_refused(clerk: Any, settings: Any) -> None:
    token = token_for(clerk)
    _issued_hours_ago(token, settings.SHIMING_API_TOKEN_TTL_HOURS - 0.1)
    assert _with_token(token.key).get("/api/sessions/").status_code == 200

    _issued_hours_ago(token, settings.SHIMING_API_TOKEN_TTL_HOURS + 0.1)
    before = database_snapshot()
    response = _with_token(token.key).get("/api/sessions/")
    record_access("GET api/sessions/ (expired token)", "anonymous", expected=403, got=response.status_code)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "authentication_failed"
    assert "expired" in response.json()["error"]["message"]
    assert database_snapshot() == before


def test_signing_in_again_gives_a_new_key_once_the_old_one_expired(clerk: Any, settings: Any) -> None:
    client = APIClient()
    first = client.post("/api/auth/token/", {"username": clerk.username, "password": PASSWORD}).json()["token"]
    _issued_hours_ago(Token.objects.get(key=first), settings.SHIMING_API_TOKEN_TTL_HOURS + 1)

    renewed = client.post("/api/auth/token/", {"username": clerk.username, "password": PASSWORD})
    assert renewed.status_code == 200
    new_key = renewed.json()["token"]
    assert new_key != first
    assert _with_token(new_key).get("/api/sessions/").status_code == 200
    assert _with_token(first).get("/api/sessions/").status_code == 403
