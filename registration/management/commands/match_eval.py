"""``manage.py match_eval PAIRS.csv [--root DIR] [--json]``: measure the production matcher on labelled pairs.

Every pair goes through ``get_matcher().match`` exactly as a registration does (bytes in, one face
per image, the configured detectors). A pair where a face could not be found is counted as not
matched (distance = infinity) and listed, never dropped. Needs no database.
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registration.face_matching import evaluation
from registration.face_matching.base import FaceMatcher, FaceMatchingError, ModelUnavailable, get_matcher
from registration.face_matching.policy import DecisionBand, MatchPolicy, decide
from registration.policy import effective_policy

REQUIRED_COLUMNS = ("img_a", "img_b", "same")
TRUE_LABELS = {"1", "true", "yes", "same"}
FALSE_LABELS = {"0", "false", "no", "different"}


@dataclass(frozen=True)
class LabelledPair:
    line: int
    reference: Path
    probe: Path
    same: bool


@dataclass(frozen=True)
class ScoredPair:
    pair: LabelledPair
    distance: float  # math.inf when a face was not found
    detectors: tuple[str, str] | None  # (reference, probe) detector that found each face
    failure: str | None  # "<reason_code>: <message>" when a face was not found
    seconds: float


def read_pairs(csv_path: Path, root: Path) -> list[LabelledPair]:
    """The pairs of a CSV with columns img_a, img_b, same (1/0); image paths relative to ``root``."""
    if not csv_path.is_file():
        raise CommandError(f"pairs file not found: {csv_path}")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise CommandError(
                f"{csv_path}: missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED_COLUMNS)}"
            )
        pairs = [_parse_row(row, reader.line_num, csv_path, root) for row in reader]
    if not any(p.same for p in pairs) or all(p.same for p in pairs):
        raise CommandError(f"{csv_path}: need at least one same-person and one different-person pair")
    return pairs


def _parse_row(row: dict[str, str], line: int, csv_path: Path, root: Path) -> LabelledPair:
    label = (row["same"] or "").strip().lower()
    if label not in TRUE_LABELS | FALSE_LABELS:
        raise CommandError(f"{csv_path}:{line}: 'same' must be 1 or 0, got {row['same']!r}")
    reference, probe = root / row["img_a"].strip(), root / row["img_b"].strip()
    for image in (reference, probe):
        if not image.is_file():
            raise CommandError(f"{csv_path}:{line}: image not found: {image} (is --root right?)")
    return LabelledPair(line=line, reference=reference, probe=probe, same=label in TRUE_LABELS)


def score_pair(matcher: FaceMatcher, pair: LabelledPair) -> ScoredPair:
    started = time.perf_counter()
    try:
        result = matcher.match(pair.reference.read_bytes(), pair.probe.read_bytes())
    except ModelUnavailable:
        raise
    except FaceMatchingError as error:
        failure = f"{error.reason_code} ({error.role}): {error}"
        return ScoredPair(pair, math.inf, None, failure, time.perf_counter() - started)
    detectors = (result.reference_detector, result.probe_detector)
    return ScoredPair(pair, result.distance, detectors, None, time.perf_counter() - started)


def summarise(scored: list[ScoredPair], *, max_far: float, root: Path, policy: MatchPolicy) -> dict[str, Any]:
    genuine = [s.distance for s in scored if s.pair.same]
    impostor = [s.distance for s in scored if not s.pair.same]
    eer, eer_threshold = evaluation.equal_error_rate(genuine, impostor)
    tar_1, thr_1 = evaluation.tar_at_far(genuine, impostor, 0.01)
    tar_01, thr_01 = evaluation.tar_at_far(genuine, impostor, 0.001)
    best_accuracy, best_threshold = evaluation.best_accuracy(genuine, impostor)
    accept = evaluation.recommend_accept_threshold(genuine, impostor, max_far)
    reject = evaluation.recommend_reject_threshold(genuine, impostor, accept)
    return {
        "pairs": len(scored),
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "accuracy": evaluation.accuracy_at(genuine, impostor, policy.accept_threshold),
        "accuracy_at_recommended": evaluation.accuracy_at(genuine, impostor, accept),
        "best_accuracy": best_accuracy,
        "eer": eer,
        "tar_at_far_1pct": tar_1,
        "tar_at_far_0_1pct": tar_01,
        "roc_auc": evaluation.roc_auc(genuine, impostor),
        "thresholds": {
            "configured_accept": policy.accept_threshold,
            "configured_reject": policy.reject_threshold,
            "recommended_accept": accept,
            "recommended_reject": reject,
            "recommended_far_target": max_far,
            "eer": eer_threshold,
            "best_accuracy": best_threshold,
            "far_1pct": thr_1,
            "far_0_1pct": thr_01,
        },
        "bands": _band_counts(scored, policy),
        "detectors_used": _detector_counts(scored),
        "distances": {
            "genuine": _distribution(genuine),
            "impostor": _distribution(impostor),
        },
        "undetected": [
            {
                "line": s.pair.line,
                "img_a": _relative(s.pair.reference, root),
                "img_b": _relative(s.pair.probe, root),
                "same": s.pair.same,
                "reason": s.failure,
            }
            for s in scored
            if s.failure is not None
        ],
        "median_seconds_per_pair": sorted(s.seconds for s in scored)[len(scored) // 2],
    }


def _band_counts(scored: list[ScoredPair], policy: MatchPolicy) -> dict[str, dict[str, int]]:
    counts = {kind: {band.value: 0 for band in DecisionBand} for kind in ("genuine", "impostor")}
    for s in scored:
        band = decide(s.distance, policy).band if math.isfinite(s.distance) else DecisionBand.REJECT
        counts["genuine" if s.pair.same else "impostor"][band.value] += 1
    return counts


def _detector_counts(scored: list[ScoredPair]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {"reference": {}, "probe": {}}
    for s in scored:
        if s.detectors is None:
            continue
        for role, name in zip(("reference", "probe"), s.detectors, strict=True):
            counts[role][name] = counts[role].get(name, 0) + 1
    return counts


def _distribution(distances: list[float]) -> dict[str, float] | None:
    summary = evaluation.distribution(distances)
    return None if summary is None else {k: round(v, 4) for k, v in asdict(summary).items()}


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class Command(BaseCommand):
    help = "Run labelled face pairs through the production matcher and print verification metrics."
    requires_system_checks: list[str] = []  # no database, no app checks needed

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pairs_csv", type=Path, help="CSV with columns img_a, img_b, same (1/0)")
        parser.add_argument("--root", type=Path, default=Path.cwd(), help="folder the CSV paths are relative to")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
        parser.add_argument(
            "--far-target", type=float, default=0.001, help="FAR the recommended accept threshold keeps (0.001)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["root"]).resolve()
        pairs = read_pairs(Path(options["pairs_csv"]), root)
        matcher = get_matcher()
        try:
            matcher.warm_up()
            scored = [score_pair(matcher, pair) for pair in pairs]
        except ModelUnavailable as error:
            raise CommandError(f"face model unavailable: {error}") from error
        policy = _configured_policy()
        summary = summarise(scored, max_far=options["far_target"], root=root, policy=policy)
        if options["json"]:
            self.stdout.write(json.dumps(_json_safe(summary), indent=2))
        else:
            self.stdout.write(_report(summary))


def _configured_policy() -> MatchPolicy:
    """The thresholds production decides with: the effective policy (admin overrides on the settings)."""
    policy = effective_policy()
    return MatchPolicy(policy.face_accept_threshold, policy.face_reject_threshold)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _report(s: dict[str, Any]) -> str:
    t = s["thresholds"]
    lines = [
        f"pairs: {s['pairs']} ({s['genuine_pairs']} same person, {s['impostor_pairs']} different)",
        f"accuracy at configured accept threshold {t['configured_accept']:.4f}: {s['accuracy']:.2%}",
        f"accuracy at recommended accept threshold {t['recommended_accept']:.4f}: {s['accuracy_at_recommended']:.2%}",
        f"best accuracy over all thresholds (in-sample): {s['best_accuracy']:.2%} at {t['best_accuracy']:.4f}",
        f"EER: {s['eer']:.2%} at {t['eer']:.4f}",
        f"TAR at FAR 1%: {s['tar_at_far_1pct']:.2%} (threshold {t['far_1pct']:.4f})",
        f"TAR at FAR 0.1%: {s['tar_at_far_0_1pct']:.2%} (threshold {t['far_0_1pct']:.4f})",
        f"ROC AUC: {s['roc_auc']:.4f}",
        "",
        "distance distribution      count     min     p05  median     p95     max",
    ]
    for kind in ("genuine", "impostor"):
        d = s["distances"][kind]
        if d is None:
            lines.append(f"  {kind:<22} (no face pairs)")
            continue
        lines.append(
            f"  {kind:<22} {d['count']:>7} {d['minimum']:>7.4f} {d['p05']:>7.4f} "
            f"{d['median']:>7.4f} {d['p95']:>7.4f} {d['maximum']:>7.4f}"
        )
    lines += [
        "",
        f"configured bands (accept <= {t['configured_accept']:.4f} < review <= {t['configured_reject']:.4f} < reject):",
    ]
    for kind, counts in s["bands"].items():
        lines.append(f"  {kind:<9} " + "  ".join(f"{band}={count}" for band, count in counts.items()))
    lines += [
        "",
        f"recommended thresholds: accept {t['recommended_accept']:.4f} (FAR <= {t['recommended_far_target']:.2%}, "
        f"middle of the gap to the next impostor), reject {t['recommended_reject']:.4f} "
        "(the larger of: middle of the gap above the farthest same-person pair; 5th percentile of "
        "different-person distances)",
        "detectors that found the face: "
        + "; ".join(f"{role}: {counts}" for role, counts in s["detectors_used"].items()),
        f"undetected pairs: {len(s['undetected'])}",
    ]
    lines += [f"  line {u['line']}: {u['img_a']} vs {u['img_b']}: {u['reason']}" for u in s["undetected"]]
    lines.append(f"median seconds per pair (decode included): {s['median_seconds_per_pair']:.3f}")
    return "\n".join(lines) + "\n"
