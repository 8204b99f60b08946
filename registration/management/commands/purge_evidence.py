"""Delete the evidence whose retention period has run out (the Celery beat job does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from registration.services import evidence_purge, sessions_expire_stale


class Command(BaseCommand):
    help = "Expire stale sessions and delete evidence past its retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = sessions_expire_stale()
        purged = evidence_purge()
        self.stdout.write(f"sessions expired: {expired}; evidence rows purged: {purged}")
