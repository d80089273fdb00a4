"""Working-day arithmetic on the official calendar.

Times are written in Asia/Shanghai (as staff read them) and converted to UTC, the only zone the
engine accepts and returns, so the tests show that day boundaries are local.
"""

from datetime import UTC, date, datetime

import chinese_calendar
import pytest

from core.deadlines import calendar
from core.deadlines.calendar import (
    SHANGHAI,
    add_calendar_days,
    add_hours,
    add_working_days,
    is_working_day,
    is_year_covered,
    working_days_between,
)

needs_2026 = pytest.mark.skipif(
    not is_year_covered(2026), reason="installed chinesecalendar has no 2026 notice"
)


def sh(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Shanghai wall-clock time, as the UTC datetime the engine works with."""
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI).astimezone(UTC)


def end_of(y: int, m: int, d: int) -> datetime:
    """23:59:59.999999 Shanghai time on that day, in UTC."""
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SHANGHAI).astimezone(UTC)


# The 2025 National Day + Mid-Autumn holiday ran Oct 1-8; Sunday Sep 28 and Saturday Oct 11
# were adjusted working days. The 2026 Spring Festival ran Feb 15-23 with Saturdays Feb 14 and
# Feb 28 worked. Each row is checked against chinesecalendar itself, so a table typo or a
# package correction shows up here rather than as a wrong deadline.
WORKING_DAYS = [
    (date(2025, 9, 26), True),  # Friday
    (date(2025, 9, 27), False),  # Saturday
    (date(2025, 9, 28), True),  # Sunday, adjusted working day
    (date(2025, 9, 30), True),
    *[(date(2025, 10, d), False) for d in range(1, 9)],  # the holiday, weekdays included
    (date(2025, 10, 9), True),
    (date(2025, 10, 11), True),  # Saturday, adjusted working day
    (date(2025, 10, 12), False),
    pytest.param(date(2026, 2, 14), True, marks=needs_2026),  # Saturday, adjusted
    *[pytest.param(date(2026, 2, d), False, marks=needs_2026) for d in range(15, 24)],
    pytest.param(date(2026, 2, 24), True, marks=needs_2026),
    pytest.param(date(2026, 2, 28), True, marks=needs_2026),  # Saturday, adjusted
]


@pytest.mark.parametrize(("day", "expected"), WORKING_DAYS)
def test_is_working_day_follows_the_official_calendar(day: date, expected: bool) -> None:
    assert chinese_calendar.is_workday(day) is expected
    assert is_working_day(day) is expected


ADD_WORKING_DAYS = [
    # Sat 27th is off; Sun 28th (adjusted) is 1, Mon 29th 2, Tue 30th 3.
    (sh(2025, 9, 27, 10), 3, end_of(2025, 9, 30)),
    # The 4th working day after Sat 27th is the first day after the holiday.
    (sh(2025, 9, 27, 10), 4, end_of(2025, 10, 9)),
    (sh(2025, 9, 30, 9), 1, end_of(2025, 10, 9)),
    # Thu 9th, Fri 10th, Sat 11th (adjusted) ...
    (sh(2025, 9, 30, 9), 3, end_of(2025, 10, 11)),
    # ... and Sunday 12th is off again.
    (sh(2025, 9, 30, 9), 4, end_of(2025, 10, 13)),
    # Starting on a holiday: the next working day is the 9th.
    (sh(2025, 10, 1, 12), 1, end_of(2025, 10, 9)),
    # 0 days: the end of the start day.
    (sh(2025, 9, 30, 9), 0, end_of(2025, 9, 30)),
    # 06:00 Monday in Shanghai is 22:00 Sunday in UTC: the start day is Monday, so one
    # working day ends on Tuesday (counting from the UTC date would give Monday).
    (sh(2025, 9, 29, 6), 1, end_of(2025, 9, 30)),
    pytest.param(sh(2026, 2, 13, 9), 1, end_of(2026, 2, 14), marks=needs_2026),
    pytest.param(sh(2026, 2, 13, 9), 2, end_of(2026, 2, 24), marks=needs_2026),
    pytest.param(sh(2026, 2, 14, 9), 1, end_of(2026, 2, 24), marks=needs_2026),
]


@pytest.mark.parametrize(("start", "days", "expected"), ADD_WORKING_DAYS)
def test_add_working_days(start: datetime, days: int, expected: datetime) -> None:
    due = add_working_days(start, days)
    assert due == expected
    assert due.tzinfo is UTC
    assert working_days_between(start, due) == days


def test_the_utc_reading_would_differ() -> None:
    # Guard for the boundary row above: the same instant is a Sunday in UTC.
    start = sh(2025, 9, 29, 6)
    assert start.date() == date(2025, 9, 28)
    assert add_working_days(start, 1, tz=UTC).date() == date(2025, 9, 29)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # 72 hours are 72 hours: a weekend in between changes nothing.
        (sh(2025, 3, 7, 18), 72, sh(2025, 3, 10, 18)),
        # Nor does the National Day holiday.
        (sh(2025, 9, 30, 18), 72, sh(2025, 10, 3, 18)),
    ],
)
def test_add_hours_ignores_weekends_and_holidays(
    start: datetime, hours: int, expected: datetime
) -> None:
    assert add_hours(start, hours) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (sh(2025, 9, 30, 10), 30, end_of(2025, 10, 30)),
        (sh(2025, 3, 3, 10), 30, end_of(2025, 4, 2)),
        # 00:30 on Feb 1 in Shanghai is still Jan 31 in UTC; the local day counts.
        (sh(2025, 2, 1, 0, 30), 1, end_of(2025, 2, 2)),
    ],
)
def test_add_calendar_days(start: datetime, days: int, expected: datetime) -> None:
    assert add_calendar_days(start, days) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (sh(2025, 9, 27, 10), sh(2025, 9, 30, 8), 3),
        (sh(2025, 9, 30, 8), sh(2025, 9, 30, 23), 0),
        (sh(2025, 9, 30, 8), sh(2025, 10, 9, 8), 1),
        (sh(2025, 9, 30, 8), sh(2025, 9, 27, 10), -3),
    ],
)
def test_working_days_between(a: datetime, b: datetime, expected: int) -> None:
    assert working_days_between(a, b) == expected


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        add_working_days(datetime(2025, 9, 27, 10), 1)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        add_calendar_days(sh(2025, 9, 27), -1)
    with pytest.raises(ValueError):
        add_hours(sh(2025, 9, 27), -1)


def test_unknown_year_falls_back_to_monday_to_friday_and_warns_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar, "_warned_years", set())
    assert is_year_covered(2025)
    assert not is_year_covered(2099)
    with caplog.at_level("WARNING", logger=calendar.__name__):
        # 2099-01-01 is a Thursday: a working day by the fallback (it would be a holiday).
        assert is_working_day(date(2099, 1, 1))
        assert not is_working_day(date(2099, 1, 3))  # Saturday
        assert add_working_days(sh(2099, 1, 2, 9), 1) == end_of(2099, 1, 5)
    warnings = [r for r in caplog.records if "2099" in r.getMessage()]
    assert len(warnings) == 1


def test_package_range_starts_in_2004() -> None:
    assert is_year_covered(2004)
    assert not is_year_covered(2003)
