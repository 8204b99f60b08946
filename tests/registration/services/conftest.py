"""The services' clock for the retention tests: `django.utils.timezone.now` patched to a clock the
test moves (the services, the models' auto_now fields and the sweeps all read it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from unittest import mock

import pytest
from django.utils import timezone


class Clock:
    """Stands in for `timezone.now`; the test sets or advances `now`."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    ticking = Clock(timezone.now().replace(microsecond=0))
    with mock.patch("django.utils.timezone.now", ticking):
        yield ticking
