"""Health for load balancers and monitors: public, no personal data, no login.

``GET /health``: the process answers (liveness; touches nothing else).
``GET /health/ready``: the database answers, Redis answers when ``JIEFEN_REDIS_URL`` is set,
and how old the outbox backlog is. 200 when the database (and Redis) answer, else 503; the
backlog is reported, not judged (a monitor alerts on ``oldest_seconds``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec

from core.api.responses import Check, Liveness, Readiness
from core.settings import get_settings

CHECK_TIMEOUT = 3.0


@get("/health", summary="Liveness: the process answers", tags=["health"])
async def health() -> Liveness:
    return {"status": "ok"}


async def _database() -> Check:
    from core.db import engine

    try:
        await asyncio.wait_for(engine().run_querystring(_select_one()), CHECK_TIMEOUT)
    except Exception as exc:  # any failure means "not ready"; the kind is enough to act on
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _select_one() -> Any:
    from piccolo.querystring import QueryString

    return QueryString("SELECT 1")


async def _redis(url: str) -> Check:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)
    try:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        await client.aclose()
    return {"ok": True}


async def _outbox() -> Check:
    """Rows due and not finished: how many, and how long the oldest has waited."""
    from core.jobs.tables import OutboxJob

    now = datetime.now(UTC)
    waiting = (OutboxJob.status.is_in(["enqueued", "running"])) | ((OutboxJob.status == "pending") & (OutboxJob.available_at <= now))
    try:
        count = await asyncio.wait_for(OutboxJob.count().where(waiting), CHECK_TIMEOUT)
        oldest = await asyncio.wait_for(
            OutboxJob.select(OutboxJob.available_at).where(waiting).order_by(OutboxJob.available_at).first(), CHECK_TIMEOUT,
        )
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    age = (now - oldest["available_at"]).total_seconds() if oldest else 0.0
    return {"ok": True, "waiting": count, "oldest_seconds": round(max(age, 0.0), 1), "failed_for_good": await _failed()}


async def _failed() -> int:
    from core.jobs.tables import OutboxJob

    return await OutboxJob.count().where(OutboxJob.status == "failed")


@get(
    "/health/ready", summary="Readiness: database, Redis, outbox backlog", tags=["health"],
    responses={503: ResponseSpec(Readiness, description="The database or Redis does not answer", generate_examples=False)},
)
async def ready() -> Response[Readiness]:
    redis_url = get_settings().redis_url
    database = await _database()
    redis: Check = await _redis(redis_url) if redis_url else {"ok": True, "configured": False}
    outbox: Check = await _outbox() if database["ok"] else {"ok": False}
    up = database["ok"] and redis["ok"]
    body: Readiness = {"status": "ok" if up else "unavailable", "checks": {"database": database, "redis": redis, "outbox": outbox}}
    return Response(body, status_code=200 if up else 503)


ROUTES = [health, ready]
