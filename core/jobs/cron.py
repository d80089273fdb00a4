"""Periodic jobs. A tick writes an outbox row keyed by the entry and the minute slot, so a
slot fires once however many processes tick (app processes, workers), and the job itself
runs, retries and is recorded like any other.

Entries use arq's cron fields in local time (``JIEFEN_TIME_ZONE``): a set of allowed values,
or None for every value. ``jiefen worker`` ticks through arq's cron; the in-process runner
ticks from its loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.jobs.outbox import enqueue
from core.jobs.registry import job
from core.settings import get_settings


@dataclass(frozen=True)
class CronEntry:
    name: str
    job: str
    minute: frozenset[int] | None = None
    hour: frozenset[int] | None = None
    weekday: frozenset[int] | None = None  # Monday is 0, as in arq
    day: frozenset[int] | None = None

    def matches(self, local: datetime) -> bool:
        return all(
            allowed is None or value in allowed
            for allowed, value in (
                (self.minute, local.minute), (self.hour, local.hour),
                (self.weekday, local.weekday()), (self.day, local.day),
            )
        )


CORE_ENTRIES = (
    CronEntry("deadline_ladder", "deadline_ladder"),  # every minute
    CronEntry("fold_case_counts", "fold_case_counts"),  # every minute: keeps the count deltas short
    # Reports catch up on any missing period, so an hourly run also heals a day the worker was down.
    CronEntry("reports", "compute_due_reports", minute=frozenset({20})),
    CronEntry("purge_outbox", "purge_outbox", minute=frozenset({50}), hour=frozenset({3})),
)


def _as_set(value: Any) -> frozenset[int] | None:
    if value is None:
        return None
    return frozenset({value}) if isinstance(value, int) else frozenset(value)


def entries() -> list[CronEntry]:
    """The core's entries and the plugins' (hook ``cron_jobs``)."""
    from core.plugins.manager import get_manager
    from core.privacy.settings import privacy_settings

    found = list(CORE_ENTRIES)
    if privacy_settings().retention_nightly:
        found.append(CronEntry("retention", "retention_run", minute=frozenset({30}), hour=frozenset({2})))
    for contributed in get_manager().hook.cron_jobs():
        for item in contributed or []:
            found.append(
                CronEntry(
                    item["name"], item["job"], _as_set(item.get("minute")), _as_set(item.get("hour")),
                    _as_set(item.get("weekday")), _as_set(item.get("day")),
                )
            )
    return found


async def fire(entry: CronEntry, slot: datetime) -> int | None:
    """Write the slot's outbox row (None when another process already did)."""
    local = slot.astimezone(get_settings().zone)
    key = f"cron:{entry.name}:{local:%Y%m%dT%H%M}"
    return await enqueue(entry.job, {"cron": entry.name, "slot": slot.astimezone(UTC).isoformat()}, dedupe_key=key)


class Ticker:
    """Fires the entries whose minute came since the last tick (at most an hour back)."""

    def __init__(self) -> None:
        self.last: datetime | None = None

    async def tick(self, now: datetime) -> int:
        minute = now.replace(second=0, microsecond=0)
        start = minute if self.last is None else max(self.last + timedelta(minutes=1), minute - timedelta(hours=1))
        fired = 0
        zone = get_settings().zone
        slot = start
        while slot <= minute:
            for entry in entries():
                if entry.matches(slot.astimezone(zone)) and await fire(entry, slot):
                    fired += 1
            slot += timedelta(minutes=1)
        self.last = minute
        return fired


@job("purge_outbox")
async def purge_outbox(payload: dict[str, Any]) -> None:
    """Done rows older than a month go: the timeline, not the outbox, is the record."""
    from core.db import write_transaction
    from core.jobs.tables import OutboxJob

    cutoff = datetime.now(UTC) - timedelta(days=30)
    async with write_transaction():
        await OutboxJob.delete().where((OutboxJob.status == "done") & (OutboxJob.done_at < cutoff))
