"""``manage.py liveness_attacks``: print attacks from real stills through the face mesh and the
live check, stored for the impact assessment; bad input is a clear error."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from registration.calibration_records import CalibrationRecord
from registration.compliance import impact_assessment_facts

CASIA = ("000/000_0.bmp", "001/001_0.bmp")


def run(*args: Any, **options: Any) -> str:
    out = io.StringIO()
    call_command("liveness_attacks", *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def two_stills(testdata: Path, tmp_path: Path) -> Path:
    for name in CASIA:
        target = tmp_path / name
        target.parent.mkdir()
        target.symlink_to(testdata / "verification" / "casia_facev5" / name)
    (tmp_path / "notes.txt").write_text("not a photo")
    return tmp_path


@pytest.mark.model
@pytest.mark.django_db
def test_attacks_are_played_counted_and_stored(two_stills: Path) -> None:
    text = run(str(two_stills), attacks="still,swung", seconds=2.0, record=True)

    record = CalibrationRecord.objects.get()
    assert (record.kind, record.component) == ("liveness_attacks", "liveness")
    assert record.figures["stills"] == 2
    attacks = record.figures["attacks"]
    assert set(attacks) == {"still", "swung"}
    assert all(row["played"] == 2 for row in attacks.values())
    # The product's target (tests/liveness/test_print_blinks.py): these prints make no blink, no turn.
    assert all(row["with_blink"] == row["with_turn"] == row["passed"] == 0 for row in attacks.values())
    assert "face_landmark.tflite" in record.model_files
    assert "mediapipe" in record.version
    assert "still: 2 played, 0 with a blink, 0 with a turn, 0 passed" in text
    assert impact_assessment_facts()["liveness"]["attacks"]["record"] == record.pk


def test_an_unknown_attack_is_refused(two_stills: Path) -> None:
    with pytest.raises(CommandError, match="unknown attack"):
        run(str(two_stills), attacks="still,video")


def test_a_folder_without_stills_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no still images"):
        run(str(tmp_path))
    with pytest.raises(CommandError, match="is not a folder"):
        run(str(tmp_path / "missing"))
