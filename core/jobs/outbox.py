"""Writing jobs into the outbox, inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.jobs.tables import OutboxJob


async def enqueue(
    job: str, payload: dict[str, Any], *, case_id: int | None = None,
    dedupe_key: str | None = None, available_at: datetime | None = None,
) -> int | None:
    """Add a job; with a dedupe key already present nothing is added and None is returned."""
    row = OutboxJob(
        job=job, payload=payload, case_id=case_id, dedupe_key=dedupe_key,
        available_at=available_at or datetime.now(UTC),
    )
    query = OutboxJob.insert(row)
    if dedupe_key is not None:
        query = query.on_conflict(action="DO NOTHING", target=OutboxJob.dedupe_key)
    inserted = await query.returning(OutboxJob.id)
    return inserted[0]["id"] if inserted else None
