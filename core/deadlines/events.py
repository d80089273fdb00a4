"""The shape of a case event as the deadline engine reads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = ["EXTEND_EVENT", "Event", "EventLike"]

# The event that records an extension; its payload says which deadline ("kind") and by how
# much ("days", or "hours" for an hours policy).
EXTEND_EVENT = "extend"


class EventLike(Protocol):
    """Anything with these read-only attributes: a timeline row, a dataclass, a test double.

    ``at`` must be timezone-aware; ``from_state``/``to_state`` are None for events that do not
    change the case's state.
    """

    @property
    def name(self) -> str: ...

    @property
    def at(self) -> datetime: ...

    @property
    def from_state(self) -> str | None: ...

    @property
    def to_state(self) -> str | None: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Event:
    """A plain :class:`EventLike` for callers and tests."""

    name: str
    at: datetime
    from_state: str | None = None
    to_state: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
