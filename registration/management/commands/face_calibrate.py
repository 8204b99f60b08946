"""``manage.py face_calibrate SOURCE... [--root DIR] [--chip] [--frames N] [--json] [--adopt --admin NAME] [--record]``.

Scores every same / different-person pair of each source (an identity folder ``<person>/<image>``,
a print / live folder ``<person>/{print,live}/`` or a pairs CSV) with the configured matcher
(SHIMING_FACE_MATCHER; every threshold in its own unit and direction), reports the false match and false non-match rates
at the configured thresholds with 95 % bounds, and picks the thresholds for the targets
(``SHIMING_FACE_TARGET_FMR``, ``SHIMING_FACE_TARGET_FNMR_REJECT``) on the hardest set. With
``--adopt`` they are written to the admin's verification policy through ``policy_update``
(audited); otherwise only printed. With ``--record`` the error rates at the thresholds in force
(the adopted ones, else the configured ones), the matcher's version, its model files' checksums,
the sets and this command line are stored for the impact assessment (``CalibrationRecord``).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from registration.calibration_records import CalibrationRecord
from registration.errors import DomainError
from registration.face_matching import calibration
from registration.face_matching.base import ModelUnavailable, ScoreScale, get_matcher, matcher_class
from registration.face_matching.calibration import Calibration, ErrorBound, OperatingPoint, ScoreSet
from registration.face_matching.identity_sets import IdentitySetError, load_source, score_set, score_set_scores
from registration.services import calibration_record_store, policy_update
from registration.services.calibration import command_line, engine_versions, face_error_figures, file_checksums
from registration.verification_policy import effective_policy


def score_sources(
    sources: list[Path], root: Path, *, chip: bool, frames: int
) -> tuple[list[ScoreSet], dict[str, list[Any]]]:
    """A ScoreSet per source (and per chip variant), and the scored pairs behind each."""
    matcher = get_matcher()
    sets, scored_by_set = [], {}
    try:
        matcher.warm_up()
        identity_sets = [load_source(source, root, frames=frames) for source in sources]
        for identity_set in identity_sets:
            for as_chip in (False, True) if chip else (False,):
                name = f"{identity_set.name} (chip)" if as_chip else identity_set.name
                scored = score_set(matcher, identity_set, chip=as_chip)
                scored_by_set[name] = scored
                sets.append(score_set_scores(name, scored))
    except IdentitySetError as error:
        raise CommandError(str(error)) from error
    except ModelUnavailable as error:
        raise CommandError(f"face model unavailable: {error}") from error
    return sets, scored_by_set


def configured_thresholds() -> tuple[float, float, str]:
    """(accept, reject, where they come from) in the matcher's unit: the effective policy, or the
    matcher's calibrated thresholds without a database."""
    try:
        policy = effective_policy()
    except DatabaseError:
        scale = matcher_class().SCALE
        return scale.accept, scale.reject, "the matcher's calibrated thresholds (no database)"
    return policy.face_accept_threshold, policy.face_reject_threshold, "effective policy"


THRESHOLD_KEYS = ("threshold", "accept", "reject")


