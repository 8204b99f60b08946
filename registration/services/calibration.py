"""Storing a calibration run (`registration.calibration_records`): the face matcher's error rates
at the thresholds in force and the print attacks played through the live check. The commands
`face_calibrate --record` and `liveness_attacks --record` call these; the impact assessment reads
the latest record (`registration.compliance`)."""

from __future__ import annotations

import hashlib
import shlex
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import cv2
from django.db import transaction

from registration.audit import audit
from registration.calibration_records import CalibrationRecord
from registration.face_matching.calibration import ScoreSet, operating_point, score_of
from registration.face_matching.types import ScoreScale

# The libraries whose version decides what a model computes (recorded when installed).
ENGINE_PACKAGES = ("openvino", "deepface", "dlib", "face-recognition-models", "mediapipe", "numpy")


def engine_versions() -> str:
    """`openvino 2026.4.1, …, opencv 4.x`: the installed versions of the libraries that run models."""
    found = []
    for name in ENGINE_PACKAGES:
        try:
            found.append(f"{name} {package_version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join([*found, f"opencv {cv2.__version__}"])


def file_checksums(paths: Iterable[Path]) -> dict[str, str]:
    """SHA-256 of each file by its name (a missing file is recorded as missing)."""
    sums = {}
    for path in paths:
        if not path.is_file():
            sums[path.name] = "missing"
            continue
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        sums[path.name] = digest.hexdigest()
    return sums


def command_line(name: str, options: dict[str, Any]) -> str:
    """The exact command as typed; from code (`call_command`), its name and options."""
    if Path(sys.argv[0]).name == "manage.py" and name in sys.argv[1:2]:
        return shlex.join(["manage.py", *sys.argv[1:]])
    shown = {key: str(value) for key, value in sorted(options.items()) if value not in (None, False, "")}
    return f"manage.py {name} (called from code: {shown})"


def _bound(bound: Any) -> dict[str, Any]:
    fields = asdict(bound)
    return {key: fields[key] for key in ("errors", "trials", "rate", "upper")}


def face_error_figures(sets: Sequence[ScoreSet], *, accept: float, reject: float, scale: ScoreScale) -> dict[str, Any]:
    """The matcher's errors at the thresholds in force (`accept`, `reject` as dissimilarities),
    every scored pair pooled and per set: auto-approved same-person pairs, approved
    different-person pairs (false matches) and the 95 % upper bounds."""
    pooled = ScoreSet.of("all", (d for s in sets for d in s.genuine), (d for s in sets for d in s.impostor))

    def figures(scores: ScoreSet) -> dict[str, Any]:
        point = operating_point(scores, accept=accept, reject=reject)
        genuine = len(scores.genuine)
        return {
            "set": scores.name,
            "genuine_pairs": genuine,
            "impostor_pairs": len(scores.impostor),
            "auto_approved": point.genuine_bands["approve"],
            "auto_approve_rate": point.genuine_bands["approve"] / genuine if genuine else None,
            "false_approvals": point.impostor_bands["approve"],
            "false_match": _bound(point.false_match),
            "false_non_match": _bound(point.false_non_match),
            "rejected_outright": _bound(point.false_reject),
        }

    return {
        "metric": scale.metric,
        "accept_threshold": score_of(scale, accept),
        "reject_threshold": score_of(scale, reject),
        **figures(pooled),
        "sets": [figures(s) for s in sets],
    }


def calibration_record_store(
    *,
    kind: str,
    component: str,
    version: str,
    model_files: dict[str, str],
    dataset: str,
    command: str,
    figures: dict[str, Any],
) -> CalibrationRecord:
    """Store one measuring run (never edited: the next run is a new row), audited."""
    with transaction.atomic():
        record = CalibrationRecord.objects.create(
            kind=kind,
            component=component,
            version=version,
            model_files=model_files,
            dataset=dataset,
            command=command,
            figures=figures,
        )
        audit(actor=None, action="calibration.recorded", target=record, details={"kind": kind, "component": component})
    return record
