"""`python manage.py reader_agent keygen|run ...`: the outlet's card-reader agent (``registration.reader_agent``).

On an outlet PC without the project's settings, run the same agent as ``python -m registration.reader_agent``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from registration.reader_agent import main


class Command(BaseCommand):
    help = "The outlet's card-reader agent: keygen, or run (poll the server, answer with signed chip reads)."

    def run_from_argv(self, argv: list[str]) -> None:
        sys.exit(main(argv[2:]))

    def handle(self, *args: Any, **options: Any) -> None:
        main([])
