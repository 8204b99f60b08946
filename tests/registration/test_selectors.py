"""Reads with the outlet built in: a clerk sees, lists and opens only the sessions of their own
outlet (another outlet's is "not found", a user without an outlet sees none); the review queue is the
outlet's manual-review cases, oldest first; a socket's user may be pushed to only while active, at
that outlet, and still signed in under the sign-in that opened it; and an attempt's signals are read
from the whole audit log, not only the last attempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from registration import selectors
from registration.audit import audit
from registration.errors import NotFound
from registration.models import StaffProfile, VerificationSession
from registration.state_machine import SessionState
from tests import factories

pytestmark = pytest.mark.django_db

Builder = Callable[..., VerificationSession]


def test_a_clerk_sees_only_their_outlets_sessions(make_session: Builder, other_clerk: Any, clerk: Any) -> None:
    mine = make_session()
    theirs = factories.make_session(clerk=other_clerk)

    assert list(selectors.sessions_visible_to(clerk)) == [mine]
    assert selectors.session_get_for_user(clerk, mine.pk) == mine
    with pytest.raises(NotFound):
        selectors.session_get_for_user(clerk, theirs.pk)


def test_a_user_without_an_outlet_sees_nothing(make_session: Builder) -> None:
    make_session()
    nobody = get_user_model().objects.create_user("no-outlet", password="x")

    assert not selectors.sessions_visible_to(nobody).exists()


def test_the_list_filters_by_state_and_phone_number(make_session: Builder, clerk: Any) -> None:
    first, second = make_session(), make_session(SessionState.CONSENTED)

    assert list(selectors.session_list(clerk, state=SessionState.CONSENTED)) == [second]
    assert list(selectors.session_list(clerk, phone_number=first.subscriber.phone_number)) == [first]


def test_the_review_queue_is_the_outlets_manual_review_cases_oldest_first(
    make_session: Builder, clerk: Any, other_clerk: Any
) -> None:
    older, newer = make_session(SessionState.MANUAL_REVIEW), make_session(SessionState.MANUAL_REVIEW)
    make_session(SessionState.CONSENTED)
    factories.make_session(clerk=other_clerk, state=SessionState.MANUAL_REVIEW)

    assert list(selectors.review_queue(clerk)) == [older, newer]


def test_a_sockets_user_is_pushed_to_only_while_active_at_that_outlet(clerk: Any, other_outlet: Any) -> None:
    outlet_id = StaffProfile.objects.get(user=clerk).outlet_id

    assert selectors.socket_user_allowed(user_id=clerk.pk, outlet_id=outlet_id)
    assert not selectors.socket_user_allowed(user_id=clerk.pk, outlet_id=other_outlet.pk)
    clerk.is_active = False
    clerk.save()
    assert not selectors.socket_user_allowed(user_id=clerk.pk, outlet_id=outlet_id)


def test_a_socket_ends_with_its_sign_in(clerk: Any) -> None:
    outlet_id = StaffProfile.objects.get(user=clerk).outlet_id
    tablet = Client()
    tablet.force_login(clerk)
    key = tablet.session.session_key or ""

    assert selectors.socket_user_allowed(user_id=clerk.pk, outlet_id=outlet_id, login_session_key=key)
    clerk.set_password("a-new-password-for-the-tablet")
    clerk.save()
    assert not selectors.socket_user_allowed(user_id=clerk.pk, outlet_id=outlet_id, login_session_key=key)
    assert not selectors.socket_user_allowed(user_id=clerk.pk, outlet_id=outlet_id, login_session_key="gone")


def test_an_attempts_signals_come_from_every_attempt(make_session: Builder) -> None:
    session = make_session(SessionState.LIVENESS_FAILED)
    audit(actor=None, action="session.liveness_failed", target=session, details={"reasons": ["planar_motion"]})
    audit(actor=None, action="session.liveness_running", target=session, details={"no_lights": True})

    signals = selectors.session_attempt_signals(session, frozenset({"planar_motion", "no_blink"}))

    assert signals == sorted(["planar_motion", selectors.LIGHTS_DECLINED])
