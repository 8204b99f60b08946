"""The admin: sessions, the manual-review queue, outlets and staff, and the read-only audit log.

Actions go through the services, so an admin decision is checked and audited like an API call.
Evidence is shown only to supervisors and admins, and every view of it is audited.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_scoping import OutletScopedMixin, SupervisorReadMixin, sees_every_outlet
from .audit_words import audit_action_label, audit_details_html, audit_value
from .errors import DomainError
from .models import (
    AuditEvent,
    ConsentText,
    EvidenceKind,
    IdentityDocument,
    ManualReviewSession,
    Outlet,
    SubscriberStatus,
    VerificationPolicy,
    VerificationSession,
)
from .roles import is_supervisor
from .selectors import consent_text_used, evidence_of_kind
from .state_machine import SessionState
from .verification_policy import EffectivePolicy, effective_policy


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "address"]
    search_fields = ["code", "name"]


admin.site.site_header = _("Shiming administration")
admin.site.site_title = _("Shiming administration")
admin.site.index_title = _("Registrations, reviews and policy")
# At tablet width the queue needs the whole screen: no model sidebar beside the tables.
admin.site.enable_nav_sidebar = False
# The front page shows the filing threshold and links to the compliance pack (admin_compliance.py).
admin.site.index_template = "admin/compliance/index.html"
# Evidence the admin never shows: the trace is no image; the whole document page is for the
# supervisor deciding the case, on its review page (frontend/document_check.py), nowhere else.
NOT_SHOWN_HERE = frozenset({EvidenceKind.LIVENESS_TRACE, EvidenceKind.DOCUMENT_PHOTO})


class SessionAdminBase(OutletScopedMixin, SupervisorReadMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "id",
        "state",
        "outlet",
        "subscriber_name",
        "phone_number",
        "created_at",
        "match_distance",
        "decision",
    ]
    # The outlet filter lists the outlets of the rows the user may see: a supervisor's own only.
    list_filter = [
        "state",
        ("outlet", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
        "non_biometric",
    ]
    search_fields = ["subscriber__phone_number"]
    list_select_related = ["outlet", "subscriber"]
    readonly_fields = [
        "attempt_plan" if f.name == "challenge_plan" else f.name for f in VerificationSession._meta.fields
    ] + ["evidence_links"]
    exclude = ["challenge_nonce", "challenge_plan", "chip_nonce", "chip_nonce_expires_at"]

    @admin.display(description=_("subscriber"))
    def subscriber_name(self, session: VerificationSession) -> str:
        return session.subscriber.full_name

    @admin.display(description=_("phone number"))
    def phone_number(self, session: VerificationSession) -> str:
        return session.subscriber.phone_number

    @admin.display(description=_("challenge plan"))
    def attempt_plan(self, session: VerificationSession) -> str:
        """The last attempt's steps once it has ended; never while it runs (each step is revealed
        only by its prompt, to the customer, so nobody can fit footage to the plan in advance)."""
        if session.state == SessionState.LIVENESS_RUNNING:
            return str(_("shown when the attempt ends"))
        return ", ".join(session.challenge_plan) or "-"

    @admin.display(description=_("evidence"))
    def evidence_links(self, session: VerificationSession) -> str:
        kinds = list(session.evidence.values_list("kind", flat=True))
        if not kinds:
            return str(_("none stored (purged or not captured)"))
        links = [
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:registration_evidence_view", args=[session.pk, kind]),
                EvidenceKind(kind).label,
            )
            for kind in kinds
            if kind not in NOT_SHOWN_HERE
        ]
        return format_html(" · ".join(["{}"] * len(links)), *links) if links else str(_("trace only"))

    def get_urls(self) -> list[Any]:
        custom = [
            path(
                "<uuid:session_id>/evidence/<str:kind>/",
                self.admin_site.admin_view(self.evidence_view),
                name="registration_evidence_view",
            ),
        ]
        return custom + super().get_urls()

    def evidence_view(self, request: HttpRequest, session_id: str, kind: str) -> HttpResponse:
        """Show one evidence image to a supervisor or admin; the view is audited."""
        if not is_supervisor(request.user):
            return HttpResponseForbidden(_("Only supervisors and admins may see evidence."))
        session = get_object_or_404(self.get_queryset(request), pk=session_id)
        evidence = None if kind in NOT_SHOWN_HERE else evidence_of_kind(session, kind)
        if evidence is None:
            raise Http404("No such evidence.")
        if evidence.content_type != "image/jpeg":
            return HttpResponseForbidden(_("Only images can be shown."))
        content = services.evidence_read(evidence=evidence, actor=request.user, purpose="admin_review")
        encoded = base64.b64encode(content).decode()
        return HttpResponse(
            format_html(
                '<!doctype html><title>{}</title><img alt="{}" src="data:image/jpeg;base64,{}">', kind, kind, encoded
            )
        )


@admin.register(VerificationSession)
class VerificationSessionAdmin(SessionAdminBase):
    pass


@admin.register(ManualReviewSession)
class ManualReviewAdmin(SessionAdminBase):
    """The queue; each case is decided on its review page (photos, distance, a required reason),
    one at a time, never by a bulk action."""

    actions = None
    list_display = [
        "review_link",
        "outlet",
        "subscriber_name",
        "phone_number",
        "created_at",
        "review_escalated_at",
        "match_distance",
    ]
    list_display_links = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(state=SessionState.MANUAL_REVIEW).order_by("created_at")

    @admin.display(description=_("Case"))
    def review_link(self, session: VerificationSession) -> str:
        return format_html('<a href="{}">{}</a>', reverse("frontend:review-case", args=[session.pk]), _("Review"))


@admin.register(AuditEvent)
class AuditEventAdmin(OutletScopedMixin, SupervisorReadMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created_at", "actor_label", "action_words", "object_kind", "object_id", "outlet"]
    list_filter = [("outlet", admin.RelatedOnlyFieldListFilter), ("created_at", admin.DateFieldListFilter)]
    search_fields = ["object_id", "actor_label", "action"]
    readonly_fields = [
        "created_at",
        "actor",
        "actor_label",
        "action_words",
        "object_kind",
        "object_id",
        "outlet",
        "details_words",
    ]
    exclude = ["action", "object_type", "details"]

    @admin.display(description=_("action"), ordering="action")
    def action_words(self, event: AuditEvent) -> str:
        return audit_action_label(event.action)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_kind(self, event: AuditEvent) -> str:
        app_label, _dot, model_name = event.object_type.partition(".")
        try:
            return str(apps.get_model(app_label, model_name)._meta.verbose_name)
        except (LookupError, ValueError):
            return event.object_type

    @admin.display(description=_("details"))
    def details_words(self, event: AuditEvent) -> str:
        return audit_details_html(event.details)


class LanguageFilter(admin.SimpleListFilter):
    """A text's language by its name ("English"), not its code ("zh-hans")."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(code, str(name)) for code, name in settings.LANGUAGES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(language=self.value()) if self.value() else queryset


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A text customers agreed to is read-only here (publish a new version); every save is audited."""

    list_display = ["kind", "version", "language_name", "title", "is_current", "published_at"]
    list_filter = ["kind", LanguageFilter, "is_current"]

    @admin.display(description=_("language"), ordering="language")
    def language_name(self, text: ConsentText) -> str:
        return audit_value(text.language)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and consent_text_used(obj):
            return [*services.CONSENT_TEXT_CONTENT, "published_at"]
        return ["published_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and consent_text_used(obj))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.consent_text_save(actor=request.user, text=obj, changed=list(form.changed_data), created=not change)


@admin.register(VerificationPolicy)
class VerificationPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Thresholds and retention; an empty field falls back to the environment's setting."""

    list_display = [
        "__str__",
        "face_matcher_in_use",
        "face_accept_threshold",
        "face_reject_threshold",
        "evidence_retention_hours",
        "updated_at",
    ]
    readonly_fields = ["face_matcher_in_use"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and not VerificationPolicy.objects.exists()

    @admin.display(description=_("face matcher in use"))
    def face_matcher_in_use(self, obj: Any = None) -> str:
        """The matcher, its score's direction, the thresholds in force and whether an override is not applied."""
        return face_matcher_summary(effective_policy())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return type(form_class.__name__, (_PolicyForm, form_class), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The service wrote the policy while the form was validated (see _PolicyForm.clean).
        obj.pk = form.saved_policy.pk


class _PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    """Saves through `services.policy_update` from `clean()`, so a refusal becomes a form error:
    the admin shows the page again with the error, writes nothing and shows no success message.
    (Saving in `save_model` is too late: the admin has already decided the save succeeded.)"""

    actor: Any
    saved_policy: VerificationPolicy

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        values = {field: cleaned[field] for field in self.changed_data if field in cleaned}
        try:
            self.saved_policy = services.policy_update(actor=self.actor, values=values)
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return cleaned


@admin.action(description=_("Export the selected people's data (JSON)"))
def export_subjects(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:  # type: ignore[type-arg]
    try:
        exports = [services.subject_export(actor=request.user, identity=identity) for identity in queryset]
    except DomainError as exc:
        modeladmin.message_user(request, exc.message, level=messages.ERROR)
        return None
    response = HttpResponse(json.dumps(exports, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="subject-export.json"'
    return response


@admin.action(description=_("Erase the selected people's data (evidence now; records where no number is active)"))
def erase_subjects(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:  # type: ignore[type-arg]
    for identity in queryset:
        try:
            result = services.subject_erase(actor=request.user, identity=identity)
        except DomainError as exc:
            modeladmin.message_user(request, exc.message, level=messages.ERROR)
            return
        modeladmin.message_user(request, f"{identity}: {result}", level=messages.SUCCESS)


@admin.action(description=_("End the service of the selected people's active numbers (the keep period starts)"))
def end_service(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:  # type: ignore[type-arg]
    for identity in queryset:
        for subscriber_id in identity.subscribers.filter(status=SubscriberStatus.ACTIVE).values_list("pk", flat=True):
            try:
                services.subscriber_end_service(actor=request.user, subscriber_id=subscriber_id)
            except DomainError as exc:
                modeladmin.message_user(request, exc.message, level=messages.ERROR)
                return
    modeladmin.message_user(request, _("Service ended."), level=messages.SUCCESS)


@admin.register(IdentityDocument)
class DataSubjectAdmin(OutletScopedMixin, SupervisorReadMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Data subjects by ID document: a supervisor sees the people of their outlet (masked numbers);
    export and erasure span every outlet and are an admin's (the services check the role)."""

    outlet_field = "subscribers__outlet"

    list_display = ["__str__", "document_type", "number_masked", "created_at"]
    list_filter = ["document_type"]
    search_fields = ["subscribers__phone_number"]
    fields = ["document_type", "number_masked", "birth_date", "created_at"]
    readonly_fields = ["document_type", "number_masked", "birth_date", "created_at"]
    actions = [export_subjects, erase_subjects, end_service]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return super().get_actions(request) if sees_every_outlet(request.user) else {}


def face_matcher_summary(policy: EffectivePolicy) -> str:
    """One paragraph for the policy page: which matcher decides, in what unit, with which thresholds."""
    if policy.face_higher_is_closer:
        text = gettext(
            "%(matcher)s: cosine similarity, higher is closer. Approve at or above %(accept).4f, reject "
            "below %(reject).4f (%(origin)s)."
        )
    else:
        text = gettext(
            "%(matcher)s: distance, lower is closer. Approve at or below %(accept).4f, reject above "
            "%(reject).4f (%(origin)s)."
        )
    origin = (
        gettext("set by an admin for this matcher") if policy.face_thresholds_from == "admin" else gettext("calibrated")
    )
    summary = text % {
        "matcher": policy.face_matcher,
        "accept": policy.face_accept_threshold,
        "reject": policy.face_reject_threshold,
        "origin": origin,
    }
    if policy.face_override_ignored_for:
        summary += " " + gettext(
            "The thresholds stored below were set for the %(other)s matcher and are not applied: a score "
            "of one model means nothing to another. Enter them again to override them for %(matcher)s."
        ) % {"other": policy.face_override_ignored_for, "matcher": policy.face_matcher}
    return summary


# The compliance pack's, the card readers' and the staff accounts' admin pages register themselves
# on import (this module's size).
from . import admin_compliance, admin_readers, admin_users  # noqa: E402, F401
