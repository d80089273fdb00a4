"""Writing jobs into the outbox, inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.db import insert_rows
from core.jobs.tables import OutboxJob


async def enqueue(
    job: str, payload: dict[str, Any], *, case_id: int | None = None,
    dedupe_key: str | None = None, available_at: datetime | None = None,
) -> int | None:
    """Add a job; with a dedupe key already present nothing is added and None is returned."""
    # Through the lean insert: every intake and every action writes here.
    inserted = await insert_rows(
        OutboxJob,
        [{"job": job, "payload": payload, "case_id": case_id, "dedupe_key": dedupe_key,
          "available_at": available_at or datetime.now(UTC)}],
        returning=("id",), skip_conflict_on="dedupe_key" if dedupe_key is not None else None,
    )
    return inserted[0]["id"] if inserted else None
