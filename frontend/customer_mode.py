"""Customer mode: from the handover until the clerk takes the tablet back, the tablet shows only the
customer's own screens of one registration.

The flag is on the clerk's sign-in (the Django session, server side): a page the customer may see
names that registration; every other page and API call of the sign-in is refused (a page sends the
tablet to the hand-back screen) until the clerk re-enters their password there. The start, the
return and every refused return are audited (`services.customer_mode_begin` / `_end`); wrong
passwords count towards the sign-in lockout like any other (django-axes)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_POST

from registration import selectors, services
from registration.customer_mode import CUSTOMER_MODE_KEY, customer_may_see
from registration.customer_mode import customer_mode_session as signed_in_customer_mode
from registration.error_messages import error_message
from registration.errors import NotFound
from registration.state_machine import OPEN_STATES, SessionState

SESSION_KEY = CUSTOMER_MODE_KEY
# The customer's screens of a registration, and the API calls those screens make: in customer mode,
# those of the customer's registration only (`registration.customer_mode:customer_may_see`).
CUSTOMER_PAGES = ("frontend:session", "frontend:consent", "frontend:alternative", "frontend:capture", "frontend:result")
CUSTOMER_API = ("registration:session-detail", "registration:session-consent", "registration:session-alternative",
                "registration:session-extend")  # fmt: skip
ALWAYS_ALLOWED = ("frontend:customer-return", "frontend:javascript-catalog", "frontend:language-catalogue",
                  "frontend:manifest", "frontend:favicon", "set_language", "registration:consent-text")  # fmt: skip


def customer_mode_session(request: HttpRequest) -> str:
    """The registration whose customer holds the tablet, or "" when the clerk does."""
    return signed_in_customer_mode(getattr(request, "session", None))


def customer_may_request(path_info: str, customer_session: str) -> bool:
    """Whether the path is one every screen needs, or one of the customer's screens (or an API call
    of theirs) of the registration the customer holds the tablet for."""
    try:
        match = resolve(path_info)
    except Resolver404:
        return False
    if match.view_name in ALWAYS_ALLOWED:
        return True
    return match.view_name in CUSTOMER_PAGES + CUSTOMER_API and customer_may_see(
        customer_session, str(match.kwargs.get("session_id", ""))
    )


class CustomerModeMiddleware:
    """Refuses, while the customer holds the tablet, everything but their screens: a page opens the
    hand-back screen, any other request gets 403 `customer_mode`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            session_id = customer_mode_session(request)  # the sign-in's session: read from the database
        except OperationalError:
            # The database is away: answer the clean "unavailable" the API gives then (a 503 the
            # session middleware does not try to save), not a server error from this middleware.
            error = {"code": "unavailable", "message": error_message("unavailable"), "details": {}}
            return JsonResponse({"error": error}, status=503)
        request.customer_mode = session_id  # type: ignore[attr-defined]  # read by the templates
        if not session_id or self._allowed(request, session_id):
            return self.get_response(request)
        navigating = request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"  # not a script's fetch
        if request.method in {"GET", "HEAD"} and navigating and not request.path.startswith("/api/"):
            return redirect("frontend:customer-return")
        error = {"code": "customer_mode", "message": error_message("customer_mode"), "details": {}}
        return JsonResponse({"error": error}, status=403)  # the API's error shape (registration/apis.py)

    @staticmethod
    def _allowed(request: HttpRequest, session_id: str) -> bool:
        return request.path.startswith(settings.STATIC_URL) or customer_may_request(request.path_info, session_id)


@login_required
@require_POST
def customer_mode_start(request: HttpRequest, session_id: UUID) -> HttpResponse:
    """The handover's "I am the customer": the tablet is the customer's until the clerk's password."""
    try:
        session = selectors.session_get_for_user(request.user, session_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if session.state in OPEN_STATES and session.state != SessionState.CREATED and not customer_mode_session(request):
        request.session[SESSION_KEY] = str(session.pk)
        request.session.save()  # before the sockets hear of it: one that reconnects finds the flag
        services.customer_mode_begin(
            clerk=request.user, session=session, login_session_key=request.session.session_key or ""
        )
    return redirect("frontend:consent", session_id=session.pk)


@login_required
def customer_return(request: HttpRequest) -> HttpResponse:
    """The hand-back screen: the customer is asked to give the tablet back; the clerk types their
    password to take it (and lands on the registration's result)."""
    session_id = customer_mode_session(request)
    if not session_id:
        return redirect("frontend:home")
    refused = False
    if request.method == "POST":
        user = authenticate(request, username=request.user.get_username(), password=request.POST.get("password", ""))
        returned = user is not None and user.pk == request.user.pk
        services.customer_mode_end(clerk=request.user, session_id=session_id, returned=returned)
        if returned:
            del request.session[SESSION_KEY]
            return redirect("frontend:result", session_id=session_id)
        refused = True
    context = {"session_id": session_id, "refused": refused, "outlet": selectors.staff_outlet(request.user)}
    return render(request, "frontend/customer_return.html", context)
