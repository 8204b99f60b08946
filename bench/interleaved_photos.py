"""The interleaved-photo attack over every shared clip: how many end in approval (target 0).

An accomplice does the live challenge; a virtual camera slips frames of the victim's photo into
the stream (``--run`` frames every ``--every`` frames). The victim's ID document carries another
photo of the victim. Each attacked stream goes through the product's path: the liveness session
(engine, guards, the best frames the match uses and the frames sampled through the challenge),
the face matcher's best-of match against the document, its band under the matcher's shipped
thresholds, and the one-face check (`registration/services/identity.py`). The document is taken as
bound and the customer as an adult: the worst case, nothing else holds the approval back.

The same clips played honestly, with the clip's own first frame as the document, give the other
side: how often the one-face check sends an honest customer to a supervisor.

    .venv/bin/python bench/interleaved_photos.py [--photos 6] [--every 8 16 30]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import cv2
import django
import numpy as np

django.setup()

from bench.print_attacks import as_print  # noqa: E402
from liveness import ChallengePlan, LivenessConfig  # noqa: E402
from liveness.extractor import LandmarkExtractor  # noqa: E402
from liveness.session import LivenessSession  # noqa: E402
from registration.face_matching import FaceMatcher, FaceMatchingError, get_matcher  # noqa: E402
from registration.face_matching.policy import DecisionBand, MatchPolicy, decide  # noqa: E402
from registration.liveness_settings import liveness_config  # noqa: E402
from registration.services.identity import challenge_identity_check  # noqa: E402

MATCH_FRAMES = 3  # capture/webrtc/analysis.py: the best frame and the next two
STEPS = ("blink", "turn_left", "turn_right")  # one step: the clips were not filmed to follow prompts
GAPS = (0.5, 0.0, 0.25, 1.0, 1.5, 2.0, 3.0)  # the hold-still gap before the blink prompt, tried in turn
Frame = np.ndarray


@dataclass(frozen=True)
class Attempt:
    passed: bool
    reasons: tuple[str, ...]
    matched: tuple[bytes, ...]
    sampled: tuple[bytes, ...]


def clip_frames(path: Path) -> tuple[list[Frame], float]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(np.asarray(frame, dtype=np.uint8))
    capture.release()
    return frames, fps


def interleaved(frames: list[Frame], photo: Frame, every: int, run: int, offset: int) -> Iterator[Frame]:
    """The clip with ``run`` frames of the photo (sized like the clip) every ``every`` frames."""
    height, width = frames[0].shape[:2]
    shown = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
    for index, frame in enumerate(frames):
        yield shown if (index + offset) % every < run else frame


def play(
    frames: Iterator[Frame], fps: float, extractor: LandmarkExtractor, config: LivenessConfig, plan: ChallengePlan
) -> Attempt:
    """The capture's session over a stream (media clock), as `capture/webrtc/analysis.py` ends it."""
    now = [0.0]
    session = LivenessSession(plan, config, clock=lambda: now[0], extractor=extractor)
    for index, frame in enumerate(frames):
        now[0] = index / fps
        session.offer(frame, timestamp=now[0])
    best = session.best_frames(MATCH_FRAMES)
    result = session.result()
    matched = tuple(jpeg(frame.image) for frame in ((result.best_frame,) if result.best_frame else ()))
    matched += tuple(jpeg(frame.image) for frame in best[1:])
    reasons = tuple(reason.value for reason in result.verdict.reasons)
    return Attempt(result.verdict.passed and bool(matched), reasons, matched, session.challenge_samples())


def serving_plan(
    frames: list[Frame], fps: float, extractor: LandmarkExtractor, config: LivenessConfig
) -> tuple[ChallengePlan, Attempt]:
    """A one-step plan the clip alone passes (the prompt placed before one of its own blinks or
    turns), else the last one tried."""
    for step in STEPS:
        for gap in GAPS:
            plan = ChallengePlan.parse(step).with_gaps((gap,))
            alone = play(iter(frames), fps, extractor, config, plan)
            if alone.passed:
                return plan, alone
    return plan, alone


