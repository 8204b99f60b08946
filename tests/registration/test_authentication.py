"""API tokens: each issue gives a new key and kills the one before; a key dies with its lifetime,
with a password change and with a move to another outlet (it is bound to the credentials it was
issued for); the authentication refuses such a key with the reason; a revocation deletes it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from registration.authentication import ExpiringTokenAuthentication, token_for, token_revoke
from registration.models import StaffProfile

pytestmark = pytest.mark.django_db


def _authenticate(key: str) -> Any:
    user, _ = ExpiringTokenAuthentication().authenticate_credentials(key)
    return user


def test_a_new_key_kills_the_one_before(clerk: Any) -> None:
    first = token_for(clerk).key
    second = token_for(clerk).key

    assert first != second
    assert _authenticate(second) == clerk
    with pytest.raises(AuthenticationFailed):
        _authenticate(first)


def test_a_key_dies_with_its_lifetime(clerk: Any, settings: Any) -> None:
    settings.SHIMING_API_TOKEN_TTL_HOURS = 12
    token = token_for(clerk)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=12, seconds=1))

    with pytest.raises(AuthenticationFailed, match="expired"):
        _authenticate(token.key)


def test_a_password_change_kills_the_keys_issued_before(clerk: Any) -> None:
    key = token_for(clerk).key
    clerk.set_password("a-new-password-for-the-tablet")
    clerk.save()

    with pytest.raises(AuthenticationFailed, match="revoked"):
        _authenticate(key)


def test_a_move_to_another_outlet_kills_the_keys_issued_before(clerk: Any, other_outlet: Any) -> None:
    key = token_for(clerk).key
    StaffProfile.objects.filter(user=clerk).update(outlet=other_outlet)

    with pytest.raises(AuthenticationFailed, match="revoked"):
        _authenticate(key)
    assert _authenticate(token_for(clerk).key) == clerk


def test_a_revocation_deletes_the_key(clerk: Any) -> None:
    key = token_for(clerk).key

    assert token_revoke(clerk) == 1
    assert token_revoke(clerk) == 0
    with pytest.raises(AuthenticationFailed):
        _authenticate(key)