def in_matcher_unit(value: Any, scale: ScoreScale) -> Any:
    """The report with every threshold (computed as a dissimilarity) back in the matcher's unit."""
    if isinstance(value, dict):
        return {
            k: calibration.score_of(scale, v)
            if k in THRESHOLD_KEYS and isinstance(v, float)
            else in_matcher_unit(v, scale)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [in_matcher_unit(v, scale) for v in value]
    return value


class Command(BaseCommand):
    help = "Choose the face thresholds from false-match / false-non-match targets on labelled identity sets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="+", type=Path, help="identity folders <person>/<image> or pairs CSVs")
        parser.add_argument("--root", type=Path, default=Path.cwd(), help="folder the CSV paths are relative to")
        parser.add_argument("--chip", action="store_true", help="also score every set with 102x126 chip references")
        parser.add_argument("--frames", type=int, default=1, help="live frames per probe (identity folders only)")
        parser.add_argument("--target-fmr", type=float, default=settings.SHIMING_FACE_TARGET_FMR)
        parser.add_argument("--target-fnmr-reject", type=float, default=settings.SHIMING_FACE_TARGET_FNMR_REJECT)
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
        parser.add_argument("--adopt", action="store_true", help="write the thresholds to the verification policy")
        parser.add_argument("--admin", default="", help="the admin user the adoption is audited under")
        parser.add_argument("--record", action="store_true", help="store the error rates for the impact assessment")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("target_fmr", "target_fnmr_reject"):
            if not 0.0 < options[name] < 1.0:
                raise CommandError(f"--{name.replace('_', '-')} must be between 0 and 1")
        if options["frames"] < 1:
            raise CommandError("--frames must be at least 1")
        admin = _admin(options["admin"]) if options["adopt"] else None
        sets, _scored = score_sources(
            options["sources"], Path(options["root"]).resolve(), chip=options["chip"], frames=options["frames"]
        )
        try:
            result = calibration.calibrate(
                sets, target_fmr=options["target_fmr"], target_fnmr_reject=options["target_fnmr_reject"]
            )
        except calibration.CalibrationError as error:
            raise CommandError(str(error)) from error
        scale = matcher_class().SCALE
        accept, reject, origin = configured_thresholds()
        configured = (calibration.dissimilarity(scale, accept), calibration.dissimilarity(scale, reject), origin)
        report = in_matcher_unit(calibration_report(sets, result, configured=configured), scale)
        report["matcher"] = {
            "key": matcher_class().KEY,
            "metric": scale.metric,
            "higher_is_closer": scale.higher_is_closer,
        }
        if admin is not None:
            report["adopted"] = _adopt(admin, report)
        if options["record"]:
            in_force = (result.accept.threshold, result.reject.threshold) if admin is not None else configured[:2]
            report["recorded"] = _record(sets, in_force, options).pk
        self.stdout.write(json.dumps(json_safe(report), indent=2) if options["json"] else render(report))


def _record(sets: list[ScoreSet], in_force: tuple[float, float], options: dict[str, Any]) -> Any:
    """Store the errors at the thresholds in force (dissimilarities) as a calibration record."""
    matcher = matcher_class()
    accept, reject = in_force
    dataset = "; ".join(
        [f"sources: {', '.join(str(source) for source in options['sources'])}"]
        + [f"{s.name}: {len(s.genuine)} same-person and {len(s.impostor)} different-person pairs" for s in sets]
    )
    return calibration_record_store(
        kind=CalibrationRecord.Kind.FACE_MATCHER,
        component=matcher.KEY,
        version=f"{matcher.MODEL} ({engine_versions()})",
        model_files=file_checksums(matcher.model_paths()),
        dataset=dataset,
        command=command_line("face_calibrate", options),
        figures=face_error_figures(sets, accept=accept, reject=reject, scale=matcher.SCALE),
    )


def _admin(username: str) -> Any:
    if not username:
        raise CommandError("--adopt needs --admin USERNAME: the change is audited under that admin")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user named {username!r}")
    return user


def _adopt(admin: Any, report: dict[str, Any]) -> dict[str, float]:
    recommended = report["recommended"]
    values = {
        "face_accept_threshold": recommended["accept"]["threshold"],
        "face_reject_threshold": recommended["reject"]["threshold"],
    }
    try:
        policy_update(actor=admin, values=values)
    except DomainError as error:
        raise CommandError(f"the policy was not changed: {error}") from error
    return values


def calibration_report(
    sets: list[ScoreSet], result: Calibration, *, configured: tuple[float, float, str]
) -> dict[str, Any]:
    accept, reject, origin = configured
    return {
        "targets": {"fmr": result.accept.target, "fnmr_reject": result.reject.target},
        "configured": {
            "accept": accept,
            "reject": reject,
            "from": origin,
            "sets": [_point(calibration.operating_point(s, accept=accept, reject=reject)) for s in sets],
        },
        "recommended": {
            "accept": asdict(result.accept),
            "reject": asdict(result.reject),
            "per_set_accept": [asdict(c) for c in result.per_set_accept],
            "per_set_reject": [asdict(c) for c in result.per_set_reject],
            "skipped": list(result.skipped),
            "sets": [
                _point(calibration.operating_point(s, accept=result.accept.threshold, reject=result.reject.threshold))
                for s in sets
            ],
        },
    }


def _point(point: OperatingPoint) -> dict[str, Any]:
    return asdict(point)


def json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def bound_text(bound: dict[str, Any] | ErrorBound) -> str:
    """'0/9506 (below 3.2e-04)' or '12/190 = 6.3 % (95 %: 3.3 %-10.8 %)'."""
    b = bound if isinstance(bound, dict) else asdict(bound)
    if b["trials"] == 0:
        return "no pairs"
    if b["errors"] == 0:
        return f"0/{b['trials']} (below {b['upper']:.1e}, 95 %)"
    return f"{b['errors']}/{b['trials']} = {b['rate']:.2%} (95 %: {b['lower']:.2%}-{b['upper']:.2%})"


def _choice_lines(kind: str, choice: dict[str, Any]) -> list[str]:
    status = (
        "demonstrated"
        if choice["demonstrated"]
        else (
            f"NOT demonstrated: this set supports at best {choice['supported_target']:.1e} (3/n), so the "
            f"threshold is the most cautious one it allows"
        )
    )
    return [
        f"{kind}: {choice['threshold']:.4f}, chosen on {choice['set_name']!r} (target {choice['target']:.0e}; "
        f"at this threshold {bound_text(choice['bound'])}); {status}"
    ]


def _set_lines(points: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"  {'set':<28} {'same-person: approve/review/reject':>36}  {'FNMR at accept':<34} "
        f"{'different: approve/review/reject':>33}  FMR at accept"
    ]
    for p in points:
        g, i = p["genuine_bands"], p["impostor_bands"]
        lines.append(
            f"  {p['set_name']:<28} {g['approve']:>12}/{g['manual_review']}/{g['reject']:<20} "
            f"{bound_text(p['false_non_match']):<34} {i['approve']:>12}/{i['manual_review']}/{i['reject']:<17} "
            f"{bound_text(p['false_match'])}"
        )
        lines.append(f"  {'':<28} same-person rejected outright: {bound_text(p['false_reject'])}")
    return lines


def render(report: dict[str, Any]) -> str:
    c, r = report["configured"], report["recommended"]
    matcher = report["matcher"]
    direction = "higher is closer" if matcher["higher_is_closer"] else "lower is closer"
    lines = [
        f"matcher: {matcher['key']} ({matcher['metric']}, {direction}); every threshold below is in that unit",
        f"targets: false match rate {report['targets']['fmr']:.0e}, same-person rejected outright "
        f"{report['targets']['fnmr_reject']:.0e}",
        "",
        f"at the configured thresholds (accept {c['accept']:.4f}, reject {c['reject']:.4f}, from {c['from']}):",
        *_set_lines(c["sets"]),
        "",
        "recommended thresholds:",
        *_choice_lines("  accept", r["accept"]),
        *_choice_lines("  reject", r["reject"]),
        "  per set: "
        + "; ".join(f"{a['set_name']}: accept {a['threshold']:.4f}" for a in r["per_set_accept"])
        + "; "
        + "; ".join(f"{a['set_name']}: reject {a['threshold']:.4f}" for a in r["per_set_reject"]),
        *[f"  skipped: {why}" for why in r["skipped"]],
        "",
        f"at the recommended thresholds (accept {r['accept']['threshold']:.4f}, "
        f"reject {r['reject']['threshold']:.4f}):",
        *_set_lines(r["sets"]),
    ]
    if "recorded" in report:
        lines += ["", f"stored for the impact assessment: calibration record {report['recorded']}"]
    if "adopted" in report:
        lines += ["", f"adopted into the verification policy (audited): {report['adopted']}"]
    else:
        lines += ["", "not adopted (run with --adopt --admin NAME to write them into the verification policy)"]
    return "\n".join(lines) + "\n"
