"""API tokens: a new key on each issue, dead `SHIMING_API_TOKEN_TTL_HOURS` after it, and bound to
the credentials it was issued for (one rule, one class).

A key is a random half and a keyed hash of that half with the user's password hash and outlet (the
technique of Django's password-reset tokens): a password change, or a move to another outlet, makes
every key issued before it fail, whichever path made the change (admin, `changepassword`, a shell).
A deactivated user's key is refused by DRF itself; `access_revoke` also deletes it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from .models import StaffProfile

KEY_SALT = "shiming.api-token"
HALF = 20  # Token.key holds 40 characters: 20 random, 20 of the binding


def token_expired(token: Token) -> bool:
    return token.created <= timezone.now() - timedelta(hours=settings.SHIMING_API_TOKEN_TTL_HOURS)


def _binding(nonce: str, user: Any) -> str:
    outlet_id = StaffProfile.objects.filter(user_id=user.pk).values_list("outlet_id", flat=True).first()
    return salted_hmac(KEY_SALT, f"{nonce}|{user.pk}|{user.password}|{outlet_id}").hexdigest()[:HALF]


def token_bound(token: Token) -> bool:
    """Whether the key was issued for the user's present password and outlet."""
    nonce, binding = token.key[:HALF], token.key[HALF:]
    return constant_time_compare(binding, _binding(nonce, token.user))


def token_for(user: Any) -> Token:
    """A new token for the user; every key issued before dies (one live key per user)."""
    Token.objects.filter(user=user).delete()
    nonce = secrets.token_hex(HALF // 2)
    return Token.objects.create(user=user, key=nonce + _binding(nonce, user))


def token_revoke(user: Any) -> int:
    """Delete the user's token; returns how many there were."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing a token past its lifetime or issued for other credentials."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed("The API token has expired: request a new one.")
        if not token_bound(token):
            raise exceptions.AuthenticationFailed("The API token was revoked: request a new one.")
        return user, token
