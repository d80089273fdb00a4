"""Background work: transfers nobody answered in time go back to the centre, urged."""

from __future__ import annotations

from typing import Any

from plugins.industry_assoc import services

EXPIRE = "industry_assoc_expire"


async def expire(payload: dict[str, Any]) -> int:
    """Idempotent: a transfer already answered or expired is left alone."""
    return await services.expire_overdue()


JOBS = {EXPIRE: expire}
# Every five minutes: a transfer is back at the centre at most five minutes after its due time.
CRON = [{"name": EXPIRE, "job": EXPIRE, "minute": set(range(0, 60, 5))}]
