"""Shared by the retention tests here and elsewhere (core remarks, the plugins' anonymise hook)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.jobs.tables import OutboxJob
from tests.agreements.helpers import run_jobs


async def jobs_long_run(case_id: int) -> None:
    """A case's outbox work as it stands years after it ended: every job ran, even one held back
    (a party's message waits out the quiet hours). Retention defers a case with jobs to run."""
    in_flight = (OutboxJob.case_id == case_id) & OutboxJob.status.is_in(["pending", "enqueued", "running"])
    for _ in range(5):  # a job may queue another (an event's notice, then its messages)
        await OutboxJob.update({OutboxJob.available_at: datetime.now(UTC)}).where(in_flight)
        await run_jobs()
        if not await OutboxJob.exists().where(in_flight):
            return
    raise AssertionError(await OutboxJob.select(OutboxJob.job, OutboxJob.status).where(in_flight))
