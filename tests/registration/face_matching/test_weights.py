"""Offline weights: linked from face-recognition-models, a missing file is a clear start-up error."""

from __future__ import annotations

from pathlib import Path

import pytest

from registration.face_matching import weights
from registration.face_matching.base import ModelUnavailable
from registration.face_matching.deepface_matcher import DeepFaceMatcher, MatcherConfig
from registration.face_matching.weights import REQUIRED_WEIGHTS, WeightsMissing, link_dlib_weights


def test_weights_are_linked_where_deepface_looks(tmp_path: Path) -> None:
    weights_dir = link_dlib_weights(tmp_path)

    assert weights_dir == tmp_path / ".deepface" / "weights"
    for name in REQUIRED_WEIGHTS:
        linked = weights_dir / name
        assert linked.is_symlink()
        assert linked.resolve() == (weights.face_recognition_models_dir() / name).resolve()
        assert linked.stat().st_size > 1_000_000 or name.startswith("shape_predictor")


def test_linking_twice_is_harmless(tmp_path: Path) -> None:
    link_dlib_weights(tmp_path)
    link_dlib_weights(tmp_path)

    assert sorted(p.name for p in (tmp_path / ".deepface" / "weights").iterdir()) == sorted(REQUIRED_WEIGHTS)


def test_dangling_link_is_replaced(tmp_path: Path) -> None:
    weights_dir = tmp_path / ".deepface" / "weights"
    weights_dir.mkdir(parents=True)
    (weights_dir / REQUIRED_WEIGHTS[0]).symlink_to(tmp_path / "gone.dat")

    link_dlib_weights(tmp_path)

    assert (weights_dir / REQUIRED_WEIGHTS[0]).is_file()


def test_missing_weights_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty_package = tmp_path / "package-models"
    empty_package.mkdir()
    monkeypatch.setattr(weights, "face_recognition_models_dir", lambda: empty_package)

    with pytest.raises(WeightsMissing, match=r"dlib_face_recognition_resnet_model_v1\.dat") as raised:
        link_dlib_weights(tmp_path / "home")

    assert isinstance(raised.value, ModelUnavailable)
    assert raised.value.reason_code == "model_weights_missing"
    assert "nothing is downloaded" in str(raised.value)


def test_matcher_refuses_to_start_without_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weights, "face_recognition_models_dir", lambda: tmp_path / "nowhere")
    matcher = DeepFaceMatcher(MatcherConfig(deepface_home=tmp_path / "home"))

    with pytest.raises(ModelUnavailable, match="not found"):
        matcher.warm_up()


def test_unknown_detector_is_refused_at_configuration(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported face detector 'skip'"):
        MatcherConfig(deepface_home=tmp_path, probe_detectors=("skip",))
