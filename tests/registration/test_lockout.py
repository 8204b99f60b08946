"""What a locked-out sign-in is told: the page names the user name, the failure limit and the
minutes to wait (or says to ask an administrator when there is no cool-off), with status 429; an
API client gets the API's JSON error shape with the minutes as a detail."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import RequestFactory
from django.utils import translation

from registration.lockout import lockout_response


def _locked(path: str, **credentials: str) -> Any:
    with translation.override("en"):
        return lockout_response(RequestFactory().post(path, credentials), credentials=credentials)


def test_the_page_names_the_user_the_limit_and_the_wait(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)

    response = _locked("/login/", username="clerk-7")

    page = response.content.decode()
    assert response.status_code == 429
    assert "clerk-7" in page
    assert "after 5 failed attempts" in page
    assert "Try again in 15 minutes" in page


def test_without_a_cool_off_the_page_says_to_ask_an_administrator(settings: Any) -> None:
    settings.AXES_COOLOFF_TIME = None

    page = _locked("/login/", username="clerk-7").content.decode()

    assert "Ask an administrator to unlock it" in " ".join(page.split())


def test_an_api_client_gets_the_apis_error_shape(settings: Any) -> None:
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)

    response = _locked("/api/auth/token/", username="clerk-7")

    error = json.loads(response.content)["error"]
    assert response.status_code == 429
    assert error["code"] == "locked_out"
    assert error["details"] == {"cooloff_minutes": 30}
    assert error["message"]
