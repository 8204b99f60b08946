"""Sockets opened the way a signed-in tablet opens them: the browser's sign-in, and a communicator
on the project's WebSocket routes carrying that sign-in's session in its scope."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from capture.routing import websocket_urlpatterns

ROUTES = URLRouter(websocket_urlpatterns)


def signed_in(user: Any) -> tuple[Client, Any]:
    """A browser signed in as `user`, and the session store its sockets carry in their scope."""
    browser = Client()
    browser.force_login(user)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return browser, import_module(settings.SESSION_ENGINE).SessionStore(key)


def socket(path: str, user: Any, login: Any) -> WebsocketCommunicator:
    """A socket on `path` opened by `user` under the sign-in `login`."""
    communicator = WebsocketCommunicator(ROUTES, path)
    communicator.scope["user"] = user
    communicator.scope["session"] = login
    return communicator