def judge(matcher: FaceMatcher, document: bytes, attempt: Attempt, bands: MatchPolicy) -> tuple[str, str]:
    """The worker's decision (`services.judgement.faces_match`) for a bound document and an adult,
    with the one-face check and without it (the code before it)."""
    if not attempt.passed:
        return "liveness_failed", "liveness_failed"
    try:
        band = decide(matcher.match(document, list(attempt.matched)).score, bands).band
    except FaceMatchingError:
        return "manual_review", "manual_review"
    if band is DecisionBand.REJECT:
        return "rejected", "rejected"
    check = challenge_identity_check(matcher=matcher, matched=attempt.matched, sampled=attempt.sampled, policy=bands)
    decision = "approved" if band is DecisionBand.APPROVE else "manual_review"
    return check.hold(decision, [])[0], decision


def jpeg(image: Frame) -> bytes:
    return bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())


def victims(testdata: Path, count: int) -> list[tuple[str, bytes, Frame]]:
    """(name, the document's photo, another photo of the same person slipped into the stream)."""
    people = sorted((testdata / "verification" / "casia_facev5").iterdir())[:count]
    found = []
    for person in people:
        document = np.asarray(cv2.imread(str(person / f"{person.name}_0.bmp")), dtype=np.uint8)
        slipped = np.asarray(cv2.imread(str(person / f"{person.name}_1.bmp")), dtype=np.uint8)
        found.append((f"casia/{person.name}", jpeg(as_print(document)), as_print(slipped)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=6, help="victims (CASIA people), each against every clip")
    parser.add_argument("--every", type=int, nargs="+", default=[8, 12, 16, 30], help="photo frames every N frames")
    parser.add_argument("--run", type=int, default=2, help="photo frames in a row each time (1 when every > 8)")
    args = parser.parse_args()
    testdata = Path(os.environ.get("SHIMING_TESTDATA", Path(__file__).resolve().parents[2] / "shared" / "testdata"))
    matcher = get_matcher()
    bands = MatchPolicy(matcher.SCALE.accept, matcher.SCALE.reject, matcher.SCALE.higher_is_closer)
    config = liveness_config()
    clips = sorted(p for p in (testdata / "liveness_video").iterdir() if p.suffix in (".mp4", ".mov"))
    print(f"matcher {matcher.KEY}: approve {matcher.SCALE.accept}, reject {matcher.SCALE.reject}")
    honest: Counter[str] = Counter()
    attacked: dict[int, Counter[str]] = {every: Counter() for every in args.every}
    before: Counter[int] = Counter()  # approvals without the one-face check
    with LandmarkExtractor(config) as extractor:
        for clip in clips:
            frames, fps = clip_frames(clip)
            plan, alone = serving_plan(frames, fps, extractor, config)
            own, _ = judge(matcher, jpeg(frames[0]), alone, bands)
            honest[own] += 1
            if not alone.passed:
                print(f"{clip.name}: cannot serve (fails the live check alone: {', '.join(alone.reasons)})")
                continue
            row = []
            for every in args.every:
                run = args.run if every <= 8 else 1
                for name, document, photo in victims(testdata, args.photos):
                    stream = interleaved(frames, photo, every, run, offset=3)
                    outcome, unchecked = judge(matcher, document, play(stream, fps, extractor, config, plan), bands)
                    attacked[every][outcome] += 1
                    before[every] += unchecked == "approved"
                    if unchecked == "approved":
                        print(f"  approved without the check: {clip.name} with {name}, every {every}: now {outcome}")
                    if outcome == "approved":
                        print(f"  APPROVED: {clip.name} with {name}, {run} photo frame(s) every {every}")
                row.append(f"every {every}: {dict(attacked[every])}")
            print(
                f"{clip.name} ({plan.steps[0].value}, gap {plan.gaps[0]} s): alone {own}; cumulative {'; '.join(row)}",
                flush=True,
            )
    total = sum(counts["approved"] for counts in attacked.values())
    runs = sum(sum(counts.values()) for counts in attacked.values())
    print(f"honest clips (own first frame as the document): {dict(honest)}")
    for every, counts in attacked.items():
        print(f"photo every {every} frames: {dict(counts)}; approved without the one-face check: {before[every]}")
    print(f"interleaved-photo attacks approved: {total} of {runs} (target 0)")


if __name__ == "__main__":
    main()
