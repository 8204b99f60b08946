"""One face from the first frame to the match, by the face matcher's own embedding.

The capture keeps a few frames drawn at random through the whole challenge (`liveness.samples`);
the match task embeds them and the frames it matched, and every matched frame must be the same
person as every other matched frame and every sampled one, on the matcher's own scale: a pair
scores in the approve band of the effective policy (the band a live frame needs against the
document, so a frame of someone else slipped into the stream cannot be "the best frame" unnoticed).

A mismatch sends the case to a supervisor with the reason, rather than failing the live check as
suspected injection: the live check's verdict is already written by then, a supervisor sees the
frames, and a failed check would give the attacker another attempt with a new plan (a review ends
the session's automatic path). It runs in the worker only, never on the capture's event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from registration.face_matching import FaceMatcher, FaceMatchingError, ModelUnavailable
from registration.face_matching.base import FaceEmbedding, ImageRole
from registration.face_matching.policy import DecisionBand, MatchPolicy, decide

IDENTITY_MISMATCH = "identity_mismatch"
"""A matched frame and another matched or sampled frame are not the same person by the matcher."""
CHALLENGE_FRAMES_MISSING = "challenge_frames_missing"
"""No sampled frame of the challenge could be embedded: one face through it cannot be shown."""


@dataclass(frozen=True)
class IdentityCheck:
    """The check's outcome: ``reasons`` is empty when every frame shows one person."""

    reasons: tuple[str, ...]
    detail: dict[str, Any] = field(default_factory=dict)

    def hold(self, decision: str, reasons: list[str]) -> tuple[str, list[str]]:
        """A case that is not rejected goes to a supervisor with this check's reasons."""
        if not self.reasons or decision == "rejected":
            return decision, reasons
        return "manual_review", [*reasons, *self.reasons]


def challenge_identity_check(
    *, matcher: FaceMatcher, matched: Sequence[bytes], sampled: Sequence[bytes], policy: MatchPolicy
) -> IdentityCheck:
    """Every matched frame against every other matched frame and every sampled frame.

    Frames without one clear face are skipped (the match met the same frames; a sample may show a
    blink or a blur); ModelUnavailable is raised, as the match raises it."""
    probes = _embeddings(matcher, matched)
    samples = _embeddings(matcher, sampled)
    if not samples:
        return IdentityCheck((CHALLENGE_FRAMES_MISSING,), {"sampled": len(sampled), "sampled_with_face": 0})
    scores = [
        matcher.similar(probe, other)
        for index, probe in enumerate(probes)
        for other in (*probes[index + 1 :], *samples)
    ]
    mismatches = sum(1 for score in scores if decide(score, policy).band is not DecisionBand.APPROVE)
    closest_first = sorted(scores, reverse=matcher.SCALE.higher_is_closer)
    detail = {
        "matched_with_face": len(probes),
        "sampled": len(sampled),
        "sampled_with_face": len(samples),
        "pairs": len(scores),
        "mismatched_pairs": mismatches,
        "farthest_score": round(closest_first[-1], 4) if scores else None,
    }
    return IdentityCheck((IDENTITY_MISMATCH,) if mismatches else (), detail)


def _embeddings(matcher: FaceMatcher, frames: Sequence[bytes]) -> list[FaceEmbedding]:
    embeddings = []
    for frame in frames:
        try:
            embeddings.append(matcher.embed(frame, ImageRole.PROBE))
        except ModelUnavailable:
            raise
        except FaceMatchingError:
            continue
    return embeddings
