"""``manage.py liveness_attacks FOLDER [--attacks KIND,...] [--every N] [--limit N] [--seconds S] [--record]``.

Prints every face still of FOLDER (any depth: .jpg, .jpeg, .png, .bmp) and plays each print attack
(`liveness.print_attacks.ATTACKS`: held still by hand, swung, bent while tilting and zooming, bent
and re-compressed) through a live session with the product's liveness configuration, observing
throughout. Reports, per attack kind, how many attacks produced a blink event, a turn event, or
passed the challenge. With ``--record`` the figures, the engine's version and this command line
are stored for the impact assessment (``CalibrationRecord``, kind ``liveness_attacks``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liveness import LivenessConfig
from liveness.extractor import LandmarkExtractor
from liveness.print_attacks import ATTACKS, AttackOutcome, load_print, play_attack
from registration.calibration_records import CalibrationRecord
from registration.services import calibration_record_store
from registration.services.calibration import command_line, engine_versions, file_checksums

STILL_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
CAMERA_FPS = 30.0
# The models the extractor's face mesh and face detector load, shipped inside the mediapipe wheel.
MESH_MODELS = ("face_landmark/face_landmark.tflite", "face_landmark/face_landmark_with_attention.tflite")
DETECTOR_MODELS = ("face_detection/face_detection_short_range.tflite",)


def mesh_model_paths() -> list[Path]:
    """The face models' files in the installed mediapipe package (found without importing it)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        return []
    modules = Path(next(iter(spec.submodule_search_locations))) / "modules"
    return [modules / name for name in (*MESH_MODELS, *DETECTOR_MODELS)]


def stills_of(folder: Path, *, every: int, limit: int | None) -> list[Path]:
    """The folder's still images in name order, every `every`-th, at most `limit`."""
    stills = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in STILL_SUFFIXES)
    return stills[::every][:limit]


def attack_figures(outcomes: list[AttackOutcome], kinds: list[str]) -> dict[str, dict[str, int]]:
    """Per attack kind: played, with at least one blink, with at least one turn, passed."""
    figures = {kind: {"played": 0, "with_blink": 0, "with_turn": 0, "passed": 0} for kind in kinds}
    for outcome in outcomes:
        row = figures[outcome.kind]
        row["played"] += 1
        row["with_blink"] += outcome.blinks > 0
        row["with_turn"] += outcome.turns > 0
        row["passed"] += outcome.passed
    return figures


class Command(BaseCommand):
    help = "Play print attacks made from face stills through the live check and count what they fooled."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="a folder of face stills (any depth)")
        parser.add_argument("--attacks", default=",".join(ATTACKS), help="comma-separated attack kinds")
        parser.add_argument("--every", type=int, default=1, help="take every n-th still")
        parser.add_argument("--limit", type=int, default=None, help="at most this many stills")
        parser.add_argument("--seconds", type=float, default=4.0, help="length of each attack")
        parser.add_argument("--record", action="store_true", help="store the figures for the impact assessment")

    def handle(self, *args: Any, **options: Any) -> None:
        kinds = [kind for kind in options["attacks"].split(",") if kind]
        unknown = sorted(set(kinds) - set(ATTACKS))
        if unknown or not kinds:
            raise CommandError(f"unknown attack(s) {', '.join(unknown)}: choose from {', '.join(ATTACKS)}")
        if options["every"] < 1 or (options["limit"] is not None and options["limit"] < 1) or options["seconds"] <= 0:
            raise CommandError("--every and --limit must be at least 1, --seconds above 0")
        folder: Path = options["folder"]
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        stills = stills_of(folder, every=options["every"], limit=options["limit"])
        if not stills:
            raise CommandError(f"no still images ({', '.join(sorted(STILL_SUFFIXES))}) under {folder}")
        config = LivenessConfig()
        outcomes = []
        with LandmarkExtractor(config) as extractor:
            for index, path in enumerate(stills):
                photo = load_print(path)
                for kind in kinds:
                    outcome = play_attack(
                        kind, photo, extractor, config, seconds=options["seconds"], fps=CAMERA_FPS, seed=index
                    )
                    outcomes.append(outcome)
                    self.stdout.write(f"{kind:<18} {path.relative_to(folder)}: {asdict(outcome)}")
        figures = {
            "stills": len(stills),
            "seconds": options["seconds"],
            "fps": CAMERA_FPS,
            "blink_min_eye_change": config.blink_min_eye_change,
            "attacks": attack_figures(outcomes, kinds),
        }
        for kind, row in figures["attacks"].items():
            self.stdout.write(
                f"{kind}: {row['played']} played, {row['with_blink']} with a blink, "
                f"{row['with_turn']} with a turn, {row['passed']} passed"
            )
        if options["record"]:
            record = calibration_record_store(
                kind=CalibrationRecord.Kind.LIVENESS_ATTACKS,
                component="liveness",
                version=f"face mesh ({engine_versions()})",
                model_files=file_checksums(mesh_model_paths()),
                dataset=f"{len(stills)} stills of {folder}, each with {', '.join(kinds)}",
                command=command_line("liveness_attacks", options),
                figures=figures,
            )
            self.stdout.write(f"stored for the impact assessment: calibration record {record.pk}")
