"""Queue failed outbox rows again (``jiefen jobs retry``)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import write_transaction
from core.jobs.tables import OutboxJob


async def retry_failed(ids: list[int] | None = None) -> int:
    where = OutboxJob.status == "failed"
    if ids is not None:
        where &= OutboxJob.id.is_in(ids)
    async with write_transaction():
        rows = await OutboxJob.update(
            {OutboxJob.status: "pending", OutboxJob.attempts: 0, OutboxJob.available_at: datetime.now(UTC)}
        ).where(where).returning(OutboxJob.id)
    return len(rows)
