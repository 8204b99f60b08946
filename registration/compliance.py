"""The operator's compliance pack, read from the live configuration and data: the filing threshold
of the 2025 face-recognition Measures, the facts of the personal-information impact assessment, the
counter notice and the monthly processing report. Reads only; `services.compliance` records an
assessment. Every figure here comes from the database, the effective policy, the settings or the
latest stored calibration run (`CalibrationRecord`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .calibration_records import CalibrationRecord
from .face_matching.base import matcher_class
from .models import AuditEvent, Evidence, IdentityDocument, Outlet, VerificationSession
from .state_machine import SessionState
from .verification_policy import EffectivePolicy, effective_policy
from .working_days import add_working_days, working_calendar

S = SessionState
FILING_CROSSED = "filing.threshold_crossed"
FILING_WORKING_DAYS = 30
# Sessions that processed a face: the document photo was taken or the live check started.
FACE_PROCESSED = Q(document_captured_at__isnull=False) | Q(liveness_started_at__isnull=False)


@dataclass(frozen=True)
class FilingStatus:
    """Distinct people whose face information is held, against the filing threshold."""

    held_now: int
    last_12_months: int
    threshold: int
    warning_share: float
    crossed_on: date | None
    filing_deadline: date | None
    deadline_approximate: bool = False
    """The deadline reaches into a year the holiday calendar does not cover (`working_days`)."""

    @property
    def level(self) -> str:
        """ "crossed", "warning" (from the warning share of the threshold) or "ok"."""
        highest = max(self.held_now, self.last_12_months)
        if highest >= self.threshold:
            return "crossed"
        return "warning" if highest >= self.threshold * self.warning_share else "ok"


def people_with_face_data_now() -> int:
    """Distinct ID documents with any face evidence (portrait, frames, trace) stored now."""
    return Evidence.objects.values("session__subscriber__document").distinct().count()


def people_with_face_data_since(since: datetime) -> int:
    """Distinct ID documents whose face was processed in a session opened since `since`."""
    sessions = VerificationSession.objects.filter(FACE_PROCESSED, created_at__gte=since)
    return sessions.values("subscriber__document").distinct().count()


def filing_status(*, now: datetime | None = None) -> FilingStatus:
    now = now or timezone.now()
    crossed = AuditEvent.objects.filter(action=FILING_CROSSED).order_by("created_at").first()
    crossed_on = timezone.localdate(crossed.created_at) if crossed else None
    deadline = add_working_days(crossed_on, FILING_WORKING_DAYS, working_calendar()) if crossed_on else None
    return FilingStatus(
        held_now=people_with_face_data_now(),
        last_12_months=people_with_face_data_since(now - timedelta(days=365)),
        threshold=settings.SHIMING_FILING_THRESHOLD_PEOPLE,
        warning_share=settings.SHIMING_FILING_WARNING_SHARE,
        crossed_on=crossed_on,
        filing_deadline=deadline.day if deadline else None,
        deadline_approximate=deadline is not None and not deadline.exact,
    )


def filing_facts(status: FilingStatus) -> dict[str, Any]:
    """The filing status, JSON-ready (dates as ISO strings)."""
    return {
        "held_now": status.held_now,
        "last_12_months": status.last_12_months,
        "threshold": status.threshold,
        "warning_share": status.warning_share,
        "level": status.level,
        "crossed_on": status.crossed_on.isoformat() if status.crossed_on else None,
        "filing_deadline": status.filing_deadline.isoformat() if status.filing_deadline else None,
        "deadline_approximate": status.deadline_approximate,
    }


@dataclass(frozen=True)
class DataItem:
    """One kind of personal information the product keeps: where, and for how long."""

    name: str
    where: str
    retention: str


def data_items(policy: EffectivePolicy) -> list[DataItem]:
    """The retention table (docs/privacy.md), from the effective policy: the one list the impact
    assessment and the counter notice print."""
    hours, review_days = policy.evidence_retention_hours, policy.review_close_after.days
    evidence = _("encrypted (AES-GCM) in PostgreSQL, table registration_evidence")
    closed = _("until the session closes (at most %(days)s days in manual review), then %(hours)s hours") % {
        "days": review_days,
        "hours": hours,
    }
    identity_years = f"{policy.identity_keep_days / 365:g}"
    return [
        DataItem(str(_("ID document portrait")), str(evidence), str(closed)),
        DataItem(
            str(_("Photo of the whole ID document (scaled down), for a supervisor's check")), str(evidence), str(closed)
        ),
        DataItem(str(_("One live photo")), str(evidence), str(closed)),
        DataItem(str(_("Further live frames for the comparison")), str(evidence), str(_("until the comparison"))),
        DataItem(
            str(_("Liveness record with face geometry (landmarks, face proportions, screen-light colours)")),
            str(evidence),
            str(_("until the liveness verdict (seconds)")),
        ),
        DataItem(
            str(_("Liveness timeline (time, quality, eye openness, head angles per frame)")),
            str(evidence),
            str(closed),
        ),
        DataItem(
            str(_("Face template of the document portrait")),
            str(_("encrypted in Redis, never in the database")),
            str(_("until the comparison or the session's end")),
        ),
        DataItem(
            str(_("Name, phone number, document number (encrypted and a keyed hash), birth date")),
            str(_("PostgreSQL, tables registration_subscriber and registration_identitydocument")),
            str(
                _("while a number is active and %(years)s years after its service ends or the registration fails")
                % {"years": identity_years}
            ),
        ),
        DataItem(
            str(_("Guardian's name and document (masked, keyed hash); notes and reasons")),
            str(_("PostgreSQL, with the consent record and the session")),
            str(_("erased with the person; never in the audit log")),
        ),
    ]


def _matcher_facts(policy: EffectivePolicy, since: datetime) -> dict[str, Any]:
    decided = VerificationSession.objects.filter(created_at__gte=since, non_biometric=False).exclude(match_model="")
    outcomes = dict(decided.values_list("decision").annotate(count=Count("pk")).values_list("decision", "count"))
    calibration = (
        AuditEvent.objects.filter(action="policy.updated", details__changes__has_key="face_accept_threshold")
        .order_by("-created_at")
        .first()
    )
    return {
        "backend": settings.SHIMING_FACE_MATCHER,
        "models_used": sorted(set(decided.values_list("match_model", flat=True))),
        "accept_threshold": policy.face_accept_threshold,
        "reject_threshold": policy.face_reject_threshold,
        "target_false_match_rate": settings.SHIMING_FACE_TARGET_FMR,
        "target_outright_reject_rate": settings.SHIMING_FACE_TARGET_FNMR_REJECT,
        "last_calibration_adopted": calibration.created_at.isoformat() if calibration else None,
        "outcomes_12_months": outcomes,
        "measured": latest_calibration(CalibrationRecord.Kind.FACE_MATCHER, matcher_class().KEY),
    }


def latest_calibration(kind: str, component: str) -> dict[str, Any] | None:
    """The latest stored calibration run of `component` (`manage.py face_calibrate --record`,
    `liveness_attacks --record`), JSON-ready; None when none was run on this installation."""
    record = CalibrationRecord.objects.filter(kind=kind, component=component).order_by("-recorded_at", "-pk").first()
    if record is None:
        return None
    return {
        "record": record.pk,
        "recorded_at": record.recorded_at.isoformat(),
        "version": record.version,
        "model_files": record.model_files,
        "dataset": record.dataset,
        "command": record.command,
        "figures": record.figures,
    }


def impact_assessment_facts(*, now: datetime | None = None) -> dict[str, Any]:
    """What an impact-assessment record states, measured now (JSON-ready; the record keeps it)."""
    now = now or timezone.now()
    policy = effective_policy()
    since = now - timedelta(days=365)
    sessions = VerificationSession.objects.filter(created_at__gte=since)
    return {
        "measured_at": now.isoformat(),
        "controller": settings.SHIMING_CONTROLLER_NAME,
        "contact": settings.SHIMING_CONTROLLER_CONTACT,
        "outlets": Outlet.objects.count(),
        "policy": {field: getattr(policy, field) for field in policy.__dataclass_fields__},
        "alternative": {
            "sessions_12_months": sessions.count(),
            "by_hand_12_months": sessions.filter(non_biometric=True).count(),
        },
        "matcher": _matcher_facts(policy, since),
        "liveness": {
            "steps": settings.SHIMING_LIVENESS_STEPS,
            "screen_light": policy.light_challenge,
            "failed_12_months": sessions.filter(liveness_passed=False).count(),
            "passed_12_months": sessions.filter(liveness_passed=True).count(),
            "attacks": latest_calibration(CalibrationRecord.Kind.LIVENESS_ATTACKS, "liveness"),
        },
        "filing": filing_facts(filing_status(now=now)),
        "people_erased": IdentityDocument.objects.filter(erased_at__isnull=False).count(),
    }


REPORTED_ACTIONS = {
    "purges": "evidence.purged",
    "exports": "subject.exported",
    "erasures": "subject.erased",
}


def processing_report(year: int, month: int) -> list[dict[str, Any]]:
    """One row per outlet for the month: verifications (a face was processed), alternatives (checked
    by hand), approvals, refusals, expiries, evidence purges, subject exports and erasures."""
    zone = timezone.get_current_timezone()
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    sessions = VerificationSession.objects.filter(created_at__gte=start, created_at__lt=end)
    events = AuditEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    rows = []
    for outlet in Outlet.objects.order_by("code"):
        mine = sessions.filter(outlet=outlet)
        row: dict[str, Any] = {
            "outlet": f"{outlet.code} {outlet.name}",
            "verifications": mine.filter(FACE_PROCESSED, non_biometric=False).count(),
            "alternatives": mine.filter(non_biometric=True).count(),
            "approved": mine.filter(state=S.APPROVED).count(),
            "rejected": mine.filter(state=S.REJECTED).count(),
            "expired": mine.filter(state=S.EXPIRED).count(),
        }
        for column, action in REPORTED_ACTIONS.items():
            row[column] = events.filter(outlet=outlet, action=action).count()
        rows.append(row)
    return rows
