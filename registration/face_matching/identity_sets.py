"""Labelled face sets for evaluation and calibration, and their scoring with the production matcher.

Three kinds of source:
- an identity folder ``<root>/<person>/<image>``: every ordered pair of two different images is
  compared (reference = the first, probe = the second), same person when both are in one folder;
- a print / live folder ``<root>/<person>/{print,live}/<image>`` (NUAA): every print frame (the
  photographed document portrait, reference) against every live frame (probe);
- a pairs file (CSV with columns ``img_a, img_b, same``; paths relative to ``root``).

Each image is embedded once per role (reference: the portrait detector chain, probe: the live
frame chain) through ``FaceMatcher.embed``, the same code ``match`` runs, and the embeddings are
dropped when the scoring ends: nothing is written. In chip mode every reference is first cut to
the 102x126 px portrait a PRC ID card reader returns (``document.card_reader_chip``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from registration.face_matching.base import FaceMatcher
from registration.face_matching.calibration import ScoreSet, dissimilarity
from registration.face_matching.document import card_reader_chip
from registration.face_matching.types import (
    FaceEmbedding,
    FaceMatchingError,
    ImageRole,
    ModelUnavailable,
    NoFaceFound,
)

REQUIRED_COLUMNS = ("img_a", "img_b", "same")
TRUE_LABELS = {"1", "true", "yes", "same"}
FALSE_LABELS = {"0", "false", "no", "different"}
IMAGE_SUFFIXES = {".bmp", ".jpg", ".jpeg", ".png", ".webp"}


class IdentitySetError(ValueError):
    """A source that cannot be read as a labelled set; the message says what to fix."""


@dataclass(frozen=True)
class LabelledPair:
    line: int  # the CSV line, or the pair's index in an identity folder
    reference: Path
    probe: Path
    same: bool
    frames: tuple[Path, ...] = ()  # several live frames (the probe first) when simulating a capture


@dataclass(frozen=True)
class IdentitySet:
    name: str
    root: Path
    pairs: tuple[LabelledPair, ...]


@dataclass(frozen=True)
class ScoredPair:
    pair: LabelledPair
    score: float  # in the matcher's unit (``FaceMatcher.SCALE``); math.nan when a face was not found
    dissimilarity: float  # ``calibration.dissimilarity`` of the score (lower is closer); math.inf without a face
    detectors: tuple[str, str] | None  # (reference, probe) detector that found each face
    failure: str | None  # "<reason_code> (<role>): <message>" when a face was not found


@dataclass
class _EmbeddingCache:
    """Embeddings of one scoring run, in memory only."""

    matcher: FaceMatcher
    chip: bool
    items: dict[tuple[Path, ImageRole], FaceEmbedding | FaceMatchingError] = field(default_factory=dict)

    def get(self, path: Path, role: ImageRole) -> FaceEmbedding:
        key = (path, role)
        if key not in self.items:
            self.items[key] = self._compute(path, role)
        item = self.items[key]
        if isinstance(item, FaceMatchingError):
            raise item
        return item

    def _compute(self, path: Path, role: ImageRole) -> FaceEmbedding | FaceMatchingError:
        try:
            image = read_image(path)
            if self.chip and role is ImageRole.REFERENCE:
                image = card_reader_chip(image, self.matcher.locate_document_portrait(image).face)
            return self.matcher.embed(image, role)
        except ModelUnavailable:
            raise
        except FaceMatchingError as error:
            return error


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise IdentitySetError(f"not a readable image: {path}")
    return image


def load_source(source: Path, root: Path, *, frames: int = 1) -> IdentitySet:
    """A pairs file (``.csv``) or an identity folder, by what ``source`` is."""
    if source.is_dir():
        if _is_print_live(source):
            return print_live_folder(source, frames=frames)
        return identity_folder(source, frames=frames)
    if source.suffix.lower() == ".csv" or source.exists():
        if frames != 1:
            raise IdentitySetError(f"{source}: several frames per probe need an identity folder, not a pairs file")
        return IdentitySet(source.stem, root, tuple(read_pairs(source, root)))
    raise IdentitySetError(f"pairs file not found: {source}")


def print_live_folder(folder: Path, *, frames: int = 1) -> IdentitySet:
    """Every print frame against every live frame of ``<person>/print/`` and ``<person>/live/`` (NUAA).

    The print frame (a photographed ID-style portrait) is the document photo, the live frame the
    customer; with ``frames`` > 1 the probe is that live frame and the person's next live frames.
    """
    people = {
        p.name: (_images(p / "print"), _images(p / "live"))
        for p in sorted(folder.iterdir())
        if (p / "print").is_dir() and (p / "live").is_dir()
    }
    index, pairs = 0, []
    for person_a, (prints, _) in people.items():
        for reference in prints:
            for person_b, (_, lives) in people.items():
                for position, probe in enumerate(lives):
                    index += 1
                    shown = tuple((lives * 2)[position : position + frames]) if frames > 1 else ()
                    pairs.append(LabelledPair(index, reference, probe, person_a == person_b, shown))
    name = folder.name if frames == 1 else f"{folder.name} ({frames} frames)"
    return IdentitySet(name, folder, tuple(pairs))


def _is_print_live(folder: Path) -> bool:
    return any((p / "print").is_dir() and (p / "live").is_dir() for p in folder.iterdir() if p.is_dir())


def identity_folder(folder: Path, *, frames: int = 1) -> IdentitySet:
    """Every ordered pair of different images of a ``<person>/<image>`` folder.

    With ``frames`` > 1 each comparison simulates a capture of several live frames: the probe and
    the next ``frames - 1`` images of the probe's person (never the reference image itself).
    """
    people = {p.name: _images(p) for p in sorted(folder.iterdir()) if p.is_dir()}
    people = {name: images for name, images in people.items() if images}
    if len(people) < 2 or not any(len(images) >= 2 for images in people.values()):
        raise IdentitySetError(f"{folder}: need at least two <person>/ folders and one person with two images")
    pairs = list(_folder_pairs(people, frames))
    return IdentitySet(folder.name if frames == 1 else f"{folder.name} ({frames} frames)", folder, tuple(pairs))


def _images(person: Path) -> list[Path]:
    return sorted(p for p in person.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _folder_pairs(people: dict[str, list[Path]], frames: int) -> Iterator[LabelledPair]:
    index = 0
    for person_a, images_a in people.items():
        for reference in images_a:
            for person_b, images_b in people.items():
                candidates = [image for image in images_b if image != reference]
                for position, probe in enumerate(candidates):
                    if frames > 1 and len(candidates) < frames:
                        break
                    index += 1
                    shown = tuple((candidates * 2)[position : position + frames]) if frames > 1 else ()
                    yield LabelledPair(index, reference, probe, person_a == person_b, shown)


def read_pairs(csv_path: Path, root: Path) -> list[LabelledPair]:
    """The pairs of a CSV with columns img_a, img_b, same (1/0); image paths relative to ``root``."""
    if not csv_path.is_file():
        raise IdentitySetError(f"pairs file not found: {csv_path}")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise IdentitySetError(
                f"{csv_path}: missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED_COLUMNS)}"
            )
        pairs = [_parse_row(row, reader.line_num, csv_path, root) for row in reader]
    if not any(p.same for p in pairs) or all(p.same for p in pairs):
        raise IdentitySetError(f"{csv_path}: need at least one same-person and one different-person pair")
    return pairs


def _parse_row(row: dict[str, str], line: int, csv_path: Path, root: Path) -> LabelledPair:
    label = (row["same"] or "").strip().lower()
    if label not in TRUE_LABELS | FALSE_LABELS:
        raise IdentitySetError(f"{csv_path}:{line}: 'same' must be 1 or 0, got {row['same']!r}")
    reference, probe = root / row["img_a"].strip(), root / row["img_b"].strip()
    for image in (reference, probe):
        if not image.is_file():
            raise IdentitySetError(f"{csv_path}:{line}: image not found: {image} (is --root right?)")
    return LabelledPair(line=line, reference=reference, probe=probe, same=label in TRUE_LABELS)


def score_set(matcher: FaceMatcher, identity_set: IdentitySet, *, chip: bool = False) -> list[ScoredPair]:
    """The distance of every pair (best of the frames when a pair has several). Raises ModelUnavailable."""
    cache = _EmbeddingCache(matcher, chip)
    return [_score(cache, pair) for pair in identity_set.pairs]


def _score(cache: _EmbeddingCache, pair: LabelledPair) -> ScoredPair:
    try:
        reference = cache.get(pair.reference, ImageRole.REFERENCE)
        probes = _frames(cache, pair.frames or (pair.probe,))
    except FaceMatchingError as error:
        return ScoredPair(pair, math.nan, math.inf, None, f"{error.reason_code} ({error.role}): {error}")
    scale = cache.matcher.SCALE
    scores = [cache.matcher.similar(reference, probe) for probe in probes]
    best = min(range(len(scores)), key=lambda i: dissimilarity(scale, scores[i]))  # FRAME_FUSION
    return ScoredPair(
        pair, scores[best], dissimilarity(scale, scores[best]), (reference.detector, probes[best].detector), None
    )


def _frames(cache: _EmbeddingCache, frames: tuple[Path, ...]) -> list[FaceEmbedding]:
    """The frames with a face, as ``match`` keeps them (NoFaceFound only when none has one)."""
    found: list[FaceEmbedding] = []
    missed: NoFaceFound | None = None
    for frame in frames:
        try:
            found.append(cache.get(frame, ImageRole.PROBE))
        except NoFaceFound as error:
            missed = missed or error
    if not found and missed is not None:
        raise missed
    return found


def score_set_scores(name: str, scored: list[ScoredPair]) -> ScoreSet:
    """The pairs as a ScoreSet of dissimilarities (lower is closer), the unit ``calibration`` works in."""
    return ScoreSet.of(
        name,
        (s.dissimilarity for s in scored if s.pair.same),
        (s.dissimilarity for s in scored if not s.pair.same),
    )
