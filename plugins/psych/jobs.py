"""Background work: the follow-up schedule of yellow and red referrals, and the messages the
plugin sends (English ids, translated by ``locale/``; no personal data in them)."""

from __future__ import annotations

from typing import Any


async def follow_ups(payload: dict[str, Any]) -> int:
    """Cron: make the follow-ups that have come due (towns where the plugin is off wait)."""
    from plugins.psych.services import make_follow_ups_due

    return await make_follow_ups_due()


JOBS = {"psych_follow_ups": follow_ups}
# Every hour at :07, local time.
CRON = [{"name": "psych_follow_ups", "job": "psych_follow_ups", "minute": {7}}]

MESSAGES = {
    "psych_crisis": (
        "Crisis alert",
        "Crisis alert: a party of case {number} was graded red in counselling. Please act at once.",
    ),
    "psych_referral": ("New counselling referral", "Case {number}: a party was referred to you for counselling."),
    "psych_follow_up_due": ("Follow-up due", "Case {number}: a counselling follow-up is due."),
}
