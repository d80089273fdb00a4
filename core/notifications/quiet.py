"""Quiet hours: no message to a resident at night; it waits until the morning.

Pure: the window comes from the town's settings (default 21:00–08:00 local time).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

DEFAULT_START, DEFAULT_END = "21:00", "08:00"


def parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def is_quiet(moment: datetime, start: time, end: time, tz: tzinfo) -> bool:
    local = moment.astimezone(tz).time()
    if start == end:
        return False
    if start < end:  # e.g. 12:00–14:00
        return start <= local < end
    return local >= start or local < end  # across midnight


def not_before(moment: datetime, start: time, end: time, tz: tzinfo) -> datetime:
    """``moment`` itself outside quiet hours, else the next end of quiet hours (UTC)."""
    if not is_quiet(moment, start, end, tz):
        return moment.astimezone(UTC)
    local = moment.astimezone(tz)
    morning = datetime.combine(local.date(), end, tzinfo=tz)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)
    return morning.astimezone(UTC)
