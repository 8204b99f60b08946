"""``manage.py match_eval SOURCE... [--root DIR] [--chip] [--frames N] [--json] [--output FILE.json]``.

Measures the production matcher on labelled sets: pairs CSVs (columns img_a, img_b, same) and
identity folders (``<person>/<image>``: every ordered pair of two images). Every image goes through
``FaceMatcher.embed``, the code ``match`` runs (bytes read from disk, one face per image, the
configured detectors); a pair where a face could not be found is counted as not matched
(distance = infinity) and listed, never dropped. ``--chip`` adds each set again with every
reference cut to the 102x126 px portrait of a PRC ID card reader. The report has the pooled
figures and a breakdown by set; ``--output`` writes the JSON and a DET curve (``FILE.det.png``:
false match rate against false non-match rate, log axes, the configured thresholds marked).
The configured thresholds are the effective policy's (the database's admin overrides on the settings).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registration.face_matching import calibration, evaluation
from registration.face_matching.base import ModelUnavailable, get_matcher, matcher_class
from registration.face_matching.calibration import ScoreSet
from registration.face_matching.identity_sets import (
    IdentitySetError,
    ScoredPair,
    load_source,
    score_set,
    score_set_scores,
)
from registration.face_matching.policy import DecisionBand, MatchPolicy, decide
from registration.verification_policy import effective_policy


def summarise(
    scored: list[ScoredPair], *, max_far: float, max_fnmr_reject: float, root: Path, policy: MatchPolicy
) -> dict[str, Any]:
    scale = matcher_class().SCALE
    # The metrics work on dissimilarities (lower is closer); every threshold is reported in the matcher's unit.
    genuine = [s.dissimilarity for s in scored if s.pair.same]
    impostor = [s.dissimilarity for s in scored if not s.pair.same]
    eer, eer_threshold = evaluation.equal_error_rate(genuine, impostor)
    tar_1, thr_1 = evaluation.tar_at_far(genuine, impostor, 0.01)
    tar_01, thr_01 = evaluation.tar_at_far(genuine, impostor, 0.001)
    best_accuracy, best_threshold = evaluation.best_accuracy(genuine, impostor)
    # The same rule as face_calibrate, on these pairs alone (face_calibrate picks across sets).
    chosen = calibration.calibrate(
        [ScoreSet.of("pairs", genuine, impostor)], target_fmr=max_far, target_fnmr_reject=max_fnmr_reject
    )
    accept, reject = chosen.accept.threshold, chosen.reject.threshold
    configured_accept = calibration.dissimilarity(scale, policy.accept_threshold)

    def unit(value: float) -> float:
        return calibration.score_of(scale, value)

    return {
        "pairs": len(scored),
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(impostor),
        "matcher": {"key": matcher_class().KEY, "metric": scale.metric, "higher_is_closer": scale.higher_is_closer},
        "accuracy": evaluation.accuracy_at(genuine, impostor, configured_accept),
        "accuracy_at_recommended": evaluation.accuracy_at(genuine, impostor, accept),
        "best_accuracy": best_accuracy,
        "eer": eer,
        "tar_at_far_1pct": tar_1,
        "tar_at_far_0_1pct": tar_01,
        "roc_auc": evaluation.roc_auc(genuine, impostor),
        "thresholds": {
            "configured_accept": policy.accept_threshold,
            "configured_reject": policy.reject_threshold,
            "recommended_accept": unit(accept),
            "recommended_reject": unit(reject),
            "recommended_far_target": max_far,
            "recommended_far_demonstrated": chosen.accept.demonstrated,
            "recommended_far_supported": chosen.accept.supported_target,
            "recommended_fnmr_reject_target": max_fnmr_reject,
            "eer": unit(eer_threshold),
            "best_accuracy": unit(best_threshold),
            "far_1pct": unit(thr_1),
            "far_0_1pct": unit(thr_01),
        },
        "bands": _band_counts(scored, policy),
        "detectors_used": _detector_counts(scored),
        "scores": {
            "genuine": _distribution([s.score for s in scored if s.pair.same]),
            "impostor": _distribution([s.score for s in scored if not s.pair.same]),
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
    }


def _band_counts(scored: list[ScoredPair], policy: MatchPolicy) -> dict[str, dict[str, int]]:
    counts = {kind: {band.value: 0 for band in DecisionBand} for kind in ("genuine", "impostor")}
    for s in scored:
        band = decide(s.score, policy).band if math.isfinite(s.score) else DecisionBand.MANUAL_REVIEW
        counts["genuine" if s.pair.same else "impostor"][band.value] += 1
    return counts


def target_line(bands: dict[str, dict[str, int]]) -> str:
    """The issue's targets as measured: genuine auto-approved, impostors approved, genuine rejected outright."""
    g, i = bands["genuine"], bands["impostor"]
    genuine = sum(g.values()) or 1
    return (
        f"targets: genuine auto-approved {g['approve']}/{sum(g.values())} = {g['approve'] / genuine:.1%}; "
        f"different-person approved {i['approve']}/{sum(i.values())}; "
        f"genuine rejected outright {g['reject']}/{sum(g.values())} = {g['reject'] / genuine:.1%}"
    )


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


