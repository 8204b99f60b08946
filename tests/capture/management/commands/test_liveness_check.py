"""`manage.py liveness_check`: JSON contract and clear errors (no database needed)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.model


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("liveness_check", *args, stdout=out)
    return out.getvalue()


def test_json_report_has_the_stable_keys(testdata: Path) -> None:
    clip = testdata / "liveness_video" / "liveportrait_d0.mp4"
    report = json.loads(run_command(str(clip), "--plan", "blink,turn_left", "--json"))
    assert report["verdict"] in {"passed", "failed"}
    assert isinstance(report["reasons"], list)
    assert report["plan"] == ["blink", "turn_left"]
    blinks = [event for event in report["events"] if event["type"] == "blink"]
    assert len(blinks) == 1
    assert blinks[0]["t_start"] == pytest.approx(2.56, abs=0.25)
    assert set(blinks[0]) >= {"type", "t_start", "t_end"}
    assert report["steps"][0]["step"] == "blink"
    assert report["steps"][0]["passed"] is True
    assert {"prompted_at", "completed_at", "duration"} <= set(report["steps"][0])


def test_text_report_lists_events_and_verdict(testdata: Path) -> None:
    text = run_command(str(testdata / "liveness_video" / "liveportrait_d0.mp4"), "--plan", "blink")
    assert "blink" in text
    assert "verdict: failed (reasons: no_blink" not in text
    assert "verdict:" in text


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="video not found"):
        run_command(str(tmp_path / "missing.mp4"))


def test_unreadable_file_is_a_clear_error(testdata: Path) -> None:
    with pytest.raises(CommandError, match="cannot read video"):
        run_command(str(testdata / "liveness_video" / "annotations_auto.csv"))


def test_bad_plan_is_a_clear_error(testdata: Path) -> None:
    with pytest.raises(CommandError, match="bad --plan"):
        run_command(str(testdata / "liveness_video" / "liveportrait_d0.mp4"), "--plan", "blink,nod")


def test_every_reason_is_explained_and_the_gaps_are_shown(testdata: Path) -> None:
    from liveness import REASON_DESCRIPTIONS, Reason

    assert set(REASON_DESCRIPTIONS) == set(Reason)  # the new codes included: wrong_action, too_early, too_late
    clip = str(testdata / "liveness_video" / "liveportrait_d0.mp4")
    report = json.loads(run_command(clip, "--plan", "turn_left", "--seed", "3", "--json"))
    assert report["reasons"]
    assert report["reason_descriptions"] == {code: REASON_DESCRIPTIONS[Reason(code)] for code in report["reasons"]}
    assert len(report["gaps"]) == 1
    text = run_command(clip, "--plan", "turn_left", "--seed", "3")
    assert all(f"  {code}: {REASON_DESCRIPTIONS[Reason(code)]}" in text for code in report["reasons"])
    assert "(gaps " in text
