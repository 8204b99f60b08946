"""The compliance pack in the admin: the impact-assessment records (read-only, never deleted before
they may be), their printable page, the printable counter notice and the monthly processing report,
each in the admin's language or the one asked for (`?lang=en`, `?lang=zh-hans`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import services
from .calibration_records import CalibrationRecord
from .compliance import data_items, filing_status, processing_report
from .models import ImpactAssessment
from .roles import ADMIN, has_role, is_supervisor
from .verification_policy import EffectivePolicy, effective_policy

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def _policy_as_recorded(facts: dict[str, Any]) -> EffectivePolicy:
    """The policy a record states, over today's for any field it predates."""
    known = {field.name for field in dataclasses.fields(EffectivePolicy)}
    return dataclasses.replace(effective_policy(), **{k: v for k, v in facts.get("policy", {}).items() if k in known})


def _printable(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    language = request.GET.get("lang", "")
    with translation.override(language if language in LANGUAGE_CODES else translation.get_language()):
        response = TemplateResponse(request, template, {**context, "languages": settings.LANGUAGES})
        return response.render()


def _month_asked(text: str) -> tuple[int, int]:
    """`YYYY-MM` from the query, else the current month."""
    year, _dash, month = text.partition("-")
    if year.isdigit() and month.isdigit() and 2000 <= int(year) <= 2100 and 1 <= int(month) <= 12:
        return int(year), int(month)
    today = timezone.localdate()
    return today.year, today.month


class AdminReadOnlyRecord:
    """A record the product writes and nobody edits: shown to admins only, never added, changed or
    deleted here (the impact assessment's versions, the calibration runs)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, ADMIN)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, ADMIN)


@admin.register(ImpactAssessment)
class ImpactAssessmentAdmin(AdminReadOnlyRecord, admin.ModelAdmin):  # type: ignore[type-arg]
    """Versions of the impact assessment: recorded by the product's own figures, never edited."""

    list_display = ["version", "recorded_at", "recorded_by", "keep_until", "print_link"]
    readonly_fields = ["version", "recorded_at", "recorded_by", "keep_until", "facts"]

    @admin.display(description=_("printable page"))
    def print_link(self, record: ImpactAssessment) -> str:
        url = reverse("admin:registration_impact_assessment_print", args=[record.pk])
        return format_html('<a href="{}">{}</a> · <a href="{}?lang=en">English</a>', url, _("print"), url)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("record/", view(self.record_view), name="registration_impact_assessment_record"),
            path("<int:pk>/print/", view(self.print_view), name="registration_impact_assessment_print"),
            path("notice/", view(self.notice_view), name="registration_counter_notice"),
            path("report/", view(self.report_view), name="registration_processing_report"),
            *super().get_urls(),
        ]

    def record_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not has_role(request.user, ADMIN):
            return HttpResponseForbidden(_("Only an admin can record the impact assessment."))
        record = services.impact_assessment_record(actor=request.user)
        return redirect("admin:registration_impact_assessment_print", record.pk)

    def print_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not has_role(request.user, ADMIN):
            return HttpResponseForbidden(_("Only an admin can record the impact assessment."))
        record = get_object_or_404(ImpactAssessment, pk=pk)
        policy = _policy_as_recorded(record.facts)
        with translation.override(request.GET.get("lang") or translation.get_language()):
            items = data_items(policy)
        context = {"record": record, "facts": record.facts, "policy": policy, "items": items}
        return _printable(request, "admin/compliance/impact_assessment.html", context)

    def notice_view(self, request: HttpRequest) -> HttpResponse:
        if not is_supervisor(request.user):
            return HttpResponseForbidden(_("Only supervisors and admins may print the notice."))
        policy = effective_policy()
        with translation.override(request.GET.get("lang") or translation.get_language()):
            items = data_items(policy)
        context = {"policy": policy, "items": items, "controller": settings.SHIMING_CONTROLLER_NAME}
        context["contact"] = settings.SHIMING_CONTROLLER_CONTACT
        return _printable(request, "admin/compliance/counter_notice.html", context)

    def report_view(self, request: HttpRequest) -> HttpResponse:
        if not has_role(request.user, ADMIN):
            return HttpResponseForbidden(_("Only an admin can see the processing report."))
        year, month = _month_asked(request.GET.get("month", ""))
        rows = processing_report(year, month)
        totals = {key: sum(row[key] for row in rows) for key in (rows[0] if rows else {}) if key != "outlet"}
        context = {"rows": rows, "totals": totals, "month": f"{year}-{month:02d}", "filing": filing_status()}
        return _printable(request, "admin/compliance/processing_report.html", context)


@admin.register(CalibrationRecord)
class CalibrationRecordAdmin(AdminReadOnlyRecord, admin.ModelAdmin):  # type: ignore[type-arg]
    """Stored measuring runs (`face_calibrate --record`, `liveness_attacks --record`): read-only."""

    list_display = ["recorded_at", "kind", "component", "version"]
    list_filter = ["kind", "component"]
    readonly_fields = ["kind", "recorded_at", "component", "version", "model_files", "dataset", "command", "figures"]
