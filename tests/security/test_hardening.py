"""Hardening of the pages and settings: a malformed `?after=` on the review queue is ignored (not a
500), the API schema and its docs need a sign-in, a sign-in ends after a spell of idleness on a
shared tablet, the pages may connect to their own origin only (CSP `connect-src 'self'`), and a
supervisor's admin filters offer only the supervisor's own outlet."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from frontend.middleware import CONTENT_SECURITY_POLICY
from registration import services
from tests.factories import make_phone, make_prc_id

from .report import record_access, record_bad_input

pytestmark = [pytest.mark.security, pytest.mark.django_db]


def _signed_in(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.mark.parametrize("after", ["not-a-uuid", "1' OR '1'='1", "%00", ""])
def test_a_malformed_after_on_the_review_queue_is_ignored(supervisor: Any, after: str) -> None:
    response = _signed_in(supervisor).get("/review/", {"after": after})
    record_bad_input(f"GET review/?after={after!r}", expected=200, got=response.status_code, code="ignored")
    assert response.status_code == 200  # the empty queue: nothing waits at this outlet


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_the_api_schema_and_docs_need_a_sign_in(clerk: Any, path: str) -> None:
    anonymous = Client().get(path)
    record_access(f"GET {path.strip('/')}/ (signed out)", "anonymous", expected=302, got=anonymous.status_code)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/?next=")
    assert _signed_in(clerk).get(path).status_code == 200


def test_a_sign_in_ends_after_idleness_and_each_request_renews_it(clerk: Any, settings: Any) -> None:
    assert settings.SESSION_COOKIE_AGE <= 60 * 60  # a shared tablet left signed in: at most an hour
    assert settings.SESSION_SAVE_EVERY_REQUEST
    browser = _signed_in(clerk)
    response = browser.get("/dashboard/")
    assert response.status_code == 200
    assert 0 < int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) <= settings.SESSION_COOKIE_AGE


def test_pages_may_connect_to_their_own_origin_only(clerk: Any) -> None:
    policy = _signed_in(clerk).get("/dashboard/").headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    connect = next(part.strip() for part in policy.split(";") if part.strip().startswith("connect-src"))
    assert connect == "connect-src 'self'"


def test_a_supervisors_admin_filters_list_only_their_outlet(
    supervisor: Any, clerk: Any, other_clerk: Any, other_outlet: Any
) -> None:
    for who in (clerk, other_clerk):
        services.registration_create(
            clerk=who,
            full_name="吴 九",
            document_type="prc_id",
            document_number=make_prc_id(),
            phone_number=make_phone(),
        )
    browser = _signed_in(supervisor)
    for path in ("/admin/registration/verificationsession/", "/admin/registration/auditevent/"):
        page = browser.get(path)
        assert page.status_code == 200
        changelist = page.context["cl"]
        specs = [spec for spec in changelist.filter_specs if getattr(spec, "field_path", "") == "outlet"]
        choices = {str(choice["display"]) for spec in specs for choice in spec.choices(changelist)}
        # One outlet to choose from shows no filter at all (Django's rule); never another outlet.
        shown = "every outlet" if str(other_outlet) in choices else "own only"
        record_access(f"GET admin {path.split('/')[3]} outlet filter", "other outlet", expected="own only", got=shown)
        assert shown == "own only", choices
