"""Working days in mainland China: Monday to Friday, less the statutory public holidays, plus the
weekend days worked instead (调休). Neither follows a formula (the State Council announces them
each year), so they are read from one data file, `registration/data/cn_working_calendar.json`
(or the file `SHIMING_WORKING_CALENDAR` names), which an operator extends when a year's notice is
published. A count that reaches into a year the file does not cover says so: it is approximate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_CALENDAR = Path(__file__).resolve().parent / "data" / "cn_working_calendar.json"


@dataclass(frozen=True)
class WorkingCalendar:
    """The years the calendar covers, their days off and their working weekend days."""

    years: frozenset[int]
    days_off: frozenset[date]
    working_weekends: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.days_off


@dataclass(frozen=True)
class WorkingDeadline:
    """The day `days` working days after a start, and whether every year counted is covered."""

    day: date
    exact: bool
    uncovered_years: tuple[int, ...]


def add_working_days(start: date, days: int, calendar: WorkingCalendar) -> WorkingDeadline:
    """The `days`-th working day after `start` (the start day itself is not counted). In a year the
    calendar does not cover only weekends are skipped, and the result is marked approximate."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        days -= calendar.is_working_day(current)
    counted = range((start + timedelta(days=1)).year, current.year + 1)
    uncovered = tuple(year for year in counted if year not in calendar.years)
    return WorkingDeadline(current, not uncovered, uncovered)


def _days(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    if end < start:
        raise ValueError(f"{first}..{last} ends before it starts")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def load_calendar(path: Path) -> WorkingCalendar:
    """Read and check a calendar file: every date in the year it is listed under, working weekend
    days on a Saturday or Sunday and never also a day off."""
    try:
        years = json.loads(path.read_text(encoding="utf-8"))["years"]
        days_off: set[date] = set()
        working: set[date] = set()
        for year, entry in years.items():
            listed_off = [day for first, last in entry["days_off"] for day in _days(first, last)]
            listed_working = [date.fromisoformat(day) for day in entry["working_weekends"]]
            wrong_year = [day for day in listed_off + listed_working if day.year != int(year)]
            if wrong_year:
                raise ValueError(f"{wrong_year[0]} is listed under {year}")
            weekday = [day for day in listed_working if day.weekday() < 5]
            if weekday or set(listed_working) & set(listed_off):
                raise ValueError(f"a working weekend day is a weekday or a day off in {year}")
            days_off.update(listed_off)
            working.update(listed_working)
        return WorkingCalendar(frozenset(int(year) for year in years), frozenset(days_off), frozenset(working))
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"the working-day calendar {path} cannot be used: {error}") from error


@cache
def _calendar_at(path: str) -> WorkingCalendar:
    return load_calendar(Path(path))


def working_calendar() -> WorkingCalendar:
    """The configured calendar (read once per file)."""
    return _calendar_at(str(getattr(settings, "SHIMING_WORKING_CALENDAR", "") or DEFAULT_CALENDAR))
