"""Blink evidence bench: how much the eye's pixels change in real blinks and in print attacks.

    .venv/bin/python bench/blink_evidence.py [--testdata ../shared/testdata] [--seconds 6]
        [--attacks still,swung,bent,bent_recompressed] [--every 1]

Plays every shared live clip and, for every shared still (`bench.print_attacks.shared_stills`,
every `--every`-th), every print attack (`bench.print_attacks.ATTACKS`) through a live session
twice: once with the eye-change rule off (`blink_min_eye_change` 0, to see every eye closure the
face mesh reports) and once with the product's configuration. Prints the eye change
(`liveness.eye_appearance`) of the closures in real clips and in attacks, the annotated blinks
found, and the blink and turn events the attacks produce with the rule on. Not a test; the
attack tests hold the outcome (`tests/liveness/test_print_blinks.py`).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench.print_attacks import ATTACKS, attack_frames, load_still, shared_stills  # noqa: E402
from liveness import ChallengePlan, EventType, LivenessConfig, LivenessVerdict  # noqa: E402
from liveness.extractor import LandmarkExtractor  # noqa: E402
from liveness.session import LivenessSession  # noqa: E402

CAMERA_FPS = 30.0
PLAN = ChallengePlan.parse("turn_left,blink,turn_right").with_gaps((1.0, 1.0, 1.0))
MATCH_TOLERANCE = 0.25  # seconds around an annotated blink, as tests/liveness/test_clips.py


class _MediaClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True, slots=True)
class Played:
    """One clip or attack played through a session: its verdict and the eye change of each blink
    event (the largest eye change of the frames inside it)."""

    verdict: LivenessVerdict
    blink_changes: tuple[float, ...]

    def events(self, kind: EventType) -> int:
        return sum(event.type is kind for event in self.verdict.events)


def play(frames: Iterable[tuple[float, Any]], extractor: LandmarkExtractor, config: LivenessConfig) -> Played:
    """Offer (time, BGR frame) pairs to a new session, as from the camera."""
    clock = _MediaClock()
    extractor.reset()
    session = LivenessSession(PLAN, config, clock=clock, extractor=extractor, keep_observing=True)
    for t, frame in frames:
        clock.now = t
        session.offer(frame, t)
    verdict = session.result().verdict
    trace = session.export_trace()["frames"]
    changes = []
    for event in verdict.events:
        if event.type is EventType.BLINK:
            inside = [max(frame.get("ec") or [0.0]) for frame in trace if event.t_start <= frame["t"] <= event.t_end]
            changes.append(max(inside, default=0.0))
    return Played(verdict, tuple(changes))


def clip_frames(path: Path) -> list[tuple[float, Any]]:
    capture = cv2.VideoCapture(str(path))
    fps = float(capture.get(cv2.CAP_PROP_FPS))
    frames: list[tuple[float, Any]] = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append((len(frames) / fps, frame))
    capture.release()
    return frames


def annotated_blinks(testdata: Path) -> dict[str, list[tuple[float, float]]]:
    """Blink (start, duration) per clip file name, from annotations_auto.csv."""
    result = {}
    with (testdata / "liveness_video" / "annotations_auto.csv").open(newline="") as handle:
        for row in csv.reader(handle):
            if row and row[0].startswith("liveness_video/"):
                pairs = re.findall(r"([\d.]+)\(([\d.]+)\)", row[7])
                result[row[0].split("/")[-1]] = [(float(start), float(length)) for start, length in pairs]
    return result


def found_blinks(verdict: LivenessVerdict, annotated: list[tuple[float, float]]) -> int:
    """Annotated blinks that a blink event overlaps (each event used once)."""
    detected = [event for event in verdict.events if event.type is EventType.BLINK]
    used: set[int] = set()
    for start, length in annotated:
        for index, event in enumerate(detected):
            near = event.t_start <= start + length + MATCH_TOLERANCE and event.t_end >= start - MATCH_TOLERANCE
            if index not in used and near:
                used.add(index)
                break
    return len(used)


def percentiles(values: list[float]) -> str:
    if not values:
        return "none"
    low, p5, median, p95, high = np.percentile(values, [0, 5, 50, 95, 100])
    return f"n={len(values)} min {low:.4f} p5 {p5:.4f} median {median:.4f} p95 {p95:.4f} max {high:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testdata", type=Path, default=PROJECT_ROOT.parent / "shared" / "testdata")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each attack")
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="comma-separated attack kinds")
    parser.add_argument("--every", type=int, default=1, help="take every n-th still")
    args = parser.parse_args()
    kinds = [kind for kind in args.attacks.split(",") if kind]
    unknown = sorted(set(kinds) - set(ATTACKS))
    if unknown:
        parser.error(f"unknown attack(s) {', '.join(unknown)}: choose from {', '.join(ATTACKS)}")
    product = LivenessConfig()
    rule_off = dataclasses.replace(product, blink_min_eye_change=0.0)
    print(f"blink evidence bench: blink_min_eye_change {product.blink_min_eye_change:g}")
    with LandmarkExtractor(product) as extractor:
        real_changes: list[float] = []
        found_on = found_off = total = 0
        for name, annotated in sorted(annotated_blinks(args.testdata).items()):
            frames = clip_frames(args.testdata / "liveness_video" / name)
            off, on = play(frames, extractor, rule_off), play(frames, extractor, product)
            real_changes += off.blink_changes
            found_off += found_blinks(off.verdict, annotated)
            found_on += found_blinks(on.verdict, annotated)
            total += len(annotated)
            print(f"  {name}: annotated {len(annotated)}, found {found_off} rule off / {found_on} rule on (running)")
        print(f"real clips: annotated blinks found {found_on}/{total} with the rule, {found_off}/{total} without")
        print(f"real clips, eye change of every blink event (rule off): {percentiles(real_changes)}")
        stills = shared_stills(args.testdata)[:: args.every]
        count = int(args.seconds * CAMERA_FPS)
        for kind in kinds:
            attack_changes: list[float] = []
            blinks_off = blinks_on = turns_on = 0
            worst: list[str] = []
            for index, path in enumerate(stills):
                photo = load_still(path)
                timed = [
                    (i / CAMERA_FPS, frame)
                    for i, frame in enumerate(attack_frames(kind, photo, count, CAMERA_FPS, seed=index))
                ]
                off, on = play(timed, extractor, rule_off), play(timed, extractor, product)
                attack_changes += off.blink_changes
                blinks_off += off.events(EventType.BLINK)
                blinks_on += on.events(EventType.BLINK)
                turns_on += on.events(EventType.TURN_LEFT) + on.events(EventType.TURN_RIGHT)
                if on.events(EventType.BLINK):
                    worst.append(path.relative_to(args.testdata).as_posix())
            print(
                f"attack {kind}: {len(stills)} stills x {args.seconds:g} s: eye closures {blinks_off} "
                f"(rule off), blink events {blinks_on}, turn events {turns_on} (rule on)"
            )
            print(f"  eye change of the closures: {percentiles(attack_changes)}")
            if worst:
                print(f"  stills that still blink: {', '.join(worst)}")


if __name__ == "__main__":
    main()
