"""The pages' response headers and the sign-in's renewal: every page but the admin gets the strict
Content-Security-Policy, every response the camera-only Permissions-Policy, a header a view set
itself is kept; the sign-in is saved after every request except a 503 (the database is away)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from frontend.middleware import CONTENT_SECURITY_POLICY, ContentSecurityPolicyMiddleware, RenewingSessionMiddleware


def _headers(path: str, response: HttpResponse | None = None) -> dict[str, str]:
    middleware = ContentSecurityPolicyMiddleware(lambda request: response or HttpResponse())
    return dict(middleware(RequestFactory().get(path)).headers)


def test_pages_get_the_strict_policy_and_the_admin_brings_its_own() -> None:
    assert _headers("/sessions/")["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "Content-Security-Policy" not in _headers("/admin/")


def test_every_response_may_use_the_camera_only() -> None:
    for path in ("/sessions/", "/admin/"):
        assert _headers(path)["Permissions-Policy"] == "camera=(self), microphone=(), geolocation=()"


def test_a_policy_the_view_set_itself_is_kept() -> None:
    own = HttpResponse(headers={"Content-Security-Policy": "default-src 'none'"})

    assert _headers("/api/docs/", own)["Content-Security-Policy"] == "default-src 'none'"


def _renewed(status: int) -> bool:
    def view(request: HttpRequest) -> HttpResponse:
        request.session["seen"] = True
        return HttpResponse(status=status)

    middleware = RenewingSessionMiddleware(view)
    request = RequestFactory().get("/sessions/")
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    return "sessionid" in response.cookies and SessionStore().exists(response.cookies["sessionid"].value)


@pytest.mark.django_db
def test_the_sign_in_is_saved_after_a_request_but_not_after_a_503() -> None:
    assert _renewed(200)
    assert not _renewed(503)
