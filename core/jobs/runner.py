"""The in-process runner: drains the outbox when no Redis is configured (``make run``).

Claiming a row is one conditional UPDATE, so two runners never run the same job at once;
a job that fails is retried with backoff and, after ``MAX_ATTEMPTS``, kept as ``failed``
for a person to retry (``jiefen jobs retry``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from core.jobs.registry import JOBS
from core.jobs.tables import OutboxJob

log = logging.getLogger("jiefen.jobs")
MAX_ATTEMPTS = 5
# A claimed job whose runner died is taken again after this long.
STALE_CLAIM = timedelta(minutes=5)

_wake: asyncio.Event | None = None
_task: asyncio.Task[None] | None = None


def kick() -> None:
    if _wake is not None:
        _wake.set()


async def claim_due(limit: int = 20) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    candidates = await (
        OutboxJob.select(OutboxJob.id)
        .where((OutboxJob.status == "pending") & (OutboxJob.available_at <= now))
        .order_by(OutboxJob.id)
        .limit(limit)
    )
    claimed = []
    for row in candidates:
        got = await (
            OutboxJob.update({OutboxJob.status: "running", OutboxJob.started_at: now, OutboxJob.attempts: OutboxJob.attempts + 1})
            .where((OutboxJob.id == row["id"]) & (OutboxJob.status == "pending"))
            .returning(OutboxJob.id, OutboxJob.job, OutboxJob.payload, OutboxJob.attempts)
        )
        claimed.extend(got)
    return claimed


async def run_one(row: dict[str, Any]) -> bool:
    import json

    payload = row["payload"]
    if isinstance(payload, str):
        payload = json.loads(payload)
    function = JOBS.get(row["job"])
    try:
        if function is None:
            raise LookupError(f"no job function named {row['job']!r}")
        await function(payload)
    except Exception as exc:
        log.exception("job %s #%s failed", row["job"], row["id"])
        failed = row["attempts"] >= MAX_ATTEMPTS
        await OutboxJob.update(
            {
                OutboxJob.status: "failed" if failed else "pending",
                OutboxJob.last_error: f"{type(exc).__name__}: {exc}"[:2000],
                OutboxJob.available_at: datetime.now(UTC) + timedelta(seconds=2 ** row["attempts"]),
            }
        ).where(OutboxJob.id == row["id"])
        return False
    await OutboxJob.update({OutboxJob.status: "done", OutboxJob.done_at: datetime.now(UTC)}).where(OutboxJob.id == row["id"])
    return True


async def drain(max_rounds: int = 100) -> int:
    """Run every due job now (tests and the CLI use this); returns how many ran."""
    ran = 0
    for _ in range(max_rounds):
        batch = await claim_due()
        if not batch:
            break
        for row in batch:
            await run_one(row)
            ran += 1
    return ran


async def _loop(poll_seconds: float) -> None:
    assert _wake is not None
    while True:
        try:
            await drain()
        except Exception:  # the loop must outlive a broken database moment
            log.exception("outbox runner round failed")
        try:
            await asyncio.wait_for(_wake.wait(), timeout=poll_seconds)
        except TimeoutError:
            pass
        _wake.clear()


def start_in_process(poll_seconds: float = 5.0) -> None:
    global _wake, _task
    if _task is not None:
        return
    _wake = asyncio.Event()
    _task = asyncio.get_running_loop().create_task(_loop(poll_seconds))


async def stop_in_process() -> None:
    global _wake, _task
    if _task is not None:
        _task.cancel()
        try:
            await _task
        except asyncio.CancelledError:
            pass
    _task = None
    _wake = None
