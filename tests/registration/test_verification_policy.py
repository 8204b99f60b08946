"""Face thresholds belong to one matcher: the calibrated ones of the matcher in use, or an admin's
override made for that matcher. An override made for another matcher (a Dlib distance while the
OMZ similarity decides) is not applied, and the policy page says so."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from registration import services
from registration.face_matching.deepface_matcher import DeepFaceMatcher
from registration.face_matching.omz_matcher import OmzMatcher
from registration.models import VerificationPolicy
from registration.roles import ADMIN
from registration.verification_policy import effective_policy
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_without_an_override_the_matchers_calibrated_thresholds_apply() -> None:
    policy = effective_policy()

    assert (policy.face_accept_threshold, policy.face_reject_threshold) == (
        OmzMatcher.SCALE.accept,
        OmzMatcher.SCALE.reject,
    )
    assert (policy.face_matcher, policy.face_higher_is_closer, policy.face_thresholds_from) == (
        "omz-0095",
        True,
        "matcher",
    )


def test_an_override_made_for_another_matcher_is_not_applied() -> None:
    VerificationPolicy.objects.create(
        pk=1, face_accept_threshold=0.30, face_reject_threshold=0.70, face_thresholds_matcher=DeepFaceMatcher.KEY
    )

    policy = effective_policy()

    assert (policy.face_accept_threshold, policy.face_reject_threshold) == (
        OmzMatcher.SCALE.accept,
        OmzMatcher.SCALE.reject,
    )
    assert policy.face_override_ignored_for == "dlib"


def test_the_same_override_applies_while_its_matcher_is_in_use(settings: Any) -> None:
    settings.SHIMING_FACE_MATCHER = "registration.face_matching.deepface_matcher.DeepFaceMatcher"
    VerificationPolicy.objects.create(
        pk=1, face_accept_threshold=0.30, face_reject_threshold=0.70, face_thresholds_matcher=DeepFaceMatcher.KEY
    )

    policy = effective_policy()

    assert (policy.face_accept_threshold, policy.face_reject_threshold, policy.face_thresholds_from) == (
        0.30,
        0.70,
        "admin",
    )


def test_a_new_override_records_the_matcher_and_drops_the_other_matchers_leftover() -> None:
    VerificationPolicy.objects.create(
        pk=1, face_accept_threshold=0.30, face_reject_threshold=0.70, face_thresholds_matcher=DeepFaceMatcher.KEY
    )
    admin: Any = UserFactory(role=ADMIN, is_staff=True)

    services.policy_update(actor=admin, values={"face_accept_threshold": 0.6})

    row = VerificationPolicy.objects.get()
    assert (row.face_accept_threshold, row.face_reject_threshold, row.face_thresholds_matcher) == (
        0.6,
        None,  # a Dlib distance means nothing to the OMZ similarity: cleared, the calibrated one applies
        "omz-0095",
    )
    policy = effective_policy()
    assert (policy.face_accept_threshold, policy.face_reject_threshold) == (0.6, OmzMatcher.SCALE.reject)


def test_the_policy_page_shows_the_matcher_and_says_an_override_is_not_applied() -> None:
    VerificationPolicy.objects.create(
        pk=1, face_accept_threshold=0.30, face_reject_threshold=0.70, face_thresholds_matcher=DeepFaceMatcher.KEY
    )
    client = Client()
    admin: Any = UserFactory(role=ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)

    page = client.get("/admin/registration/verificationpolicy/1/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "omz-0095: cosine similarity, higher is closer" in page
    assert "were set for the dlib matcher and are not applied" in page
