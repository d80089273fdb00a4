"""The relay: moves due outbox rows into arq (``JIEFEN_REDIS_URL`` set).

It runs as a background task in every ``jiefen worker``, and in app processes on SQLite (or
with ``JIEFEN_JOBS_APP_RELAY=true``). On PostgreSQL every outbox insert sends a NOTIFY at commit
(a trigger); each worker's relay LISTENs and wakes at once, so a request does not pay for the
hand-over to Redis and a job still starts within milliseconds. Rows are
claimed with one conditional UPDATE (pending → enqueued), so several relays share the work
(on PostgreSQL the claim commits only once Redis has the jobs, so a relay killed mid-pass
leaves its rows to the next one);
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
_listener: asyncio.Task[None] | None = None
CHANNEL = "jiefen_outbox"  # the outbox_job trigger's (core_2026_11_23t19_00_00 migration)


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
    from core.db import is_sqlite

    if not is_sqlite():
        return await _relay_in_one_transaction(limit or job_settings().relay_batch)
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


async def _relay_in_one_transaction(limit: int) -> int:
    """PostgreSQL: the claim commits only after Redis took every row, so a relay killed in
    between (a worker stopped mid-pass) leaves its rows pending for the next relay, not
    claimed until the resend ``resend_after`` later. Rows another relay holds are skipped.
    A job that starts before the commit waits for it on the row (core.jobs.execute)."""
    now = datetime.now(UTC)
    async with write_transaction():
        locked = await (
            OutboxJob.select(OutboxJob.id).where(_claimable(now)).order_by(OutboxJob.id).limit(limit).lock_rows(skip_locked=True)
        )
        if not locked:
            return 0
        rows = await (
            OutboxJob.update({OutboxJob.status: "enqueued", OutboxJob.enqueued_at: now})
            .where(OutboxJob.id.is_in([r["id"] for r in locked]))
            .returning(OutboxJob.id, OutboxJob.job)
        )
        try:
            pool = await get_pool()
            for row in sorted(rows, key=lambda r: r["id"]):
                # None means arq already has this job id: it is queued, running or finished.
                await pool.enqueue_job(row["job"], row["id"], _job_id=arq_job_id(row["id"]))
        except BaseException:
            await close_pool()
            raise  # the claim rolls back with the transaction
    return len(rows)


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


async def _listen() -> None:
    """Wake the relay on every NOTIFY of the outbox trigger. A lost connection (a database
    restart) is made again with backoff; meanwhile the relay still passes every
    ``relay_interval``, so nothing waits longer than that."""
    import asyncpg

    delay = 1.0
    while True:
        connection = None
        try:
            connection = await asyncpg.connect(get_settings().database_url)
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _c, lost=lost: lost.set())
            await connection.add_listener(CHANNEL, lambda *_args: kick())
            kick()  # rows committed while nobody listened
            delay = 1.0
            await lost.wait()
            log.warning("the outbox listener lost its database connection; listening again")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("cannot listen for outbox rows (%s: %s); the relay polls meanwhile", type(exc).__name__, exc)
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), 5)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 30.0)


def app_relays() -> bool:
    """Whether an app process (not a worker) should relay: always on SQLite, which has no
    NOTIFY to wake the workers; on PostgreSQL only when ``JIEFEN_JOBS_APP_RELAY`` says so."""
    from core.db import is_sqlite

    choice = job_settings().app_relay
    return is_sqlite() if choice is None else choice


def start() -> None:
    global _wake, _task, _listener
    if _task is not None:
        return
    from core.db import is_sqlite

    _wake = asyncio.Event()
    loop = asyncio.get_running_loop()
    _task = loop.create_task(_loop())
    if not is_sqlite():
        _listener = loop.create_task(_listen())


async def stop() -> None:
    global _wake, _task, _listener
    for task in (_listener, _task):
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    _task, _wake, _listener = None, None, None
    await close_pool()
