"""The filing deadline's working days: China's public holidays and adjusted working weekends from
the calendar file, weekends only (and marked approximate) in a year the file does not cover."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from registration.working_days import (
    DEFAULT_CALENDAR,
    WorkingCalendar,
    add_working_days,
    load_calendar,
    working_calendar,
)

CALENDAR = load_calendar(DEFAULT_CALENDAR)


def test_the_shipped_calendar_covers_2025_and_2026_as_announced() -> None:
    assert CALENDAR.years == {2025, 2026}
    # Days off per the State Council's notices (weekend days inside a break included).
    assert sum(day.year == 2025 for day in CALENDAR.days_off) == 28
    assert sum(day.year == 2026 for day in CALENDAR.days_off) == 33
    assert sorted(CALENDAR.working_weekends)[:2] == [date(2025, 1, 26), date(2025, 2, 8)]
    assert len(CALENDAR.working_weekends) == 11


def test_a_holiday_is_no_working_day_and_an_adjusted_weekend_is_one() -> None:
    assert not CALENDAR.is_working_day(date(2025, 10, 8))  # Wednesday in the National Day break
    assert CALENDAR.is_working_day(date(2025, 9, 28))  # Sunday worked instead
    assert CALENDAR.is_working_day(date(2026, 2, 14))  # Saturday worked before Spring Festival
    assert not CALENDAR.is_working_day(date(2026, 2, 16))  # Monday of Spring Festival
    assert CALENDAR.is_working_day(date(2026, 3, 2))
    assert not CALENDAR.is_working_day(date(2026, 3, 1))


def test_thirty_working_days_across_national_day_2025() -> None:
    """From Friday 2025-09-26: Sunday 28 and Saturday 11 October are worked, 1-8 October are off.
    Working days: 28-30 Sep (3), 9-11 Oct (3), then from Monday 13 Oct four weeks of five (20)
    and Monday to Thursday (4): Thursday 13 November."""
    deadline = add_working_days(date(2025, 9, 26), 30, CALENDAR)
    assert (deadline.day, deadline.exact) == (date(2025, 11, 13), True)
    # Weekends alone would have given Friday 7 November.
    weekends_only = WorkingCalendar(CALENDAR.years, frozenset(), frozenset())
    assert add_working_days(date(2025, 9, 26), 30, weekends_only).day == date(2025, 11, 7)


def test_thirty_working_days_across_spring_festival_2026() -> None:
    """From Friday 2026-02-06: 9-13 Feb (5), Saturday 14 Feb worked (1), 15-23 off, 24-27 (4),
    Saturday 28 Feb worked (1), then 19 more from 2 March end on Thursday 26 March."""
    deadline = add_working_days(date(2026, 2, 6), 30, CALENDAR)
    assert (deadline.day, deadline.exact) == (date(2026, 3, 26), True)


def test_a_deadline_in_an_uncovered_year_is_approximate() -> None:
    deadline = add_working_days(date(2026, 12, 7), 30, CALENDAR)
    assert deadline.day == date(2027, 1, 18)  # weekends only in 2027
    assert (deadline.exact, deadline.uncovered_years) == (False, (2027,))
    assert add_working_days(date(2026, 12, 1), 1, CALENDAR).exact


def test_an_operator_extends_the_calendar_through_the_setting(tmp_path: Path, settings: Any) -> None:
    data = json.loads(DEFAULT_CALENDAR.read_text(encoding="utf-8"))
    data["years"]["2027"] = {"days_off": [["2027-01-01", "2027-01-01"]], "working_weekends": []}
    extended = tmp_path / "calendar.json"
    extended.write_text(json.dumps(data), encoding="utf-8")
    settings.SHIMING_WORKING_CALENDAR = str(extended)
    calendar = working_calendar()
    assert 2027 in calendar.years
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert add_working_days(date(2026, 12, 30), 2, calendar).day == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"days_off": [["2027-01-01", "2027-01-01"]], "working_weekends": ["2027-01-04"]}, "weekday"),
        ({"days_off": [["2028-01-01", "2028-01-01"]], "working_weekends": []}, "listed under 2027"),
        ({"days_off": [["2027-01-03", "2027-01-01"]], "working_weekends": []}, "ends before it starts"),
        ({"working_weekends": []}, "days_off"),
    ],
)
def test_a_wrong_calendar_is_refused_with_the_reason(tmp_path: Path, entry: dict[str, Any], says: str) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"years": {"2027": entry}}), encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match=says):
        load_calendar(path)


def test_every_listed_day_off_of_the_shipped_calendar_is_in_its_year() -> None:
    for day in CALENDAR.days_off | CALENDAR.working_weekends:
        assert day.year in CALENDAR.years
    assert all(day.weekday() >= 5 for day in CALENDAR.working_weekends)
    assert not CALENDAR.working_weekends & CALENDAR.days_off
