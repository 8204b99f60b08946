"""Staff roles, kept as Django groups."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.utils.translation import gettext_lazy as _

CLERK = "clerk"
SUPERVISOR = "supervisor"
ADMIN = "admin"
ALL_ROLES = (CLERK, SUPERVISOR, ADMIN)
# The groups are named by these codes (the code checks them); people read the labels.
ROLE_LABELS = {CLERK: _("Clerk"), SUPERVISOR: _("Supervisor"), ADMIN: _("Administrator")}


def role_label(name: str) -> str:
    """A role's name in the reader's language (a group that is not a role keeps its own name)."""
    return str(ROLE_LABELS.get(name, name))


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Group.objects.filter(user__pk=user.pk, name__in=roles).exists()


def is_supervisor(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, SUPERVISOR, ADMIN)
