"""Staff roles, kept as Django groups."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

CLERK = "clerk"
SUPERVISOR = "supervisor"
ADMIN = "admin"
ALL_ROLES = (CLERK, SUPERVISOR, ADMIN)


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return user.groups.filter(name__in=roles).exists()  # type: ignore[union-attr]


def is_supervisor(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, SUPERVISOR, ADMIN)
