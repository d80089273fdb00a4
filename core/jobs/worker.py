"""``jiefen worker``: the arq worker. Every registered job (core and plugins) is an arq
function that runs its outbox row; arq's cron ticks the periodic entries; the relay runs
here too, so a deployment of app + worker drains the outbox even if no request arrives.

arq keeps a job "in progress" for ``JIEFEN_JOBS_TIMEOUT`` + 15 s: a worker killed mid-job
leaves the job in the queue, and the next worker takes it once that lapses. Results are not
kept (the outbox row is the record), so a failed row queued again by a person gets through.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from core.jobs.settings import job_settings

log = logging.getLogger("jiefen.jobs.worker")
ARQ_TIMEOUT_MARGIN = 5.0


def _function(name: str) -> Any:
    from core.jobs.execute import run_from_queue

    async def run(ctx: dict[str, Any], row_id: int) -> str:
        return await run_from_queue(row_id, ctx.get("job_try", 1), job_settings().max_tries)

    run.__qualname__ = run.__name__ = name
    return run


def _ticker(entry: Any) -> Any:
    async def tick(ctx: dict[str, Any]) -> None:
        from core.jobs import cron, relay
        from core.settings import get_settings

        await cron.fire(entry, datetime.now(get_settings().zone))
        relay.kick()

    tick.__qualname__ = tick.__name__ = f"cron_{entry.name}"
    return tick


async def _startup(ctx: dict[str, Any]) -> None:
    from core import db
    from core.jobs import relay

    await db.startup()
    relay.start()


async def _shutdown(ctx: dict[str, Any]) -> None:
    from core import db
    from core.jobs import relay

    await relay.stop()
    await db.shutdown()


def worker_settings() -> dict[str, Any]:
    from arq import cron, func
    from arq.connections import RedisSettings

    import core.cases.effects  # noqa: F401  (jobs call the lifecycle)
    from core.jobs import cron as entries
    from core.jobs.registry import load_jobs
    from core.plugins.host import boot
    from core.settings import get_settings

    settings, jobs = get_settings(), job_settings()
    if not settings.redis_url:
        raise SystemExit("jiefen worker needs JIEFEN_REDIS_URL; without it the app runs jobs in-process")
    boot()  # as the app does: plugin settings, jobs and catalogues
    functions = [func(_function(name), name=name, max_tries=jobs.max_tries + 1) for name in sorted(load_jobs())]
    crons = []
    if jobs.cron:
        def arq_set(values):  # arq's cron takes int, set, list or tuple, never frozenset
            return None if values is None else set(values)

        crons = [
            cron(_ticker(e), name=f"cron:{e.name}", minute=arq_set(e.minute), hour=arq_set(e.hour),
                 weekday=arq_set(e.weekday), day=arq_set(e.day), max_tries=1)
            for e in entries.entries()
        ]
    return {
        "functions": functions, "cron_jobs": crons, "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        # The job's own limit (execute.run_from_queue) fires first and keeps the row for a retry;
        # arq's, a little later, only guards against a job that ignores cancellation.
        "queue_name": jobs.queue, "job_timeout": jobs.timeout + ARQ_TIMEOUT_MARGIN, "max_tries": jobs.max_tries + 1,
        "on_startup": _startup, "on_shutdown": _shutdown, "timezone": settings.zone, "keep_result": 0,
    }


def run_worker() -> None:
    """Run until stopped; when Redis goes away, start again with backoff instead of exiting."""
    import time

    from arq.worker import create_worker
    from redis.exceptions import RedisError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings, delay = worker_settings(), 1.0
    while True:
        try:
            create_worker(settings).run()
            return  # stopped by a signal
        except (OSError, RedisError) as exc:
            log.warning("lost Redis (%s); the worker starts again in %.0f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
