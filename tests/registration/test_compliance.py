"""The compliance pack against known data: the filing count (held now, last 12 months) and its
warning, crossing and deadline; the impact-assessment record (versioned, kept three years, printed
in both languages); the counter notice; the monthly processing report by outlet; the admin's front
page showing the filing threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registration import services
from registration.audit import audit
from registration.compliance import filing_status, processing_report
from registration.models import AuditEvent, ImpactAssessment, VerificationSession
from registration.roles import ADMIN
from registration.state_machine import SessionState
from registration.working_days import add_working_days, working_calendar
from tests import factories
from tests.factories import OutletFactory, UserFactory

pytestmark = pytest.mark.django_db
S = SessionState
LANGUAGES = [("en", "Face information held now"), ("zh-hans", "当前持有人脸信息")]


@pytest.fixture
def known_data(clerk: Any, other_clerk: Any) -> dict[str, Any]:
    """Three people with face evidence held now (one of them by hand), a fourth whose evidence was
    purged 200 days ago, a fifth processed 400 days ago, and a sixth whose photo was never taken."""
    held = [
        factories.make_session(clerk=clerk, state=S.APPROVED, portrait=factories.STAND_IN_PORTRAIT),
        factories.make_session(clerk=clerk, state=S.MANUAL_REVIEW, portrait=factories.STAND_IN_PORTRAIT),
        factories.make_session(clerk=other_clerk, state=S.REJECTED, portrait=factories.STAND_IN_PORTRAIT),
    ]
    VerificationSession.objects.filter(pk=held[1].pk).update(non_biometric=True)
    purged = factories.make_session(clerk=clerk, state=S.EXPIRED, portrait=None)  # its evidence was purged
    old = factories.make_session(clerk=clerk, state=S.EXPIRED, portrait=None)
    factories.make_session(clerk=clerk, state=S.CREATED)
    now = timezone.now()
    VerificationSession.objects.filter(pk__in=[s.pk for s in held]).update(document_captured_at=now)
    VerificationSession.objects.filter(pk=purged.pk).update(
        created_at=now - timedelta(days=200), document_captured_at=now - timedelta(days=200)
    )
    VerificationSession.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(days=400), document_captured_at=now - timedelta(days=400)
    )
    return {"held": held}


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    admin: Any = UserFactory(role=ADMIN, is_staff=True, is_superuser=True, outlet=OutletFactory())
    client.force_login(admin)
    return client


def test_the_filing_count_is_people_with_face_data_now_and_in_12_months(known_data: dict[str, Any]) -> None:
    status = filing_status()
    assert (status.held_now, status.last_12_months) == (3, 4)
    assert status.level == "ok"


def test_the_warning_and_the_crossing_with_its_deadline(known_data: dict[str, Any], settings: Any) -> None:
    settings.SHIMING_FILING_THRESHOLD_PEOPLE = 6
    settings.SHIMING_FILING_WARNING_SHARE = 0.6
    assert filing_status().level == "warning"
    assert services.filing_threshold_check() is False
    settings.SHIMING_FILING_THRESHOLD_PEOPLE = 4
    assert services.filing_threshold_check() is True
    assert services.filing_threshold_check() is False
    status = filing_status()
    assert status.level == "crossed"
    assert status.crossed_on == timezone.localdate()
    assert status.filing_deadline == add_working_days(timezone.localdate(), 30, working_calendar()).day
    assert AuditEvent.objects.filter(action="filing.threshold_crossed").count() == 1


@pytest.mark.parametrize(("language", "phrase"), LANGUAGES)
def test_the_admin_front_page_shows_the_filing_threshold(
    known_data: dict[str, Any], admin_client: Client, language: str, phrase: str
) -> None:
    page = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert phrase in page
    assert "100000" in page or "100,000" in page


@pytest.mark.parametrize(("language", "version_phrase"), [("en", "Version 1, recorded"), ("zh-hans", "第 1 版")])
def test_the_impact_assessment_is_recorded_versioned_and_printed(
    known_data: dict[str, Any], admin_client: Client, language: str, version_phrase: str
) -> None:
    response = admin_client.post(reverse("admin:registration_impact_assessment_record"))
    record = ImpactAssessment.objects.get()
    assert response.status_code == 302
    assert record.version == 1
    assert record.keep_until - record.recorded_at >= timedelta(days=3 * 365)
    assert record.facts["alternative"] == {"sessions_12_months": 5, "by_hand_12_months": 1}
    assert record.facts["filing"]["held_now"] == 3
    assert record.facts["policy"]["evidence_retention_hours"] == 72
    url = reverse("admin:registration_impact_assessment_print", args=[record.pk])
    page = admin_client.get(url, {"lang": language}).content.decode()
    assert version_phrase in page
    assert "72" in page
    assert ("1 of 5" if language == "en" else "5 笔登记中有 1 笔") in page
    assert services.impact_assessment_record(actor=None).version == 2
    assert admin_client.post(reverse("admin:registration_impactassessment_delete", args=[record.pk])).status_code == 403


@pytest.mark.parametrize(("language", "phrase"), [("en", "You may refuse"), ("zh-hans", "您可以拒绝")])
def test_the_counter_notice_prints_the_live_retention(admin_client: Client, language: str, phrase: str) -> None:
    page = admin_client.get(reverse("admin:registration_counter_notice"), {"lang": language}).content.decode()
    assert phrase in page
    assert "72" in page


def test_the_monthly_report_counts_by_outlet(known_data: dict[str, Any], clerk: Any) -> None:
    session = known_data["held"][0]
    audit(actor=None, action="evidence.purged", target=session, outlet=session.outlet)
    audit(actor=None, action="subject.erased", target=session, outlet=session.outlet)
    today = timezone.localdate()
    rows = {row["outlet"].split()[0]: row for row in processing_report(today.year, today.month)}
    mine = rows[session.outlet.code]
    other = rows[known_data["held"][2].outlet.code]
    assert (mine["verifications"], mine["alternatives"], mine["approved"]) == (1, 1, 1)
    assert (mine["purges"], mine["erasures"], mine["exports"]) == (1, 1, 0)
    assert (other["verifications"], other["rejected"], other["purges"]) == (1, 1, 0)


@pytest.mark.parametrize(("language", "phrase"), [("en", "Face verifications"), ("zh-hans", "人脸核验")])
def test_the_monthly_report_prints_in_both_languages(
    known_data: dict[str, Any], admin_client: Client, language: str, phrase: str
) -> None:
    page = admin_client.get(reverse("admin:registration_processing_report"), {"lang": language}).content.decode()
    assert phrase in page
    assert timezone.localdate().strftime("%Y-%m") in page


DEADLINE_WORDS = {
    "en": ("Public holidays and adjusted working weekends are counted.", "This deadline is approximate"),
    "zh-hans": ("已计入法定节假日和调休上班日。", "此期限为估算"),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("crossed", "deadline", "exact"),
    [
        # Thursday 2026-09-24: Mid-Autumn (25-27 Sep) and National Day (1-7 Oct) are off, Saturday
        # 10 Oct is worked; the calendar covers 2026, so the deadline is exact.
        (datetime(2026, 9, 24, 4, tzinfo=UTC), "2026-11-12", True),
        # Tuesday 2026-12-01: the count runs into 2027, which the shipped calendar does not cover.
        (datetime(2026, 12, 1, 4, tzinfo=UTC), "2027-01-12", False),
    ],
)
def test_the_front_page_says_whether_the_deadline_counts_the_holidays(
    known_data: dict[str, Any],
    admin_client: Client,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    crossed: datetime,
    deadline: str,
    exact: bool,
) -> None:
    settings.SHIMING_FILING_THRESHOLD_PEOPLE = 3
    with monkeypatch.context() as clock:  # the crossing is audited on that day
        clock.setattr(timezone, "now", lambda: crossed)
        assert services.filing_threshold_check() is True
    page = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    counted, approximate = DEADLINE_WORDS[language]
    assert deadline in page
    assert (counted in page, approximate in page) == (exact, not exact)
