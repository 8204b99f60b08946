"""Who sees which admin rows: supervisors by role, each outlet its own (admins every outlet)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from .roles import ADMIN, has_role, is_supervisor
from .selectors import staff_outlet


class SupervisorReadMixin:
    """Read-only pages that supervisors and admins see by role, not by per-model permissions;
    changes go through the services (actions), never through the admin's forms."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_supervisor(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_supervisor(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def sees_every_outlet(user: Any) -> bool:
    """Admins (and superusers) work across outlets; everyone else sees their own outlet only."""
    return bool(user.is_superuser) or has_role(user, ADMIN)


class OutletScopedMixin:
    """Staff see their own outlet's rows (changelist, search, actions, detail pages); admins see every
    outlet. `outlet_field` is the lookup from the row to its outlet."""

    outlet_field = "outlet"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if sees_every_outlet(request.user):
            return queryset
        outlet = staff_outlet(request.user)
        if outlet is None:
            return queryset.none()
        return queryset.filter(**{self.outlet_field: outlet}).distinct()
