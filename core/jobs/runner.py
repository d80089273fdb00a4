"""The in-process runner: drains the outbox when no Redis is configured (``make run``).

Claiming a row is one conditional UPDATE, so two runners (two app processes) never run the
same job at once; a runner that died mid-job leaves the row ``running``, and it is claimed
again after ``JIEFEN_JOBS_STALE_CLAIM`` seconds. A job that fails is retried with backoff and,
after ``max_tries``, kept as ``failed`` for a person to retry (``jiefen jobs retry``); one
that runs past ``JIEFEN_JOBS_TIMEOUT`` is cancelled and counts as failed.
The same loop ticks the periodic jobs (see core.jobs.cron).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from core.db import write_transaction
from core.jobs.execute import call, mark_done, mark_failed
from core.jobs.settings import job_settings
from core.jobs.tables import OutboxJob

log = logging.getLogger("jiefen.jobs")

_wake: asyncio.Event | None = None
_task: asyncio.Task[None] | None = None


def kick() -> None:
    """Something was committed: wake whichever mover runs in this process."""
    from core.jobs import relay

    if _wake is not None:
        _wake.set()
    relay.kick()


async def claim_due(limit: int = 20) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    stale = now - timedelta(seconds=job_settings().stale_claim)
    claimable = ((OutboxJob.status == "pending") & (OutboxJob.available_at <= now)) | (
        (OutboxJob.status == "running") & (OutboxJob.started_at < stale)
    )
    candidates = await OutboxJob.select(OutboxJob.id).where(claimable).order_by(OutboxJob.id).limit(limit)
    if not candidates:
        return []
    async with write_transaction():
        # The condition is checked again row by row, so a row goes to one runner only.
        return await (
            OutboxJob.update({OutboxJob.status: "running", OutboxJob.started_at: now, OutboxJob.attempts: OutboxJob.attempts + 1})
            .where(OutboxJob.id.is_in([r["id"] for r in candidates]) & claimable)
            .returning(OutboxJob.id, OutboxJob.job, OutboxJob.payload, OutboxJob.attempts)
        )


async def run_one(row: dict[str, Any]) -> bool:
    try:
        # The same limit as the arq worker's: a job stuck on a dead socket or a runaway render
        # fails and is retried with backoff instead of holding the runner (and every job queued
        # behind it) for good.
        await asyncio.wait_for(call(row), job_settings().timeout)
    except Exception as exc:
        log.exception("job %s #%s failed", row["job"], row["id"])
        final = row["attempts"] >= job_settings().max_tries
        await mark_failed(row["id"], exc, final=final, retry_status="pending", attempt=row["attempts"])
        return False
    await mark_done(row["id"])
    return True


async def drain(max_jobs: int = 100_000) -> int:
    """Run every due job now, including those the jobs queue (tests and the CLI use this);
    returns how many ran. ``max_jobs`` only guards against a job that requeues itself."""
    ran = 0
    while ran < max_jobs:
        batch = await claim_due(limit=100)
        if not batch:
            break
        for row in sorted(batch, key=lambda r: r["id"]):
            await run_one(row)
            ran += 1
    return ran


async def _loop(poll_seconds: float) -> None:
    from core.jobs import cron

    assert _wake is not None
    ticker = cron.Ticker()
    while True:
        try:
            if job_settings().cron:
                await ticker.tick(datetime.now(UTC))
            await drain()
        except Exception:  # the loop must outlive a broken database moment
            log.exception("outbox runner round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_wake.wait(), timeout=poll_seconds)
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
        with contextlib.suppress(asyncio.CancelledError):
            await _task
    _task = None
    _wake = None
