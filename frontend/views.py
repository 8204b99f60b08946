"""Pages only: each view renders a template; the pages talk to the REST API and WebSockets."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from registration import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/home.html", {"outlet": selectors.staff_outlet(request.user)})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    outlet = selectors.staff_outlet(request.user)
    sessions = selectors.session_list(request.user)[:100]
    return render(request, "frontend/dashboard.html", {"outlet": outlet, "sessions": sessions})
