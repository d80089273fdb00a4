"""The relay: moves due outbox rows into arq (``JIEFEN_REDIS_URL`` set).

It runs as a background task in every app process and in every ``jiefen worker``. Rows are
claimed with one conditional UPDATE (pending → enqueued), so several relays share the work;
the arq job id is ``<queue>:outbox:<row id>``, so even a row sent twice (a relay that died after
enqueueing and before its claim was seen, a resend below) is queued once. When Redis is
down the claim is undone, the loop backs off and tries again; intake never waits on Redis.

A row enqueued (or running) but not done after ``JIEFEN_JOBS_RESEND_AFTER`` seconds is sent
again: arq keeps it only a day, and a Redis restart without persistence loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from core.db import write_transaction
from core.jobs.settings import job_settings
from core.jobs.tables import OutboxJob
from core.settings import get_settings

log = logging.getLogger("jiefen.jobs.relay")

_pool: Any = None
_target: tuple[str, str] | None = None  # (redis url, queue) when not from the settings
_wake: asyncio.Event | None = None
_task: asyncio.Task[None] | None = None


def arq_job_id(row_id: int, queue: str | None = None) -> str:
    """``<queue>:outbox:<row id>``. arq's job ids are global in a Redis database, so the
    queue (one per deployment, like its database) keeps two deployments, or a database
    started afresh, from colliding with ids another one left there."""
    return f"{queue or _queue()}:outbox:{row_id}"


def _queue() -> str:
    return _target[1] if _target else job_settings().queue


def kick() -> None:
    if _wake is not None:
        _wake.set()


async def use(url: str | None, queue: str | None = None) -> None:
    """Point this process's relay at another Redis and queue (tests); None: the settings."""
    global _target
    await close_pool()
    _target = (url, queue or job_settings().queue) if url else None


async def get_pool() -> Any:
    global _pool
    if _pool is None:
        from arq import create_pool
        from arq.connections import RedisSettings

        url, queue = _target or (get_settings().redis_url, job_settings().queue)
        redis = RedisSettings.from_dsn(url)
        redis.conn_retries = 0  # the loop retries, with backoff
        _pool = await create_pool(redis, default_queue_name=queue)
    return _pool


async def close_pool() -> None:
    global _pool
    if _pool is not None:
        pool, _pool = _pool, None
        try:
            await pool.aclose()
        except Exception:  # closing a pool to a dead server may fail too
            log.debug("closing the arq pool failed", exc_info=True)


def _claimable(now: datetime) -> Any:
    resend = now - timedelta(seconds=job_settings().resend_after)
    return (
        ((OutboxJob.status == "pending") & (OutboxJob.available_at <= now))
        | ((OutboxJob.status == "enqueued") & (OutboxJob.enqueued_at < resend))
        | ((OutboxJob.status == "running") & (OutboxJob.started_at < resend))
    )


async def claim(limit: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    candidates = await OutboxJob.select(OutboxJob.id).where(_claimable(now)).order_by(OutboxJob.id).limit(limit)
    if not candidates:
        return []
    async with write_transaction():
        return await (
            OutboxJob.update({OutboxJob.status: "enqueued", OutboxJob.enqueued_at: now})
            .where(OutboxJob.id.is_in([r["id"] for r in candidates]) & _claimable(now))
            .returning(OutboxJob.id, OutboxJob.job)
        )


async def relay_once(limit: int | None = None) -> int:
    """One pass; returns how many rows were handed to Redis. Raises when Redis is down."""
    rows = await claim(limit or job_settings().relay_batch)
    if not rows:
        return 0
    sent: list[int] = []
    try:
        pool = await get_pool()
        for row in sorted(rows, key=lambda r: r["id"]):
            # None means arq already has this job id: it is queued, running or finished.
            await pool.enqueue_job(row["job"], row["id"], _job_id=arq_job_id(row["id"]))
            sent.append(row["id"])
    except BaseException:
        unsent = [r["id"] for r in rows if r["id"] not in sent]
        async with write_transaction():
            await OutboxJob.update({OutboxJob.status: "pending", OutboxJob.enqueued_at: None}).where(
                OutboxJob.id.is_in(unsent) & (OutboxJob.status == "enqueued")
            )
        await close_pool()
        raise
    return len(sent)


async def _loop() -> None:
    assert _wake is not None
    interval = job_settings().relay_interval
    delay, down = interval, False
    while True:
        try:
            moved = await relay_once()
            if down:
                log.warning("Redis is reachable again; the outbox drains")
            delay, down = interval, False
            if moved:
                continue
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Said once when it starts, then again whenever the backoff is at its ceiling, so a
            # relay that keeps failing (not only one whose Redis is down) shows in the log.
            if not down or delay >= 30.0:
                log.warning("cannot hand jobs to Redis (%s: %s); they wait in the outbox", type(exc).__name__, exc)
            delay, down = min(delay * 2, 30.0), True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_wake.wait(), timeout=delay)
        _wake.clear()


def start() -> None:
    global _wake, _task
    if _task is not None:
        return
    _wake = asyncio.Event()
    _task = asyncio.get_running_loop().create_task(_loop())


async def stop() -> None:
    global _wake, _task
    if _task is not None:
        _task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _task
    _task, _wake = None, None
    await close_pool()