LISTED = 20  # undetected pairs listed in the text report


class Command(BaseCommand):
    help = "Run labelled face sets through the production matcher and print verification metrics."
    requires_system_checks: list[str] = []  # no database, no app checks needed

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="+", type=Path, help="pairs CSVs (img_a, img_b, same) or identity folders")
        parser.add_argument("--root", type=Path, default=Path.cwd(), help="folder the CSV paths are relative to")
        parser.add_argument("--chip", action="store_true", help="also score every set with 102x126 chip references")
        parser.add_argument("--frames", type=int, default=1, help="live frames per probe (identity folders only)")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
        parser.add_argument("--output", type=Path, help="write the JSON here and the DET curve next to it (.det.png)")
        parser.add_argument(
            "--far-target",
            type=float,
            default=settings.SHIMING_FACE_TARGET_FMR,
            help="false match rate the recommended accept threshold keeps (SHIMING_FACE_TARGET_FMR)",
        )
        parser.add_argument(
            "--fnmr-reject-target",
            type=float,
            default=settings.SHIMING_FACE_TARGET_FNMR_REJECT,
            help="share of same-person pairs the recommended reject threshold may reject outright",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["root"]).resolve()
        started = time.perf_counter()
        matcher = get_matcher()
        try:
            identity_sets = [load_source(Path(source), root, frames=options["frames"]) for source in options["sources"]]
            matcher.warm_up()
            by_set: dict[str, list[ScoredPair]] = {}
            for identity_set in identity_sets:
                for as_chip in (False, True) if options["chip"] else (False,):
                    name = f"{identity_set.name} (chip)" if as_chip else identity_set.name
                    by_set[name] = score_set(matcher, identity_set, chip=as_chip)
        except IdentitySetError as error:
            raise CommandError(str(error)) from error
        except ModelUnavailable as error:
            raise CommandError(f"face model unavailable: {error}") from error
        policy = _configured_policy()
        targets = {"max_far": options["far_target"], "max_fnmr_reject": options["fnmr_reject_target"]}
        pooled = [scored for scored_set in by_set.values() for scored in scored_set]
        summary = summarise(pooled, **targets, root=root, policy=policy)
        if len(by_set) > 1:
            summary["sets"] = {
                name: summarise(scored, **targets, root=root, policy=policy) for name, scored in by_set.items()
            }
        summary["seconds"] = round(time.perf_counter() - started, 1)
        if options["output"] is not None:
            summary["det_curve"] = str(_write_outputs(Path(options["output"]), summary, by_set, policy))
        if options["json"]:
            self.stdout.write(json.dumps(_json_safe(summary), indent=2))
        else:
            self.stdout.write(_report(summary))


def _write_outputs(
    output: Path, summary: dict[str, Any], by_set: dict[str, list[ScoredPair]], policy: MatchPolicy
) -> Path:
    """The JSON at ``output`` and the DET curve PNG next to it; returns the PNG's path."""
    picture = output.with_suffix(".det.png")
    sets = [score_set_scores(name, scored) for name, scored in by_set.items()]
    write_det_curve(picture, sets, policy)
    output.write_text(json.dumps(_json_safe({**summary, "det_curve": str(picture)}), indent=2), encoding="utf-8")
    return picture


