"""``manage.py match_eval``: same matcher as production, stable JSON keys, clear input errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import CommandError, call_command

from registration.face_matching import base
from registration.face_matching.omz_matcher import OmzMatcher

STABLE_KEYS = {"accuracy", "eer", "tar_at_far_1pct", "tar_at_far_0_1pct", "roc_auc", "thresholds", "undetected"}


@pytest.fixture
def production_matcher(omz_matcher: OmzMatcher, monkeypatch: pytest.MonkeyPatch) -> OmzMatcher:
    """get_matcher() answers with the session's warmed-up matcher instead of loading another."""
    monkeypatch.setattr(base, "_matcher", omz_matcher)
    return omz_matcher


def write_csv(path: Path, rows: list[str], header: str = "img_a,img_b,same,source") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.model
@pytest.mark.django_db  # the configured thresholds are the effective policy's
def test_json_report_has_the_stable_keys_and_lists_undetected_pairs(
    production_matcher: OmzMatcher, testdata: Path, tmp_path: Path
) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 200, np.uint8))
    pairs = write_csv(
        tmp_path / "pairs.csv",
        [
            "verification/deepface/img2.jpg,verification/deepface/img6.jpg,1,test",
            "verification/deepface/img13.jpg,verification/deepface/img14.jpg,1,test",
            "verification/deepface/img3.jpg,verification/deepface/img48.jpg,0,test",
            f"verification/deepface/img12.jpg,{blank},0,test",
        ],
    )
    out = io.StringIO()

    call_command("match_eval", str(pairs), root=str(testdata), json=True, stdout=out)

    report = json.loads(out.getvalue())
    assert report.keys() >= STABLE_KEYS
    assert report["accuracy"] == 1.0  # the undetected impostor pair counts as not matched
    assert report["roc_auc"] == 1.0
    assert report["undetected"] == [
        {
            "line": 5,
            "img_a": "verification/deepface/img12.jpg",
            "img_b": str(blank),
            "same": False,
            "reason": report["undetected"][0]["reason"],
        }
    ]
    assert report["undetected"][0]["reason"].startswith("no_face_found (probe)")
    assert report["thresholds"]["recommended_accept"] <= report["thresholds"]["recommended_reject"]


@pytest.mark.model
@pytest.mark.django_db
def test_text_report_names_the_figures(production_matcher: OmzMatcher, testdata: Path, tmp_path: Path) -> None:
    pairs = write_csv(
        tmp_path / "pairs.csv",
        [
            "verification/deepface/img3.jpg,verification/deepface/img12.jpg,1,test",
            "verification/deepface/img3.jpg,verification/deepface/img48.jpg,0,test",
        ],
    )
    out = io.StringIO()

    call_command("match_eval", str(pairs), root=str(testdata), stdout=out)

    text = out.getvalue()
    for figure in ("accuracy", "EER", "TAR at FAR 1%", "TAR at FAR 0.1%", "ROC AUC", "undetected pairs: 0"):
        assert figure in text


def test_missing_csv_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="pairs file not found"):
        call_command("match_eval", str(tmp_path / "nope.csv"))


def test_missing_columns_are_a_clear_error(tmp_path: Path) -> None:
    pairs = write_csv(tmp_path / "pairs.csv", ["a.jpg,b.jpg"], header="left,right")

    with pytest.raises(CommandError, match="missing column"):
        call_command("match_eval", str(pairs), root=str(tmp_path))


def test_bad_label_is_a_clear_error(tmp_path: Path) -> None:
    pairs = write_csv(tmp_path / "pairs.csv", ["a.jpg,b.jpg,maybe,x"])

    with pytest.raises(CommandError, match="'same' must be 1 or 0"):
        call_command("match_eval", str(pairs), root=str(tmp_path))


def test_missing_image_is_a_clear_error(tmp_path: Path) -> None:
    pairs = write_csv(tmp_path / "pairs.csv", ["a.jpg,b.jpg,1,x", "a.jpg,c.jpg,0,x"])

    with pytest.raises(CommandError, match="image not found"):
        call_command("match_eval", str(pairs), root=str(tmp_path))


@pytest.mark.model
@pytest.mark.django_db  # the configured thresholds are the effective policy's
def test_identity_folder_and_chip_mode_give_a_breakdown_by_set_and_a_det_curve(
    production_matcher: OmzMatcher, testdata: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "people"
    for person in ("000", "001", "002"):
        (folder / person).mkdir(parents=True)
        for k in (0, 1):
            name = f"{person}_{k}.bmp"
            (folder / person / name).symlink_to(testdata / "verification" / "casia_facev5" / person / name)
    output = tmp_path / "report.json"

    call_command("match_eval", str(folder), chip=True, output=str(output), stdout=io.StringIO())

    report = json.loads(output.read_text(encoding="utf-8"))
    assert set(report["sets"]) == {"people", "people (chip)"}
    for per_set in report["sets"].values():
        # 3 people x 2 photos: 6 ordered same-person pairs, 24 different-person pairs.
        assert (per_set["genuine_pairs"], per_set["impostor_pairs"]) == (6, 24)
    assert report["pairs"] == 60
    picture = Path(report["det_curve"])
    assert picture == tmp_path / "report.det.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(picture))
    assert image is not None
    assert image.shape[0] > 400


def test_several_frames_need_an_identity_folder(tmp_path: Path) -> None:
    pairs = write_csv(tmp_path / "pairs.csv", ["a.jpg,b.jpg,1,x"])

    with pytest.raises(CommandError, match="several frames per probe need an identity folder"):
        call_command("match_eval", str(pairs), root=str(tmp_path), frames=3)
