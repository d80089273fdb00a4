"""Deadlines (办理时限): working-day calendar, policies and a pure engine over case events.

Everything is derived from a case's events and the policies that apply to it, so a changed
policy or a corrected event gives the right answer on the next computation.
"""

from .calendar import (
    SHANGHAI,
    add_calendar_days,
    add_hours,
    add_working_days,
    end_of_day,
    is_working_day,
    is_year_covered,
    local_date,
    working_days_between,
)
from .engine import compute_clocks, compute_deadlines
from .events import EXTEND_EVENT, Event, EventLike
from .policy import (
    DEFAULT_LADDER,
    DEFAULT_POLICIES,
    DeadlinePolicy,
    LadderStep,
    default_policies,
)
from .status import DeadlineStatus, Note, ScheduledStep

__all__ = [
    "DEFAULT_LADDER",
    "DEFAULT_POLICIES",
    "EXTEND_EVENT",
    "SHANGHAI",
    "DeadlinePolicy",
    "DeadlineStatus",
    "Event",
    "EventLike",
    "LadderStep",
    "Note",
    "ScheduledStep",
    "add_calendar_days",
    "add_hours",
    "add_working_days",
    "compute_clocks",
    "compute_deadlines",
    "default_policies",
    "end_of_day",
    "is_working_day",
    "is_year_covered",
    "local_date",
    "working_days_between",
]
