"""The impact assessment prints the matcher's measured error rates and the liveness attack results
from the latest stored calibration runs, in both languages; with none stored it says so plainly.
Known figures are stored through the same service the commands call."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from registration import services
from registration.calibration_records import CalibrationRecord
from registration.compliance import impact_assessment_facts
from registration.face_matching.base import matcher_class
from registration.models import AuditEvent, ImpactAssessment
from registration.roles import ADMIN
from registration.services.calibration import command_line, face_error_figures
from tests.factories import OutletFactory, UserFactory
from tests.registration.calibration_data import ACCEPT, REJECT, known_sets, store_attacks, store_face

pytestmark = pytest.mark.django_db
NOT_CALIBRATED = {"en": "Not calibrated on this installation", "zh-hans": "本系统未做过校准"}


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    admin: Any = UserFactory(role=ADMIN, is_staff=True, is_superuser=True, outlet=OutletFactory())
    client.force_login(admin)
    return client


def printed(client: Client, language: str) -> str:
    client.post(reverse("admin:registration_impact_assessment_record"))
    record = ImpactAssessment.objects.order_by("-version").first()
    assert record is not None
    url = reverse("admin:registration_impact_assessment_print", args=[record.pk])
    return client.get(url, {"lang": language}).content.decode()


def test_the_errors_are_counted_at_the_thresholds_pooled_and_per_set() -> None:
    figures = face_error_figures(known_sets(), accept=ACCEPT, reject=REJECT, scale=matcher_class().SCALE)
    assert (figures["genuine_pairs"], figures["impostor_pairs"]) == (100, 1000)
    assert (figures["auto_approved"], figures["auto_approve_rate"]) == (95, 0.95)
    assert figures["false_approvals"] == 1
    assert (figures["false_match"]["errors"], figures["false_match"]["trials"]) == (1, 1000)
    assert 0.001 < figures["false_match"]["upper"] < 0.01
    assert figures["false_non_match"]["errors"] == 5
    assert figures["rejected_outright"]["errors"] == 1
    assert [s["false_approvals"] for s in figures["sets"]] == [1, 0]


def test_the_attack_figures_count_attacks_that_produced_an_event() -> None:
    figures = store_attacks().figures["attacks"]
    assert figures == {
        "still": {"played": 7, "with_blink": 0, "with_turn": 0, "passed": 0},
        "bent_recompressed": {"played": 7, "with_blink": 1, "with_turn": 0, "passed": 0},
    }


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_without_a_stored_run_the_assessment_says_it_is_not_calibrated(admin_client: Client, language: str) -> None:
    store_face(component="another-matcher")  # another matcher's figures are not this one's
    facts = impact_assessment_facts()
    assert facts["matcher"]["measured"] is None
    assert facts["liveness"]["attacks"] is None
    page = printed(admin_client, language)
    assert page.count(NOT_CALIBRATED[language]) == 2
    assert "95.00 %" not in page


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("en", ["Measured on", "Approved (false matches)", "Produced a blink"]),
        ("zh-hans", ["测量于", "误通过（不同人被通过）", "产生眨眼"]),
    ],
)
def test_the_assessment_prints_the_latest_stored_figures(
    admin_client: Client, language: str, phrases: list[str]
) -> None:
    older = store_face()
    CalibrationRecord.objects.filter(pk=older.pk).update(figures={**older.figures, "genuine_pairs": 12345})
    store_face()
    store_attacks()
    page = printed(admin_client, language)
    assert NOT_CALIBRATED[language] not in page
    for phrase in [*phrases, "95 (95.00 %)", "0.10 %", "manage.py face_calibrate casia --record", "ab" * 32]:
        assert phrase in page
    assert "12345" not in page  # the latest run, not an older one
    assert "manage.py liveness_attacks /data/stills --record" in page
    assert "<td>bent_recompressed</td><td>7</td><td>1</td><td>0</td><td>0</td>" in page
    assert AuditEvent.objects.filter(action="calibration.recorded").count() == 3


def test_a_recorded_assessment_keeps_the_figures_it_was_recorded_with(admin_client: Client) -> None:
    first = services.impact_assessment_record(actor=None)
    store_face()
    assert first.facts["matcher"]["measured"] is None
    assert services.impact_assessment_record(actor=None).facts["matcher"]["measured"]["figures"]["auto_approved"] == 95


def test_the_command_line_is_the_one_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["/srv/manage.py", "liveness_attacks", "/data/my stills", "--record"])
    assert command_line("liveness_attacks", {}) == "manage.py liveness_attacks '/data/my stills' --record"
    monkeypatch.setattr("sys.argv", ["pytest"])
    assert command_line("liveness_attacks", {"limit": 3, "record": True, "every": None}) == (
        "manage.py liveness_attacks (called from code: {'limit': '3', 'record': 'True'})"
    )


def test_records_are_listed_read_only_in_the_admin(admin_client: Client) -> None:
    record = store_face()
    change = reverse("admin:registration_calibrationrecord_change", args=[record.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"dataset": "typed"}).status_code == 403
    record.refresh_from_db()
    assert record.dataset.startswith("casia")
