"""Known calibration runs stored through the service the commands call: the figures the
assessment tests (`test_calibration_records.py`, the Chromium test) expect to see printed."""

from __future__ import annotations

import math

from liveness.print_attacks import AttackOutcome
from registration import services
from registration.calibration_records import CalibrationRecord
from registration.face_matching.base import matcher_class
from registration.face_matching.calibration import ScoreSet
from registration.management.commands.liveness_attacks import attack_figures
from registration.services.calibration import face_error_figures

ACCEPT, REJECT = 0.4, 0.8  # dissimilarities


def known_sets() -> list[ScoreSet]:
    """100 same-person pairs: 95 approved, 3 to review, 1 rejected, 1 without a face; 1,000
    different-person pairs: 1 approved, 999 rejected."""
    genuine = [0.2] * 95 + [0.6] * 3 + [0.9, math.inf]
    impostor = [0.3] + [0.9] * 999
    return [ScoreSet.of("casia", genuine[:50], impostor[:500]), ScoreSet.of("nuaa", genuine[50:], impostor[500:])]


def store_face(component: str | None = None) -> CalibrationRecord:
    matcher = matcher_class()
    return services.calibration_record_store(
        kind=CalibrationRecord.Kind.FACE_MATCHER,
        component=component or matcher.KEY,
        version="model-x (openvino 1.0)",
        model_files={"embedder.bin": "ab" * 32},
        dataset="casia: 50 same-person and 500 different-person pairs",
        command="manage.py face_calibrate casia --record",
        figures=face_error_figures(known_sets(), accept=ACCEPT, reject=REJECT, scale=matcher.SCALE),
    )


def store_attacks() -> CalibrationRecord:
    outcomes = [AttackOutcome("still", 0, 0, False)] * 7 + [AttackOutcome("bent_recompressed", 1, 0, False)]
    outcomes += [AttackOutcome("bent_recompressed", 0, 0, False)] * 6
    return services.calibration_record_store(
        kind=CalibrationRecord.Kind.LIVENESS_ATTACKS,
        component="liveness",
        version="face mesh (mediapipe 0.10)",
        model_files={},
        dataset="7 stills of /data/stills, each with still, bent_recompressed",
        command="manage.py liveness_attacks /data/stills --record",
        figures={"stills": 7, "seconds": 4.0, "attacks": attack_figures(outcomes, ["still", "bent_recompressed"])},
    )
