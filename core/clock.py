"""The moment the core writes into a case's events: the wall clock, or a moment the caller set.

Only the demo seeder sets one (``backdated``), to load a town whose cases arrived over the last
weeks through the real lifecycle. The override lives in a context variable, so it reaches the
seeder's own calls and nothing else running in the process; each event is hashed with the time
it carries, so the timeline's chain stays valid.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

_moment: ContextVar[datetime | None] = ContextVar("jiefen_clock", default=None)


def now() -> datetime:
    return _moment.get() or datetime.now(UTC)


def today() -> date:
    """The date at the centre (JIEFEN_TIMEZONE), not the server's: from 16:00 UTC on, Shanghai
    is already on the next day, and a document issued then must carry that day."""
    from core.settings import get_settings

    return now().astimezone(get_settings().zone).date()


@contextmanager
def backdated(moment: datetime) -> Iterator[None]:
    """Events written inside this block carry ``moment`` (aware, UTC) as their time."""
    if moment.tzinfo is None:
        raise ValueError("backdated() needs an aware datetime")
    token = _moment.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _moment.reset(token)
