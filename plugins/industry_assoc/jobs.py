"""Background work: transfers nobody answered in time go back to the centre, urged; and the
messages the plugin sends (English ids, translated by ``locale/``; no personal data in them)."""

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

# To the centre's user who transferred the case, when the association answers or finishes.
MESSAGES = {
    "industry_assoc_accepted": (
        "Association accepted the case", "Case {number}: {association} accepted the transfer and mediates the case now.",
    ),
    "industry_assoc_declined": (
        "Association declined the case", "Case {number}: {association} declined the transfer; the case is back with the centre.",
    ),
    "industry_assoc_returned": (
        "Association returned the case", "Case {number}: {association} handed the case back to the centre unresolved.",
    ),
    "industry_assoc_concluded": (
        "Association's mediation ended", "Case {number}: {association} ended its mediation: {outcome}.",
    ),
}
