"""Running one outbox row: the part shared by the in-process runner and the arq worker.

A row is done once its function returned; running a done row again does nothing, so a
second delivery of the same arq job, or a runner that re-claims a row, is harmless. Job
functions are idempotent anyway (a worker can die after the work and before ``done``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from core.db import write_transaction
from core.jobs.registry import job_function
from core.jobs.settings import job_settings
from core.jobs.tables import OutboxJob

log = logging.getLogger("jiefen.jobs")


def decode(payload: Any) -> dict[str, Any]:
    return json.loads(payload) if isinstance(payload, str) else (payload or {})


async def call(row: dict[str, Any]) -> None:
    function = job_function(row["job"])
    if function is None:
        raise LookupError(f"no job function named {row['job']!r}")
    await function(decode(row["payload"]))


async def mark_done(row_id: int) -> None:
    async with write_transaction():
        await OutboxJob.update({OutboxJob.status: "done", OutboxJob.done_at: datetime.now(UTC)}).where(OutboxJob.id == row_id)


async def mark_failed(row_id: int, exc: BaseException, *, final: bool, retry_status: str, attempt: int) -> None:
    """Record the error; a final failure is kept as ``failed`` for a person to retry."""
    async with write_transaction():
        await OutboxJob.update(
            {
                OutboxJob.status: "failed" if final else retry_status,
                OutboxJob.last_error: f"{type(exc).__name__}: {exc}"[:2000],
                OutboxJob.available_at: datetime.now(UTC) + backoff(attempt),
            }
        ).where((OutboxJob.id == row_id) & (OutboxJob.status != "done"))


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempt, 1), 600))


async def run_from_queue(row_id: int, job_try: int, max_tries: int) -> str:
    """Run the row an arq job points at; raises ``arq.Retry`` to be tried again later."""
    from arq import Retry

    from core.db import unavailable

    try:
        return await _run_from_queue(row_id, job_try, max_tries)
    except Retry:
        raise
    except Exception as exc:
        if not unavailable(exc):
            raise
        # The database is restarting: not the job's fault, and the row could not be updated
        # anyway. arq runs it again; a half-done run is safe as every job is idempotent.
        log.warning("job row #%s: database unavailable (%s); tried again later", row_id, exc)
        raise Retry(defer=backoff(job_try)) from exc


async def _run_from_queue(row_id: int, job_try: int, max_tries: int) -> str:
    from arq import Retry

    from core.db import unavailable

    async with write_transaction():
        started = await (
            OutboxJob.update({OutboxJob.status: "running", OutboxJob.started_at: datetime.now(UTC), OutboxJob.attempts: OutboxJob.attempts + 1})
            .where((OutboxJob.id == row_id) & OutboxJob.status.is_in(["pending", "enqueued", "running"]))
            .returning(OutboxJob.id, OutboxJob.job, OutboxJob.payload, OutboxJob.attempts)
        )
    if not started:
        return "skipped"  # done, failed for good, or gone
    row = started[0]
    try:
        # Our own limit, so that a job running too long is an ordinary failure: recorded and
        # retried with backoff (arq's timeout would leave the row "running" until the resend).
        await asyncio.wait_for(call(row), job_settings().timeout)
    except Exception as exc:
        if unavailable(exc):
            raise
        log.exception("job %s #%s failed (try %s of %s)", row["job"], row_id, job_try, max_tries)
        final = job_try >= max_tries
        await mark_failed(row_id, exc, final=final, retry_status="enqueued", attempt=job_try)
        if final:
            return "failed"
        raise Retry(defer=backoff(job_try)) from exc
    await mark_done(row_id)
    return "done"
