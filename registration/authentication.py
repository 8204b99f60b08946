"""API tokens that expire: `SHIMING_API_TOKEN_TTL_HOURS` after they were issued (one rule, one class)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expired(token: Token) -> bool:
    return token.created <= timezone.now() - timedelta(hours=settings.SHIMING_API_TOKEN_TTL_HOURS)


def token_for(user: Any) -> Token:
    """The user's live token: the existing one while it lasts, else a new one (the old key dies)."""
    token, created = Token.objects.get_or_create(user=user)
    if not created and token_expired(token):
        token.delete()
        token = Token.objects.create(user=user)
    return token


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing a token older than `SHIMING_API_TOKEN_TTL_HOURS`."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed("The API token has expired: request a new one.")
        return user, token
