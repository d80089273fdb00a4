"""Properties of the calendar and the engine, checked with hypothesis.

Start moments stay in 2024-2025 and amounts small so every date falls in years the installed
chinesecalendar covers (no Mon-Fri fallback). ``database=None`` keeps hypothesis from writing
an example database into the working tree.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.deadlines import Event, add_working_days, compute_deadlines, is_working_day
from core.deadlines.calendar import SHANGHAI, local_date, working_days_between
from core.deadlines.policy import MEDIATION

moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)
)
units = st.sampled_from(["hours", "calendar_days", "working_days"])
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Event], list[Event], datetime]:
    """A take, optional extensions, and a separate list of refer/return pause events."""
    start = draw(moments)
    events = [Event("take", start, to_state="in_mediation")]
    for _ in range(draw(st.integers(0, 2))):
        at = start + draw(offsets)
        events.append(Event("extend", at, payload={"days": draw(st.integers(-1, 40))}))
    pauses = []
    for _ in range(draw(st.integers(1, 2))):
        begin = start + draw(offsets)
        pauses.append(Event("refer", begin, to_state="referred"))
        if draw(st.booleans()):  # otherwise still paused at `now`
            end = begin + draw(offsets)
            pauses.append(Event("back", end, to_state="in_mediation"))
    now = start + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=120)))
    return events, pauses, now


@settings(max_examples=200, deadline=None, database=None)
@given(cases(), units, st.integers(1, 60))
def test_pausing_never_makes_a_deadline_earlier(
    case: tuple[list[Event], list[Event], datetime], unit: str, duration: int
) -> None:
    events, pauses, now = case
    policy = replace(MEDIATION, unit=unit, duration=duration, extension_duration=None)
    [plain] = compute_deadlines(events, [policy], now)
    [paused] = compute_deadlines(events + pauses, [policy], now)
    assert paused.due_at >= plain.due_at
    assert paused.due_at >= paused.base_due_at


@settings(max_examples=200, deadline=None, database=None)
@given(cases(), st.sampled_from(["hours", "calendar_days"]), st.integers(1, 60))
def test_a_calendar_deadline_is_never_before_start_plus_duration(
    case: tuple[list[Event], list[Event], datetime], unit: str, duration: int
) -> None:
    events, pauses, now = case
    policy = replace(MEDIATION, unit=unit, duration=duration, extension_duration=None)
    [status] = compute_deadlines(events + pauses, [policy], now)
    length = timedelta(hours=duration) if unit == "hours" else timedelta(days=duration)
    assert status.due_at >= status.started_at + length


@settings(database=None)
@given(moments, st.integers(0, 40))
def test_add_working_days_lands_at_the_end_of_a_working_day(start: datetime, days: int) -> None:
    due = add_working_days(start, days)
    local = due.astimezone(SHANGHAI)
    assert (local.hour, local.minute, local.second, local.microsecond) == (23, 59, 59, 999999)
    assert days == 0 or is_working_day(local_date(due))
    assert working_days_between(start, due) == days
    assert due > start
