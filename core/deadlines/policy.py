"""Deadline policies: what starts, stops, pauses and extends a clock, and the alert ladder.

A policy is plain data so a town can configure its own per dispute type and level (the caller
chooses which policies apply to a case); the engine derives everything else from events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, get_args

__all__ = [
    "DEFAULT_LADDER",
    "DEFAULT_POLICIES",
    "FIRST_CONTACT",
    "FOLLOW_UP",
    "MEDIATION",
    "DeadlinePolicy",
    "LadderStep",
    "Unit",
    "default_policies",
]

Unit = Literal["hours", "calendar_days", "working_days"]
UNITS: tuple[str, ...] = get_args(Unit)


@dataclass(frozen=True)
class LadderStep:
    """One rung of the alert ladder: fires at ``due + offset`` and tells ``notify``.

    ``offset`` is negative before the due moment (a reminder), zero at it (urge, 催办) and
    positive after it (supervision by the level above, 督办). ``notify`` names audiences
    ("assignee", "org_head", "parent_org", "case_owner_leader"); the notification layer maps
    them to people. An empty ``notify`` is a dashboard flag (the yellow and red warnings).
    """

    name: str
    offset: timedelta
    notify: Sequence[str] = ()

    def __post_init__(self) -> None:
        if isinstance(self.notify, str):  # a lone string would be split into letters
            raise TypeError(f"notify must be a list of audience names, got {self.notify!r}")
        object.__setattr__(self, "notify", tuple(self.notify))


DEFAULT_LADDER: tuple[LadderStep, ...] = (
    LadderStep("reminder", timedelta(hours=-24), ("assignee",)),
    LadderStep("warning_yellow", timedelta(hours=-24)),
    LadderStep("urge", timedelta(0), ("assignee", "org_head")),
    LadderStep("warning_red", timedelta(0)),
    LadderStep("supervise", timedelta(hours=24), ("parent_org", "case_owner_leader")),
)


def _names(value: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(value, str):  # {"take"} was meant, not the letters of "take"
        raise TypeError(f"{what} must be a set of names, got the string {value!r}")
    return frozenset(value)


@dataclass(frozen=True)
class DeadlinePolicy:
    """How one kind of deadline is computed from a case's events.

    * ``starts_on`` / ``stops_on``: event names that start and stop the clock. A start event
      while the clock runs is ignored (re-taking a case does not reset its deadline); after a
      stop, the next start event starts a new clock (a reopened case gets a new one).
    * ``duration`` in ``unit``: "hours" (exact, nights and holidays count), "calendar_days" or
      "working_days" (both end at the end of a local day; the start day is not counted).
    * ``pause_states``: case states in which the clock stands still (e.g. "referred" while a
      plugin flow has the case); ``pause_on`` / ``resume_on``: event names that do the same
      for pauses that are not states. Either kind of pause pushes the due moment later.
    * ``extendable`` / ``max_extensions`` / ``extension_duration``: an "extend" event may push
      the due moment by its payload's "days" (or "hours" for an hours policy), at most
      ``extension_duration`` (default: ``duration``) per extension.
    * ``steps``: the alert ladder, relative to the due moment.

    Sets may be given as any iterable of names; they are stored as frozensets.
    """

    kind: str
    starts_on: AbstractSet[str]
    stops_on: AbstractSet[str]
    duration: int
    unit: Unit
    pause_states: AbstractSet[str] = frozenset()
    pause_on: AbstractSet[str] = frozenset()
    resume_on: AbstractSet[str] = frozenset()
    extendable: bool = False
    max_extensions: int = 0
    extension_duration: int | None = None
    steps: Sequence[LadderStep] = field(default=DEFAULT_LADDER)

    def __post_init__(self) -> None:
        for name in ("starts_on", "stops_on", "pause_states", "pause_on", "resume_on"):
            object.__setattr__(self, name, _names(getattr(self, name), name))
        object.__setattr__(self, "steps", tuple(self.steps))
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {self.unit!r}")
        if self.duration <= 0:
            raise ValueError(f"duration must be positive, got {self.duration}")
        if not self.starts_on:
            raise ValueError(f"policy {self.kind!r} has no start event")
        # One event both starting and stopping a clock would make its meaning depend on
        # whether the clock happens to run.
        if overlap := self.starts_on & self.stops_on:
            raise ValueError(f"events {sorted(overlap)} both start and stop {self.kind!r}")
        if overlap := self.pause_on & self.resume_on:
            raise ValueError(f"events {sorted(overlap)} both pause and resume {self.kind!r}")
        if self.max_extensions < 0:
            raise ValueError("max_extensions must not be negative")
        if self.extension_duration is not None and self.extension_duration <= 0:
            raise ValueError("extension_duration must be positive")
        names = [step.name for step in self.steps]
        if len(names) != len(set(names)):
            # The job system keys idempotency on the step name.
            raise ValueError(f"duplicate ladder step names in {self.kind!r}: {names}")

    @property
    def extension_key(self) -> str:
        """The payload key of an "extend" event that holds the amount: "hours" or "days"."""
        return "hours" if self.unit == "hours" else "days"

    @property
    def max_extension_amount(self) -> int:
        """The largest amount one extension may add, in ``unit``."""
        return self.extension_duration if self.extension_duration is not None else self.duration


# An online application must be answered within 72 hours (domain.md, "Deadlines").
# A rejection or a withdrawal also answers it.
FIRST_CONTACT = DeadlinePolicy(
    kind="first_contact",
    starts_on={"submit"},
    stops_on={"first_contact", "record_session", "reject", "withdraw", "merge"},
    duration=72,
    unit="hours",
)

# "Mediation generally within one month", read as 30 calendar days from taking the case;
# extendable once, by 30 more days, with both parties' consent (recorded by the caller as an
# "extend" event). The clock stands still while a plugin flow has the case ("referred").
# "reopen" starts a new clock when an agreement is not performed.
MEDIATION = DeadlinePolicy(
    kind="mediation",
    starts_on={"take", "reopen"},
    stops_on={"agree", "fail", "withdraw", "close", "escalate"},
    duration=30,
    unit="calendar_days",
    pause_states={"referred"},
    extendable=True,
    max_extensions=1,
    extension_duration=30,
)

# A follow-up visit (回访) within 15 days of the agreement; a reopen or closing ends it.
FOLLOW_UP = DeadlinePolicy(
    kind="follow_up",
    starts_on={"agree"},
    stops_on={"follow_up", "reopen", "close"},
    duration=15,
    unit="calendar_days",
)

DEFAULT_POLICIES: tuple[DeadlinePolicy, ...] = (FIRST_CONTACT, MEDIATION, FOLLOW_UP)


def default_policies(channel: str | None) -> tuple[DeadlinePolicy, ...]:
    """The default policies for a case that came in through ``channel``.

    The 72-hour first contact applies to online applications only.
    """
    return tuple(p for p in DEFAULT_POLICIES if p.kind != "first_contact" or channel == "online")
