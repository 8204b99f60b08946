"""The staff accounts in the admin: their outlet and roles, and the end of a user's access.

A user's access ends at once when it is taken away here (deactivation, a new password, another
outlet, or the revoke action): API tokens deleted, open screens closed (`services.access_revoke`;
the tokens would fail on their own after a password or outlet change).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_i18n import translated_choice_fields
from .models import StaffProfile
from .roles import role_label


class StaffProfileInline(admin.StackedInline):  # type: ignore[type-arg]
    model = StaffProfile
    can_delete = False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "is_active", "outlet", "roles"]
    list_filter = ["is_active", "groups", "staff_profile__outlet"]
    actions = ["revoke_access"]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return translated_choice_fields(db_field, super().formfield_for_manytomany(db_field, request, **kwargs))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.access_revoke(user=obj, reason="deactivated")

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        moved = change and any("outlet" in inline.changed_data for inline in formset.forms)
        super().save_formset(request, form, formset, change)
        if moved:
            services.access_revoke(user=form.instance, reason="outlet_changed")

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            services.access_revoke(user=get_object_or_404(User, pk=id), reason="password_changed")
        return response

    @admin.action(description=_("Revoke API tokens and close open screens"))
    def revoke_access(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            services.access_revoke(user=user, reason="revoked_by_admin")

    @admin.display(description=_("outlet"))
    def outlet(self, user: Any) -> str:
        profile = getattr(user, "staff_profile", None)
        return profile.outlet.code if profile else "-"

    @admin.display(description=_("roles"))
    def roles(self, user: Any) -> str:
        return ", ".join(role_label(name) for name in user.groups.values_list("name", flat=True))


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """The roles (Django groups named by code), shown by their labels with translated permissions."""

    list_display = ["role"]

    @admin.display(description=_("name"), ordering="name")
    def role(self, group: Group) -> str:
        return role_label(group.name)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest | None = None, **kwargs: Any) -> Any:
        return translated_choice_fields(db_field, super().formfield_for_manytomany(db_field, request, **kwargs))
