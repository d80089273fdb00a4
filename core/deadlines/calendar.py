"""Working-day arithmetic on the Chinese official calendar.

Every function takes and returns timezone-aware datetimes (returned in UTC). Day boundaries
(which day a moment falls on, where a day ends) are computed in a local zone, Asia/Shanghai
unless told otherwise, because a deadline "by the 30th" means the 30th in China, not in UTC.

Which days are working days comes from the ``chinesecalendar`` package, which knows the
State Council's holiday notices including the adjusted working days (调休), e.g. Sunday
2025-09-28 and Saturday 2025-10-11 around the 2025 National Day holiday.

Years the package does not know (it covers 2004 to the year of its latest release, and the
State Council publishes each year's notice only in the November before): we fall back to
Monday–Friday and log a warning once per year, rather than raising. A raise would stop every
deadline of every case near a year end until the package is upgraded; a Mon–Fri guess is
wrong only on that year's holidays and adjusted days. Call :func:`is_year_covered` from a
health check to surface the need to upgrade before the year turns.

Day-unit deadlines end at the end of a local day (23:59:59.999999): a deadline of N days
after a moment ends at the end of the Nth day after the day of that moment; the start day
itself is not counted, as in the civil-procedure rule 期间开始的时和日，不计算在期间内.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "SHANGHAI",
    "add_calendar_days",
    "add_hours",
    "add_working_days",
    "end_of_day",
    "is_working_day",
    "is_year_covered",
    "local_date",
    "to_utc",
    "working_days_between",
]

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
_END_OF_DAY = time(23, 59, 59, 999999)

# Years for which the Mon–Fri fallback has already been logged, so a cron that runs every
# minute does not flood the log.
_warned_years: set[int] = set()


def to_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; raise ``ValueError`` if it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: deadlines need timezone-aware datetimes")
    return moment.astimezone(UTC)


def local_date(moment: datetime, tz: tzinfo = SHANGHAI) -> date:
    """The calendar date on which ``moment`` falls in zone ``tz``."""
    return to_utc(moment).astimezone(tz).date()


def end_of_day(day: date, tz: tzinfo = SHANGHAI) -> datetime:
    """The last representable moment (23:59:59.999999 local) of ``day`` in ``tz``, in UTC."""
    return datetime.combine(day, _END_OF_DAY, tzinfo=tz).astimezone(UTC)


@cache
def is_year_covered(year: int) -> bool:
    """True if ``chinesecalendar`` has the official holiday notice for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


# chinesecalendar scans its whole holiday table on every call (~30 µs); a deadline walks
# dozens of days and a nightly run covers every open case, so remember the answers.
@lru_cache(maxsize=8192)
def _official_workday(day: date) -> bool:
    return bool(chinese_calendar.is_workday(day))


def is_working_day(day: date) -> bool:
    """True if ``day`` is an official working day in mainland China.

    Includes adjusted working weekends (调休上班) and excludes public holidays. For a year the
    package does not cover, falls back to Monday–Friday and logs a warning once per year.
    """
    if is_year_covered(day.year):
        return _official_workday(day)
    if day.year not in _warned_years:
        _warned_years.add(day.year)
        log.warning(
            "chinesecalendar %s has no holiday data for %d; counting Monday-Friday as working "
            "days. Upgrade chinesecalendar once the State Council publishes that year's notice.",
            getattr(chinese_calendar, "__version__", "?"),
            day.year,
        )
    return day.weekday() < 5


def _check_non_negative(days: float, what: str) -> None:
    if days < 0:
        raise ValueError(f"{what} must not be negative, got {days}")


def add_working_days(start: datetime, days: int, tz: tzinfo = SHANGHAI) -> datetime:
    """End (23:59:59.999999 local) of the ``days``-th working day after the local day of ``start``.

    The start day is not counted even if it is a working day, so 3 working days from Saturday
    2025-09-27 end on Tuesday 2025-09-30 (Sunday the 28th was an adjusted working day).
    ``days == 0`` gives the end of the start day itself.
    """
    _check_non_negative(days, "days")
    day = local_date(start, tz)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return end_of_day(day, tz)


def add_calendar_days(start: datetime, days: int, tz: tzinfo = SHANGHAI) -> datetime:
    """End (23:59:59.999999 local) of the ``days``-th calendar day after the local day of ``start``.

    Holidays and weekends count; the start day does not. ``days == 0`` gives the end of the
    start day.
    """
    _check_non_negative(days, "days")
    return end_of_day(local_date(start, tz) + timedelta(days=days), tz)


def add_hours(start: datetime, hours: float) -> datetime:
    """``start`` plus exactly ``hours`` hours, in UTC; nights, weekends and holidays count."""
    _check_non_negative(hours, "hours")
    return to_utc(start) + timedelta(hours=hours)


def working_days_between(a: datetime, b: datetime, tz: tzinfo = SHANGHAI) -> int:
    """Number of working days after the local day of ``a`` up to and including that of ``b``.

    The inverse of :func:`add_working_days`: ``working_days_between(a, add_working_days(a, n))
    == n``. Moments on the same local day give 0; if ``b`` is before ``a`` the result is
    negative.
    """
    first, last = local_date(a, tz), local_date(b, tz)
    if last < first:
        return -working_days_between(b, a, tz)
    count = 0
    day = first
    while day < last:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
