"""Compute deadline clocks from a case's events. Pure: no database, no clock, no I/O.

Rules (see also the policy docstring):

* **Start and reopen.** Events are read in time order (ties keep input order). A start event
  starts a clock when none runs; a start event while one runs is ignored and noted (re-taking
  or redispatching a case does not reset its deadline); a stop event stops it. A start event
  after a stop starts a new clock (``cycle`` + 1): a case reopened after its agreement gets
  a fresh mediation clock. :func:`compute_deadlines` reports the latest clock of each kind,
  :func:`compute_clocks` all of them.
* **As of now.** Events after ``now`` are not yet known and are left out, so the same events
  answer "what did this look like at time T".
* **Pauses.** The clock is paused while the case is in one of ``pause_states``, or between a
  ``pause_on`` and a ``resume_on`` event (these belong to the clock they are recorded in and
  end with it). A pause pushes the due moment later:
    - hours: by the paused time, exactly;
    - calendar_days: by the number of local days from the day the pause began to the day it
      ended (resume day minus pause day);
    - working_days: by the working days after the day the pause began up to and including
      the day it ended (:func:`working_days_between`).
  For day units this treats a resume like a start: the day a pause began counts towards the
  deadline, the day it ended does not (just as the start day does not). So a pause within one
  day pushes nothing, and a pause from Friday evening to Monday morning costs one working day.
* **No revival.** A pause that begins after the deadline has passed, or an extension recorded
  after it, is not counted (and is noted): an overdue case cannot be made timely by referring
  or extending it afterwards.
* **Extensions.** An "extend" event whose payload "kind" names the policy (or has no "kind":
  then it applies to every extendable clock running at that moment) pushes the due moment by
  payload "days" ("hours" for an hours policy), default and cap ``extension_duration``. It
  counts only if the policy is extendable and fewer than ``max_extensions`` were counted;
  otherwise it is noted and ignored. The engine does not check consent: the caller records
  the event only once both parties agreed.
* **State.** met / met_late if stopped at or before / after ``due_at``; otherwise paused,
  overdue (``now > due_at``) or running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from .calendar import (
    SHANGHAI,
    add_calendar_days,
    add_hours,
    add_working_days,
    local_date,
    to_utc,
    working_days_between,
)
from .events import EXTEND_EVENT, EventLike
from .policy import DeadlinePolicy, Unit
from .status import DeadlineStatus, Note, ScheduledStep, State

__all__ = ["compute_clocks", "compute_deadlines"]


@dataclass(frozen=True)
class _Ev:
    """An event normalised to UTC."""

    name: str
    at: datetime
    from_state: str | None
    to_state: str | None
    payload: Mapping[str, Any]


@dataclass
class _Pause:
    started_at: datetime
    event: str
    ended_at: datetime | None = None


@dataclass
class _Run:
    """The raw facts of one clock, gathered in a walk over the timeline."""

    started_at: datetime
    pauses: list[_Pause] = field(default_factory=list)
    extensions: list[_Ev] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    event_paused: bool = False
    stopped_at: datetime | None = None
    stopped_by: str | None = None

    @property
    def open_pause(self) -> _Pause | None:
        if self.pauses and self.pauses[-1].ended_at is None:
            return self.pauses[-1]
        return None


def compute_deadlines(
    events: Sequence[EventLike],
    policies: Sequence[DeadlinePolicy],
    now: datetime,
    tz: tzinfo = SHANGHAI,
) -> list[DeadlineStatus]:
    """The latest clock of each policy that has started, in the order of ``policies``.

    ``events`` may be in any order; all datetimes must be timezone-aware (results are UTC).
    Day boundaries are taken in ``tz``.
    """
    timeline = _timeline(events, now)
    result = []
    for policy in policies:
        clocks = _clocks(timeline, policy, to_utc(now), tz)
        if clocks:
            result.append(clocks[-1])
    return result


def compute_clocks(
    events: Sequence[EventLike],
    policy: DeadlinePolicy,
    now: datetime,
    tz: tzinfo = SHANGHAI,
) -> list[DeadlineStatus]:
    """Every clock of ``policy`` in the case's history, oldest first (for statistics)."""
    return _clocks(_timeline(events, now), policy, to_utc(now), tz)


def _timeline(events: Sequence[EventLike], now: datetime) -> list[_Ev]:
    cutoff = to_utc(now)
    normalised = [
        _Ev(e.name, to_utc(e.at), e.from_state, e.to_state, e.payload or {}) for e in events
    ]
    # sorted() is stable, so events with the same timestamp keep the order they were given.
    return sorted((e for e in normalised if e.at <= cutoff), key=lambda e: e.at)


def _clocks(
    timeline: list[_Ev], policy: DeadlinePolicy, now: datetime, tz: tzinfo
) -> list[DeadlineStatus]:
    runs = _runs(timeline, policy)
    return [_status(run, policy, now, tz, cycle) for cycle, run in enumerate(runs, start=1)]


def _extension_applies(policy: DeadlinePolicy, event: _Ev) -> bool:
    kind = event.payload.get("kind")
    if kind is None:
        # An extension that names no deadline extends whatever can be extended.
        return policy.extendable
    return kind == policy.kind