def write_det_curve(path: Path, sets: list[ScoreSet], policy: MatchPolicy) -> None:
    """FMR (x) against FNMR (y) per set, log axes, the configured thresholds marked on each curve.

    A rate of zero cannot sit on a log axis: it is drawn at half of one error in n (1 / 2n), the
    floor of what the set can show, and the caption says so.
    """
    import matplotlib  # only when a picture is asked for; Agg draws without a display

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 6), dpi=110)
    for scores in sets:
        points = calibration.det_points(scores)
        if not points:
            continue
        floor_fmr = 0.5 / max(1, sum(1 for d in scores.impostor if math.isfinite(d)))
        floor_fnmr = 0.5 / max(1, len(scores.genuine))
        xs = [max(fmr, floor_fmr) for _, fmr, _ in points]
        ys = [max(fnmr, floor_fnmr) for _, _, fnmr in points]
        (line,) = axes.plot(xs, ys, label=scores.name, linewidth=1.4)
        for score, marker in ((policy.accept_threshold, "o"), (policy.reject_threshold, "s")):
            threshold = calibration.dissimilarity(matcher_class().SCALE, score)
            fmr = calibration.false_match(scores.impostor, threshold).rate
            fnmr = calibration.false_non_match(scores.genuine, threshold).rate
            axes.plot(max(fmr, floor_fmr), max(fnmr, floor_fnmr), marker, color=line.get_color(), markersize=7)
    axes.plot([], [], "ko", label=f"accept threshold {policy.accept_threshold:.4f}")
    axes.plot([], [], "ks", label=f"reject threshold {policy.reject_threshold:.4f}")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("false match rate (different people accepted)")
    axes.set_ylabel("false non-match rate (same person not accepted)")
    axes.set_title(f"DET curve: {matcher_class().MODEL}, production detectors")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="upper right")
    figure.text(0.01, 0.01, "zero rates drawn at 1/(2n), the floor each set can show", fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def _configured_policy() -> MatchPolicy:
    """The thresholds production decides with: the effective policy (admin overrides on the settings)."""
    policy = effective_policy()
    return MatchPolicy(policy.face_accept_threshold, policy.face_reject_threshold, policy.face_higher_is_closer)


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
    m = s["matcher"]
    lines = [
        f"matcher: {m['key']} ({m['metric']}, {'higher' if m['higher_is_closer'] else 'lower'} is closer; "
        "every threshold and score below is in that unit)",
        f"pairs: {s['pairs']} ({s['genuine_pairs']} same person, {s['impostor_pairs']} different)",
        f"accuracy at configured accept threshold {t['configured_accept']:.4f}: {s['accuracy']:.2%}",
        f"accuracy at recommended accept threshold {t['recommended_accept']:.4f}: {s['accuracy_at_recommended']:.2%}",
        f"best accuracy over all thresholds (in-sample): {s['best_accuracy']:.2%} at {t['best_accuracy']:.4f}",
        f"EER: {s['eer']:.2%} at {t['eer']:.4f}",
        f"TAR at FAR 1%: {s['tar_at_far_1pct']:.2%} (threshold {t['far_1pct']:.4f})",
        f"TAR at FAR 0.1%: {s['tar_at_far_0_1pct']:.2%} (threshold {t['far_0_1pct']:.4f})",
        f"ROC AUC: {s['roc_auc']:.4f}",
        "",
        "score distribution         count     min     p05  median     p95     max",
    ]
    for kind in ("genuine", "impostor"):
        d = s["scores"][kind]
        if d is None:
            lines.append(f"  {kind:<22} (no face pairs)")
            continue
        lines.append(
            f"  {kind:<22} {d['count']:>7} {d['minimum']:>7.4f} {d['p05']:>7.4f} "
            f"{d['median']:>7.4f} {d['p95']:>7.4f} {d['maximum']:>7.4f}"
        )
    lines += [
        "",
        f"configured bands (approve at {t['configured_accept']:.4f}, reject past {t['configured_reject']:.4f}):",
    ]
    for kind, counts in s["bands"].items():
        lines.append(f"  {kind:<9} " + "  ".join(f"{band}={count}" for band, count in counts.items()))
    lines.append(target_line(s["bands"]))
    lines += [
        "",
        f"recommended thresholds (the face_calibrate rule on these pairs): accept {t['recommended_accept']:.4f} "
        f"for FMR {t['recommended_far_target']:.0e} ("
        + (
            "demonstrated"
            if t["recommended_far_demonstrated"]
            else f"not demonstrated: these pairs support {t['recommended_far_supported']:.1e}, the threshold is "
            "strictly closer than the closest different-person pair can be"
        )
        + f"), reject {t['recommended_reject']:.4f} (at most {t['recommended_fnmr_reject_target']:.0%} of "
        "same-person pairs rejected outright)",
        "detectors that found the face: "
        + "; ".join(f"{role}: {counts}" for role, counts in s["detectors_used"].items()),
        f"undetected pairs: {len(s['undetected'])}",
    ]
    lines += [f"  line {u['line']}: {u['img_a']} vs {u['img_b']}: {u['reason']}" for u in s["undetected"][:LISTED]]
    if len(s["undetected"]) > LISTED:
        lines.append(f"  ... and {len(s['undetected']) - LISTED} more (all of them are in the JSON)")
    for name, per_set in s.get("sets", {}).items():
        lines += ["", f"--- set {name} ---", *_set_report(per_set)]
    if "det_curve" in s:
        lines.append(f"DET curve: {s['det_curve']}")
    return "\n".join(lines) + "\n"


def _set_report(s: dict[str, Any]) -> list[str]:
    t = s["thresholds"]
    m = s["matcher"]
    lines = [
        f"matcher: {m['key']} ({m['metric']}, {'higher' if m['higher_is_closer'] else 'lower'} is closer; "
        "every threshold and score below is in that unit)",
        f"pairs: {s['pairs']} ({s['genuine_pairs']} same person, {s['impostor_pairs']} different); "
        f"EER {s['eer']:.2%}; TAR at FAR 0.1% {s['tar_at_far_0_1pct']:.2%}; ROC AUC {s['roc_auc']:.4f}",
        f"configured bands (approve at {t['configured_accept']:.4f}, reject past {t['configured_reject']:.4f}):",
    ]
    for kind, counts in s["bands"].items():
        lines.append(f"  {kind:<9} " + "  ".join(f"{band}={count}" for band, count in counts.items()))
    lines.append(target_line(s["bands"]))
    for kind in ("genuine", "impostor"):
        d = s["scores"][kind]
        if d is not None:
            lines.append(f"  {kind} score median {d['median']:.4f} (min {d['minimum']:.4f}, max {d['maximum']:.4f})")
    lines.append(f"undetected pairs: {len(s['undetected'])}")
    return lines
