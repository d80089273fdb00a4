"""The nightly retention run (cron entry ``retention`` when ``JIEFEN_RETENTION_NIGHTLY`` is on)."""

from __future__ import annotations

import logging
from typing import Any

from core.jobs.registry import job

log = logging.getLogger("jiefen.retention")


@job("retention_run")
async def retention_run(payload: dict[str, Any]) -> None:
    from core.privacy.retention import run
    from core.privacy.settings import privacy_settings

    if not privacy_settings().retention_nightly:
        return
    # Idempotent: a case done once is skipped, so a retried or doubled run changes nothing.
    result = await run()
    log.info("retention: %d anonymised, %d failed, %d files removed", len(result.anonymised), len(result.failed), result.files_removed)
    for failed in result.failed:
        log.error("retention: case %s (%s) failed: %s", failed["id"], failed["number"], failed["error"])
    for waiting in result.deferred:
        log.warning("retention: case %s (%s) deferred, jobs not finished: %s", waiting["id"], waiting["number"], ", ".join(waiting["jobs"]))
