"""What the engine says about one deadline clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

__all__ = ["DeadlineStatus", "Note", "ScheduledStep", "State"]

State = Literal["running", "paused", "met", "met_late", "overdue"]


@dataclass(frozen=True)
class ScheduledStep:
    """A ladder step placed in time for one clock."""

    name: str
    fire_at: datetime
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    """An event the engine saw but did not count, or counted only in part, and why."""

    at: datetime
    event: str
    message: str


@dataclass(frozen=True)
class DeadlineStatus:
    """One deadline clock of a case, as of ``as_of``.

    ``cycle`` counts clocks of the same kind (2 after a reopen). ``base_due_at`` is the due
    moment before pauses and extensions; ``due_at`` is after them. While the clock is paused,
    ``due_at`` is provisional: it assumes the pause ends at ``as_of``.
    """

    kind: str
    cycle: int
    started_at: datetime
    base_due_at: datetime
    due_at: datetime
    state: State
    paused: bool
    paused_total: timedelta
    extensions: int
    stopped_at: datetime | None
    stopped_by: str | None
    steps: tuple[ScheduledStep, ...]
    as_of: datetime
    notes: tuple[Note, ...] = ()

    @property
    def met_at(self) -> datetime | None:
        """When the clock was stopped (the task was done, in time or late)."""
        return self.stopped_at

    @property
    def live(self) -> bool:
        """True while ladder steps can fire: the clock runs and is not paused."""
        return self.state in ("running", "overdue")

    def steps_due(self, now: datetime | None = None) -> tuple[ScheduledStep, ...]:
        """Ladder steps reached by ``now`` (default ``as_of``) that should fire.

        Nothing fires for a stopped clock or while it is paused (the due moment is not yet
        known). The job keys idempotency on (case, kind, due_at, step name): a step fires once
        per due moment, and again if an extension or pause moves the due moment.
        """
        if not self.live:
            return ()
        moment = self.as_of if now is None else now
        return tuple(step for step in self.steps if step.fire_at <= moment)

    @property
    def next_fire_at(self) -> datetime | None:
        """The earliest step moment after ``as_of``, so a scheduler knows when to wake.

        None when no step is left or the clock is stopped or paused; the caller recomputes
        on the next event of the case anyway.
        """
        if not self.live:
            return None
        return min((s.fire_at for s in self.steps if s.fire_at > self.as_of), default=None)
