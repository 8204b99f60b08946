"""The card readers in the admin: enrolled (by the public key their agent printed) and revoked
through the services, audited; every chip read they sent, accepted or refused with the reason."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_scoping import OutletScopedMixin, SupervisorReadMixin
from .error_messages import error_message
from .models import CardReader, ChipRead, ChipRegistration


@admin.action(description=_("Revoke the selected card readers"))
def revoke_readers(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    for reader in queryset:
        services.card_reader_revoke(actor=request.user, reader=reader)


@admin.register(CardReader)
class CardReaderAdmin(OutletScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Readers are enrolled (by the public key their agent printed) and revoked, never edited."""

    list_display = ["name", "outlet", "id", "enrolled_at", "revoked_at"]
    list_filter = ["outlet", ("revoked_at", admin.EmptyFieldListFilter)]
    fields = ["outlet", "name", "public_key", "id", "enrolled_at", "revoked_at"]
    actions = [revoke_readers]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["id", "enrolled_at", "revoked_at"] + (["outlet", "name", "public_key"] if obj else [])

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:  # a reader with reads cannot be deleted (protected): revoke it instead
            saved = services.card_reader_enroll(
                actor=request.user, outlet=obj.outlet, name=obj.name, public_key=obj.public_key
            )
            obj.pk = saved.pk


@admin.register(ChipRead)
class ChipReadAdmin(OutletScopedMixin, SupervisorReadMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Every chip read a reader sent, accepted or refused with the reason."""

    outlet_field = "reader__outlet"
    list_display = readonly_fields = (
        "received_at",
        "reader",
        "session",
        "accepted",
        "refusal_reason",
        "refusal_words",
        "number_masked",
    )
    list_filter = ["accepted", "refusal_reason", "reader"]

    @admin.display(description=_("refusal, in words"))
    def refusal_words(self, obj: ChipRead) -> str:
        return error_message(obj.refusal_reason, fallback=obj.refusal_reason) if obj.refusal_reason else ""


@admin.register(ChipRegistration)
class ChipRegistrationAdmin(OutletScopedMixin, SupervisorReadMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The registration page's chip reads: which opened a registration, which did not and why (the
    phone number and the nonce are not shown)."""

    list_display = readonly_fields = (
        "created_at",
        "outlet",
        "clerk",
        "id",
        "outcome",
        "outcome_words",
        "reader_reason",
        "expires_at",
    )
    fields = readonly_fields
    list_filter = ["outcome", "outlet"]

    @admin.display(description=_("outcome, in words"))
    def outcome_words(self, obj: ChipRegistration) -> str:
        if obj.outcome == "registered":
            return str(_("The chip read opened the registration."))
        return error_message(obj.outcome, fallback=obj.outcome) if obj.outcome else str(_("Waiting for the reader."))
