"""A data subject's rights: export everything held about a person, or erase it (both audited)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registration import services
from registration.documents import DocumentType
from registration.errors import DomainError


class Command(BaseCommand):
    help = "Export (JSON on stdout) or erase the data held about the holder of one ID document."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("document_number")
        parser.add_argument("--document-type", default=DocumentType.PRC_ID_CARD, choices=DocumentType.values)
        parser.add_argument("--yes", action="store_true", help="erase without asking")

    def handle(self, *args: Any, **options: Any) -> None:
        kind, number = options["document_type"], options["document_number"]
        try:
            identity = services.subject_find(document_type=kind, document_number=number)
            if options["action"] == "export":
                data = services.subject_export(actor=None, identity=identity)
                self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
                return
            if not options["yes"] and input("Erase this person's data? Type 'erase': ").strip() != "erase":
                raise CommandError("nothing erased")
            result = services.subject_erase(actor=None, identity=identity)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"evidence deleted: {result['evidence_deleted']}; subscribers erased: {result['subscribers_erased']}; "
            f"kept (active numbers, required by the real-name rules): {result['subscribers_kept_active']}"
        )
