"""Message templates: English message ids, translated by the area's catalogue (locale/).

Each kind has a subject and a body; the body is what an SMS carries, so keep it short.
"""

from __future__ import annotations

from typing import Any

from core.i18n import gettext, label

TEMPLATES: dict[str, tuple[str, str]] = {
    # to parties
    "case_accepted": (
        "Your application was accepted",
        "Your dispute has been accepted. Case number: {number}. We will contact you soon.",
    ),
    "mediator_assigned": (
        "Your mediator",
        "Case {number} is handled by mediator {mediator}, phone {phone}.",
    ),
    "session_scheduled": (
        "Mediation session",
        "Case {number}: mediation session on {when} at {place} ({mode}). Add it to your calendar: {link}",
    ),
    "agreement_ready": (
        "Agreement ready to sign",
        "The mediation agreement of case {number} is ready. Please come to sign it.",
    ),
    "follow_up": (
        "Follow-up",
        "Thank you for the follow-up on case {number}. You are welcome to rate our service.",
    ),
    # to staff
    "case_assigned": ("New case", "Case {number} was assigned to you."),
    "case_urged": ("Urged", "Case {number} was urged. {message}"),
    "case_supervised": ("Under supervision", "Case {number} is under supervision. {message}"),
    "case_owned": ("Case ownership", "You now personally own case {number}."),
    "deadline_reminder": ("Deadline reminder", "Case {number}: the {deadline} deadline is at {due}."),
    "deadline_urge": ("Deadline reached", "Case {number}: the {deadline} deadline was reached at {due}. Please act now."),
    "deadline_supervise": (
        "Deadline overdue",
        "Case {number}: the {deadline} deadline passed at {due}; the level above now supervises it.",
    ),
    "deadline_step": ("Deadline", "Case {number}: {step} for the {deadline} deadline ({due})."),
}


def render(kind: str, locale: str, params: dict[str, Any]) -> tuple[str, str]:
    if kind in TEMPLATES:
        subject, body = TEMPLATES[kind]
    else:  # a plugin's own kind (hook notification_messages)
        from core.plugins.host import notification_messages

        subject, body = notification_messages()[kind]
    # Formatted here, not by gettext(**params): a param may be called "message".
    return gettext(subject, locale), gettext(body, locale).format(**params).strip()


def deadline_label(kind: str, locale: str) -> str:
    return label("deadline", kind, locale)


def step_label(step: str, locale: str) -> str:
    return label("ladder", step, locale)
