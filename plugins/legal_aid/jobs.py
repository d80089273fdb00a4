"""Background work: the centre's decision deadline (urge, then return), and the messages the
plugin sends (English ids, translated by ``locale/``; no personal data in them)."""

from __future__ import annotations

from typing import Any


async def deadlines(payload: dict[str, Any]) -> dict[str, int]:
    """Cron: urge the centres whose deadline passed; return what stays unanswered after the
    grace period (towns where the plugin is off are skipped)."""
    from plugins.legal_aid.services import check_deadlines

    return await check_deadlines()


JOBS = {"legal_aid_deadlines": deadlines}
# Every hour at :13, local time.
CRON = [{"name": "legal_aid_deadlines", "job": "legal_aid_deadlines", "minute": {13}}]

MESSAGES = {
    "legal_aid_handoff": ("New legal-aid handoff", "Case {number}: {count} applicant(s) handed to your centre for legal aid."),
    "legal_aid_urge": ("Legal-aid decision overdue", "Case {number}: the deadline to decide on legal aid has passed. Please decide now."),
    "legal_aid_accepted": ("Legal aid granted", "Case {number}: the legal-aid centre accepted the handoff."),
    "legal_aid_declined": ("Legal aid declined", "Case {number}: the legal-aid centre declined the handoff; the case is back with you."),
    "legal_aid_returned": ("Legal-aid handoff returned", "Case {number}: the legal-aid centre did not decide in time; the case is back with you."),
    "legal_aid_outcome": ("Legal-aid outcome", "Case {number}: the legal-aid centre reported the outcome."),
}
