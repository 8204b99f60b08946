"""Re-encrypt stored evidence and ID numbers with the current (first) key of SHIMING_EVIDENCE_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from registration.services import evidence_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every evidence row and ID number under the current evidence key (after putting a new key first)."

    def handle(self, *args: Any, **options: Any) -> None:
        evidence, documents = evidence_reencrypt()
        self.stdout.write(f"re-encrypted {evidence} evidence row(s) and {documents} ID number(s)")