def _runs(timeline: list[_Ev], policy: DeadlinePolicy) -> list[_Run]:
    """Split the timeline into clocks and collect each clock's pauses and extensions."""
    runs: list[_Run] = []
    run: _Run | None = None
    state: str | None = None
    for event in timeline:
        if state is None:
            state = event.from_state  # the state before the first event we know of
        if event.to_state is not None:
            state = event.to_state

        if run is None:
            if event.name in policy.starts_on:
                run = _Run(started_at=event.at)
                if state in policy.pause_states:
                    run.pauses.append(_Pause(event.at, event.name))
            continue

        if event.name in policy.stops_on:
            if (pause := run.open_pause) is not None:
                pause.ended_at = event.at
            run.stopped_at, run.stopped_by = event.at, event.name
            runs.append(run)
            run = None
            continue

        if event.name in policy.starts_on:
            run.notes.append(Note(event.at, event.name, "clock already running; start ignored"))
        if event.name == EXTEND_EVENT and _extension_applies(policy, event):
            run.extensions.append(event)
        if event.name in policy.pause_on:
            run.event_paused = True
        elif event.name in policy.resume_on:
            run.event_paused = False

        paused = run.event_paused or state in policy.pause_states
        open_pause = run.open_pause
        if paused and open_pause is None:
            run.pauses.append(_Pause(event.at, event.name))
        elif not paused and open_pause is not None:
            open_pause.ended_at = event.at
    if run is not None:
        runs.append(run)
    return runs


def _advance(unit: Unit, moment: datetime, amount: int, tz: tzinfo) -> datetime:
    """``moment`` moved ``amount`` units later, by the rules of the calendar module."""
    if unit == "hours":
        return add_hours(moment, amount)
    if unit == "calendar_days":
        return add_calendar_days(moment, amount, tz)
    return add_working_days(moment, amount, tz)


def _push(unit: Unit, due: datetime, start: datetime, end: datetime, tz: tzinfo) -> datetime:
    """The due moment after a pause from ``start`` to ``end`` (see the module docstring)."""
    if unit == "hours":
        return due + (end - start)
    if unit == "calendar_days":
        return add_calendar_days(due, (local_date(end, tz) - local_date(start, tz)).days, tz)
    return add_working_days(due, working_days_between(start, end, tz), tz)


def _extension_amount(
    policy: DeadlinePolicy, event: _Ev, counted: int, due: datetime
) -> tuple[int | None, str | None]:
    """How much an extension adds (None: not counted) and a note to record, if any."""
    if not policy.extendable:
        return None, f"{policy.kind} cannot be extended"
    if counted >= policy.max_extensions:
        return None, f"only {policy.max_extensions} extension(s) allowed; ignored"
    if event.at > due:
        return None, "recorded after the deadline had passed; ignored"
    key, cap = policy.extension_key, policy.max_extension_amount
    other = "days" if key == "hours" else "hours"
    raw = event.payload.get(key)
    if raw is None:
        if other in event.payload:
            return None, f"{policy.kind} is extended in {key}, not {other}; ignored"
        return cap, None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        return None, f"invalid {key} {raw!r}; ignored"
    if raw > cap:
        return cap, f"{raw} {key} capped at {cap}"
    return raw, None


def _status(
    run: _Run, policy: DeadlinePolicy, now: datetime, tz: tzinfo, cycle: int
) -> DeadlineStatus:
    base_due = _advance(policy.unit, run.started_at, policy.duration, tz)
    end = run.stopped_at or now
    due = base_due
    paused_total = timedelta(0)
    paused_now = False
    extensions = 0
    notes = list(run.notes)

    # Pauses and extensions in time order, each judged against the due moment as it stood
    # then; a pause sorts before an extension recorded at the same moment.
    items: list[tuple[datetime, int, _Pause | _Ev]] = [(p.started_at, 0, p) for p in run.pauses]
    items += [(e.at, 1, e) for e in run.extensions]
    for at, _, item in sorted(items, key=lambda t: (t[0], t[1])):
        if isinstance(item, _Pause):
            if at > due:
                notes.append(
                    Note(at, item.event, "paused after the deadline had passed; not counted")
                )
                continue
            ended = item.ended_at or end
            due = _push(policy.unit, due, at, ended, tz)
            paused_total += ended - at
            paused_now = item.ended_at is None and run.stopped_at is None
        else:
            amount, message = _extension_amount(policy, item, extensions, due)
            if message:
                notes.append(Note(at, item.name, message))
            if amount is not None:
                due = _advance(policy.unit, due, amount, tz)
                extensions += 1

    state: State
    if run.stopped_at is not None:
        state = "met" if run.stopped_at <= due else "met_late"
    elif paused_now:
        state = "paused"
    elif now > due:
        state = "overdue"
    else:
        state = "running"

    # A step placed before the clock started (a 24h reminder on a 12h deadline) fires at once.
    steps = tuple(
        ScheduledStep(s.name, max(due + s.offset, run.started_at), tuple(s.notify))
        for s in policy.steps
    )
    return DeadlineStatus(
        kind=policy.kind,
        cycle=cycle,
        started_at=run.started_at,
        base_due_at=base_due,
        due_at=due,
        state=state,
        paused=paused_now,
        paused_total=paused_total,
        extensions=extensions,
        stopped_at=run.stopped_at,
        stopped_by=run.stopped_by,
        steps=steps,
        as_of=now,
        notes=tuple(notes),
    )
