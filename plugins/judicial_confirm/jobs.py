"""Background work: the reminders before the 30-day window closes (queued for their moment when
the window opens), and an hourly sweep that catches up on reminders, closes lapsed windows and
notes courts late to accept."""

from __future__ import annotations

from typing import Any

from plugins.judicial_confirm import services

REMIND = "judicial_confirm_remind"
SWEEP = "judicial_confirm_sweep"


async def remind(payload: dict[str, Any]) -> bool:
    """Idempotent: a mark already reminded, or a window no longer open, does nothing. The host
    skips it for a case of a town where the plugin is off (the payload names the case)."""
    return await services.remind(int(payload["application_id"]))


async def sweep(payload: dict[str, Any]) -> dict[str, int]:
    return await services.sweep()


JOBS = {REMIND: remind, SWEEP: sweep}
CRON = [{"name": SWEEP, "job": SWEEP, "minute": {7}}]

# To whoever applied and the case's handler, when the court rules or asks for material.
MESSAGES = {
    "judicial_confirm_confirmed": (
        "Court confirmed the agreement",
        "Case {number}: the court confirmed the agreement ({court_case_number}); it can now be enforced.",
    ),
    "judicial_confirm_rejected": (
        "Court did not confirm the agreement",
        "Case {number}: the court did not confirm the agreement ({court_case_number}); {next_step}.",
    ),
    "judicial_confirm_material_requested": (
        "Court asks for material", "Case {number}: the court asks for more material ({material}) for the judicial confirmation.",
    ),
}
