"""Staff roles, kept as Django groups."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group

CLERK = "clerk"
SUPERVISOR = "supervisor"
ADMIN = "admin"
ALL_ROLES = (CLERK, SUPERVISOR, ADMIN)


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Group.objects.filter(user__pk=user.pk, name__in=roles).exists()


def is_supervisor(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, SUPERVISOR, ADMIN)
