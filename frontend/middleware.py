"""Response headers the pages need (a strict Content-Security-Policy and camera permission), and the
sign-in's renewal on every request."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        # 'self' covers this origin's own ws:/wss: (CSP 3; Chromium, Firefox, Safari): no other host.
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The admin brings its own inline scripts; the API docs run under this policy (see config/urls.py).
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        return response


class RenewingSessionMiddleware(SessionMiddleware):
    """Django's session middleware, saving the sign-in after every request (SESSION_SAVE_EVERY_REQUEST:
    the idle timeout of shared tablets) except on a 503: that answer says the database is away, and
    saving the session to it would turn the clean "unavailable" into a server error."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code == 503:
            return response
        return super().process_response(request, response)
