"""``manage.py face_calibrate`` on a small real identity folder: report, honesty, audited adoption."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from registration.calibration_records import CalibrationRecord
from registration.compliance import impact_assessment_facts
from registration.face_matching import base
from registration.face_matching.omz_matcher import OmzMatcher
from registration.management.commands.face_calibrate import _adopt
from registration.models import AuditEvent, VerificationPolicy
from registration.roles import ADMIN, CLERK
from registration.verification_policy import effective_policy
from tests.factories import OutletFactory, UserFactory

PEOPLE = ("000", "001", "002", "005")


@pytest.fixture
def production_matcher(omz_matcher: OmzMatcher, monkeypatch: pytest.MonkeyPatch) -> OmzMatcher:
    monkeypatch.setattr(base, "_matcher", omz_matcher)
    return omz_matcher


@pytest.fixture
def small_folder(testdata: Path, tmp_path: Path) -> Path:
    """Four CASIA people, two photos each, linked (not copied) into a <person>/<image> folder."""
    for person in PEOPLE:
        (tmp_path / person).mkdir()
        for k in (0, 1):
            (tmp_path / person / f"{person}_{k}.bmp").symlink_to(
                testdata / "verification" / "casia_facev5" / person / f"{person}_{k}.bmp"
            )
    return tmp_path


def run(*args: Any, **options: Any) -> str:
    out = io.StringIO()
    call_command("face_calibrate", *args, stdout=out, **options)
    return out.getvalue()


@pytest.mark.model
@pytest.mark.django_db
def test_report_says_the_target_is_not_demonstrated_on_a_small_set(
    production_matcher: OmzMatcher, small_folder: Path
) -> None:
    report = json.loads(run(str(small_folder), json=True))

    accept = report["recommended"]["accept"]
    # 4 people x 2 photos: 8 ordered same-person pairs, 48 different-person pairs.
    assert accept["bound"]["trials"] == 48
    assert accept["bound"]["errors"] == 0
    assert accept["bound"]["upper"] == pytest.approx(3 / 48)
    assert accept["demonstrated"] is False
    [point] = report["recommended"]["sets"]
    assert point["impostor_bands"]["approve"] == 0
    assert sum(point["genuine_bands"].values()) == 8
    text = run(str(small_folder))
    assert "NOT demonstrated: this set supports at best 6.2e-02 (3/n)" in text
    assert "not adopted" in text


@pytest.mark.model
@pytest.mark.django_db
def test_adopt_writes_the_thresholds_through_the_audited_policy_service(
    production_matcher: OmzMatcher, small_folder: Path
) -> None:
    admin = UserFactory(role=ADMIN, outlet=OutletFactory(), is_staff=True)

    report = json.loads(run(str(small_folder), json=True, adopt=True, admin=admin.username))

    chosen = report["recommended"]
    assert report["adopted"] == {
        "face_accept_threshold": chosen["accept"]["threshold"],
        "face_reject_threshold": chosen["reject"]["threshold"],
    }
    policy = effective_policy()
    assert (policy.face_accept_threshold, policy.face_reject_threshold) == (
        chosen["accept"]["threshold"],
        chosen["reject"]["threshold"],
    )
    event = AuditEvent.objects.get(action="policy.updated")
    assert event.actor == admin
    assert set(event.details["changes"]) == {
        "face_accept_threshold",
        "face_reject_threshold",
        "face_thresholds_matcher",  # the adopted thresholds are the OMZ matcher's, recorded as such
    }
    assert event.details["changes"]["face_thresholds_matcher"] == ["", "omz-0095"]


@pytest.mark.model
@pytest.mark.django_db
def test_record_stores_the_errors_at_the_thresholds_in_force_for_the_assessment(
    production_matcher: OmzMatcher, small_folder: Path
) -> None:
    report = json.loads(run(str(small_folder), json=True, record=True))

    record = CalibrationRecord.objects.get(pk=report["recorded"])
    [point] = report["configured"]["sets"]
    assert (record.kind, record.component) == ("face_matcher", "omz-0095")
    assert record.version.startswith(f"{OmzMatcher.MODEL} (openvino ")
    assert (record.figures["genuine_pairs"], record.figures["impostor_pairs"]) == (8, 48)
    assert record.figures["auto_approved"] == point["genuine_bands"]["approve"]
    assert record.figures["false_approvals"] == point["impostor_bands"]["approve"]
    assert record.figures["accept_threshold"] == effective_policy().face_accept_threshold
    assert record.figures["false_match"]["upper"] == pytest.approx(point["false_match"]["upper"])
    # The checksums are of the files the matcher loads (the catalogue pins their SHA-384).
    assert len(record.model_files) == len(OmzMatcher.model_paths())
    assert all(len(digest) == 64 for digest in record.model_files.values())
    assert str(small_folder) in record.dataset
    assert impact_assessment_facts()["matcher"]["measured"]["record"] == record.pk


@pytest.mark.django_db
def test_adopt_by_someone_who_is_not_an_admin_changes_nothing(small_folder: Path) -> None:
    clerk = UserFactory(role=CLERK, outlet=OutletFactory())

    with pytest.raises(CommandError, match="the policy was not changed"):
        _adopt(clerk, {"recommended": {"accept": {"threshold": 0.6}, "reject": {"threshold": 0.2}}})

    assert not VerificationPolicy.objects.exclude(face_accept_threshold=None).exists()
    assert not AuditEvent.objects.filter(action="policy.updated").exists()


@pytest.mark.django_db
def test_adopt_needs_a_named_admin(small_folder: Path) -> None:
    with pytest.raises(CommandError, match="--adopt needs --admin"):
        run(str(small_folder), adopt=True)
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        run(str(small_folder), adopt=True, admin="nobody")


def test_targets_outside_zero_and_one_are_refused(small_folder: Path) -> None:
    with pytest.raises(CommandError, match="--target-fmr must be between 0 and 1"):
        run(str(small_folder), target_fmr=0.0)


def test_a_folder_with_one_person_is_a_clear_error(tmp_path: Path, production_matcher: OmzMatcher) -> None:
    (tmp_path / "only").mkdir()

    with pytest.raises(CommandError, match="need at least two <person>/ folders"):
        run(str(tmp_path))
