"""How to combine several live frames: best of the frames, mean embedding, mean distance, one frame.

    .venv/bin/python bench/frame_fusion.py [--matcher omz|dlib] [--testdata ../shared/testdata] [--chip] [--frames 3]

Simulates captures of K live frames on the CASIA identity folder: the reference is one photo of
a person (cut to a 102x126 chip with ``--chip``), the K frames are K other photos of the same
person (genuine) or K photos of another person (impostor), every combination. Each image is
embedded once per role with the production matcher (in memory only). Prints per rule: the
same-person share approved with no different-person pair approved (TAR at zero false matches),
TAR at FMR 1 %, the equal error rate, and the closest impostor. Not a test.

Caveat printed with the figures: other photos of a person differ more than frames of one
capture do, so this is the most a rule can gain; frames of one clip are closer to each other.

Scores are printed as dissimilarities (lower is closer): Dlib's distance as it is, one minus the
OMZ cosine similarity (``--matcher omz``, files from ``--models``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from registration.face_matching.base import FaceMatcher, FaceMatchingError, ImageRole
from registration.face_matching.deepface_matcher import DeepFaceMatcher, MatcherConfig
from registration.face_matching.document import card_reader_chip
from registration.face_matching.identity_sets import read_image
from registration.face_matching.omz_matcher import OmzConfig, OmzMatcher

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULES = ("one_frame", "best_of", "mean_embedding", "mean_distance")


def embeddings(matcher: FaceMatcher, folder: Path, *, chip: bool) -> list[tuple[str, object, object]]:
    """(person, reference embedding or None, probe embedding or None) per image of the folder."""
    rows: list[tuple[str, object, object]] = []
    for person in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(person.iterdir()):
            image = original = read_image(path)
            try:
                if chip:
                    image = card_reader_chip(image, matcher.locate_document_portrait(image).face)
                reference = matcher.embed(image, ImageRole.REFERENCE).vector
            except FaceMatchingError:
                reference = None
            try:
                probe = matcher.embed(original, ImageRole.PROBE).vector
            except FaceMatchingError:
                probe = None
            rows.append((person.name, reference, probe))
    return rows


COSINE = False  # set by main: the OMZ embeddings (unit length) compare by cosine


def dissimilarity(reference: np.ndarray, frames: np.ndarray) -> np.ndarray:
    if COSINE:
        return 1.0 - frames @ reference
    return np.linalg.norm(frames - reference, axis=1)


def fused(reference: np.ndarray, frames: np.ndarray) -> dict[str, float]:
    distances = dissimilarity(reference, frames)
    mean = frames.mean(axis=0)
    if COSINE:
        mean = mean / np.linalg.norm(mean)
    return {
        "one_frame": float(distances[0]),
        "best_of": float(distances.min()),
        "mean_embedding": float(dissimilarity(reference, mean[np.newaxis])[0]),
        "mean_distance": float(distances.mean()),
    }


def scores(rows: list[tuple[str, object, object]], k: int) -> dict[str, tuple[list[float], list[float]]]:
    result: dict[str, tuple[list[float], list[float]]] = {rule: ([], []) for rule in RULES}
    people = sorted({person for person, _, _ in rows})
    for index, (person_a, reference, _) in enumerate(rows):
        if reference is None:
            continue
        for person_b in people:
            pool = [r[2] for j, r in enumerate(rows) if r[0] == person_b and j != index and r[2] is not None]
            for combination in itertools.combinations(pool, k):
                for rule, distance in fused(np.asarray(reference), np.array(combination)).items():
                    result[rule][0 if person_a == person_b else 1].append(distance)
    return result


def figures(genuine: np.ndarray, impostor: np.ndarray) -> str:
    closest = impostor.min()
    at_1pct = np.sort(impostor)[int(0.01 * len(impostor))]
    thresholds = np.unique(np.concatenate([genuine, impostor]))
    eer = min(max((impostor <= t).mean(), (genuine > t).mean()) for t in thresholds[:: max(1, len(thresholds) // 2000)])
    return (
        f"{len(genuine):>5} {len(impostor):>6}  {(genuine < closest).mean():>8.1%} {(genuine < at_1pct).mean():>9.1%}"
        f" {eer:>6.1%}  {np.median(genuine):.3f} {closest:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testdata", type=Path, default=PROJECT_ROOT.parent / "shared" / "testdata")
    parser.add_argument("--chip", action="store_true", help="references cut to 102x126 chips")
    parser.add_argument("--frames", type=int, default=3, help="the largest number of frames to try")
    parser.add_argument("--matcher", choices=("omz", "dlib"), default="omz")
    parser.add_argument("--models", type=Path, default=PROJECT_ROOT.parent / "shared" / "models")
    options = parser.parse_args()
    global COSINE
    COSINE = options.matcher == "omz"
    matcher: FaceMatcher = (
        OmzMatcher(OmzConfig(models_dir=options.models))
        if COSINE
        else DeepFaceMatcher(MatcherConfig(deepface_home=PROJECT_ROOT / "var" / "deepface"))
    )
    matcher.warm_up()
    rows = embeddings(matcher, options.testdata / "verification" / "casia_facev5", chip=options.chip)
    print(
        f"{options.matcher}: CASIA identity folder, {'chip' if options.chip else 'full'} references; frames = "
        f"other photos; scores as dissimilarities{' (1 - cosine)' if COSINE else ''}"
    )
    header = f"{'K':>2} {'rule':<15} {'same':>5} {'diff':>6}  {'TAR@0FM':>8} {'TAR@FMR1%':>9} {'EER':>6}"
    print(f"{header}  gen-med closest-imp")
    for k in range(1, options.frames + 1):
        for rule, (genuine, impostor) in scores(rows, k).items():
            if k == 1 and rule != "one_frame":
                continue  # with one frame every rule is the same
            print(f"{k:>2} {rule:<15} {figures(np.array(genuine), np.array(impostor))}")
    print("caveat: other photos of a person vary more than frames of one capture; the gain is an upper bound")


if __name__ == "__main__":
    main()
