"""Recording the compliance pack's facts: a new version of the impact assessment (admins only,
audited, kept at least three years) and the day the filing threshold was first crossed."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from registration.audit import audit
from registration.compliance import FILING_CROSSED, filing_status, impact_assessment_facts
from registration.errors import Forbidden
from registration.models import AuditEvent, ImpactAssessment
from registration.roles import ADMIN, has_role

from .transitions import User

# PIPL art. 56 and the 2025 Measures: the assessment report is kept at least three years.
ASSESSMENT_KEPT = timedelta(days=3 * 365 + 1)


def impact_assessment_record(*, actor: User | None) -> ImpactAssessment:
    """Record the impact assessment as the product measures it now, as the next version."""
    if actor is not None and not has_role(actor, ADMIN):
        raise Forbidden("Only an admin can record the impact assessment.", code="admin_required")
    now = timezone.now()
    facts = impact_assessment_facts(now=now)
    with transaction.atomic():
        # The latest version's row is locked, so two admins recording at once take turns (the first
        # version is guarded by the unique version number).
        latest = ImpactAssessment.objects.select_for_update().order_by("-version").first()
        record = ImpactAssessment.objects.create(
            version=(latest.version if latest else 0) + 1,
            recorded_by_id=actor.pk if actor is not None and actor.is_authenticated else None,
            keep_until=now + ASSESSMENT_KEPT,
            facts=facts,
        )
        audit(actor=actor, action="impact_assessment.recorded", target=record, details={"version": record.version})
    return record


def filing_threshold_check(*, now: datetime | None = None) -> bool:
    """Audit, once, the day the people whose face information is held first reach the filing
    threshold: the 30 working days to file run from it. Returns whether it was recorded now."""
    status = filing_status(now=now)
    if status.level != "crossed" or status.crossed_on is not None:
        return False
    with transaction.atomic():
        if AuditEvent.objects.select_for_update().filter(action=FILING_CROSSED).exists():
            return False
        audit(
            actor=None,
            action=FILING_CROSSED,
            object_type="registration.compliance",
            object_id="filing",
            details={"held_now": status.held_now, "last_12_months": status.last_12_months},
        )
    return True
