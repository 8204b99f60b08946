"""Create the demo outlet and staff users for the embedded `make run` default."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from registration.models import Outlet, StaffProfile
from registration.roles import ADMIN, CLERK, SUPERVISOR

DEMO_PASSWORD = "shiming-demo"  # noqa: S105 - printed to the user; the demo runs on localhost only
DEMO_USERS = (("clerk", CLERK, False), ("supervisor", SUPERVISOR, True), ("admin", ADMIN, True))


class Command(BaseCommand):
    help = "Create the demo outlet and the clerk, supervisor and admin users (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        outlet, _ = Outlet.objects.get_or_create(
            code="DEMO01", defaults={"name": "演示营业厅 Demo outlet", "address": "1 Demo Road"}
        )
        user_model = get_user_model()
        for username, role, is_staff in DEMO_USERS:
            user, created = user_model.objects.get_or_create(username=username)
            if created:
                user.set_password(DEMO_PASSWORD)
            user.is_staff = is_staff
            user.is_superuser = role == ADMIN
            user.save()
            user.groups.add(Group.objects.get(name=role))
            StaffProfile.objects.get_or_create(user=user, defaults={"outlet": outlet})
        self.stdout.write(f"demo outlet {outlet.code}; users clerk / supervisor / admin, password {DEMO_PASSWORD}")
