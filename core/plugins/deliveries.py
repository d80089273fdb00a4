"""Deliveries of case events to plugin observers: one outbox row per (event, plugin).

A delivery whose observer raised stays in the outbox with the error naming the plugin: it is
``retrying`` while the runner backs off, ``failed`` after the last attempt. ``retry`` queues
failed ones again; the case itself was never changed back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from core.jobs.tables import OutboxJob

JOB = "deliver_event_to_plugin"


def _failed_filter() -> Any:
    # Waiting for another try (in-process: pending; with Redis: enqueued) after a failed one.
    return (OutboxJob.status == "failed") | (OutboxJob.status.is_in(["pending", "enqueued"]) & (OutboxJob.attempts > 0))


async def list_deliveries(*, failed: bool = False, plugin: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    query = OutboxJob.select(
        OutboxJob.id, OutboxJob.payload, OutboxJob.case_id, OutboxJob.status, OutboxJob.attempts,
        OutboxJob.last_error, OutboxJob.created_at, OutboxJob.available_at,
    ).where(OutboxJob.job == JOB)
    if failed:
        query = query.where(_failed_filter())
    rows = await query.order_by(OutboxJob.id, ascending=False).limit(limit)
    result = []
    for row in rows:
        payload = json.loads(row.pop("payload")) if isinstance(row["payload"], str) else row.pop("payload")
        if plugin and payload.get("plugin") != plugin:
            continue
        status = "retrying" if row["status"] in ("pending", "enqueued") and row["attempts"] > 0 else row["status"]
        result.append({**row, "status": status, "plugin": payload.get("plugin"), "event_id": payload.get("event_id")})
    return result


async def retry(ids: list[int] | None = None, *, plugin: str | None = None) -> int:
    """Queue failed deliveries again (the given ids, or all failed ones of ``plugin`` or of
    every plugin); returns how many."""
    chosen = [d["id"] for d in await list_deliveries(failed=True, plugin=plugin, limit=10_000)]
    if ids is not None:
        chosen = [i for i in chosen if i in set(ids)]
    if chosen:
        await OutboxJob.update(
            {OutboxJob.status: "pending", OutboxJob.attempts: 0, OutboxJob.available_at: datetime.now(UTC)}
        ).where(OutboxJob.id.is_in(chosen))
        from core.jobs.runner import kick

        kick()
    return len(chosen)
