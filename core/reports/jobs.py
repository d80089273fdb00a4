"""The cron job that keeps the reports: each run fills in any complete period not kept yet."""

from __future__ import annotations

from typing import Any

from core.jobs.registry import job
from core.reports.service import compute_due


@job("compute_due_reports")
async def compute_due_reports(payload: dict[str, Any]) -> None:
    await compute_due()


@job("fold_case_counts")
async def fold_case_counts(payload: dict[str, Any]) -> None:
    from core.reports import counts, day_figures, due_counts

    await counts.fold()
    await day_figures.fold()
    await due_counts.fold()
