"""Hook specifications: everything a plugin can contribute.

Each hook says when it is called, what it gets, what it may return and what happens when it
raises. Hooks may return a value, a callable or an awaitable; the caller awaits what needs
awaiting. Hooks marked *firstresult* stop at the first non-None result; plugins registered
later are called first, so a town's plugin overrides a built-in default.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("jiefen")

# ---------------------------------------------------------------- lifecycle


@hookspec
def veto_transition(case: dict[str, Any], event: str, target: str | None, actor: Any, data: Any) -> str | None:
    """Called inside the transaction before an action is applied to a case of a town where the
    plugin is on. Return a reason (a string, shown to the user) to stop the action, or None.
    If the hook raises, the action is blocked with a message naming the plugin (fail closed)."""


@hookspec
def case_event(case: dict[str, Any], event: dict[str, Any]) -> None:
    """Called after an event is committed, from the job runner (never inside the transaction),
    for a case of a town where the plugin is on. ``event`` has name, from_state, to_state,
    payload, actor_label, at. If it raises, the error is logged with the plugin's name, the
    delivery is recorded as failed and can be retried; the case is never changed back."""


# ---------------------------------------------------------------- domain data


@hookspec
def dispute_types() -> list[dict[str, Any]]:
    """Called by ``jiefen migrate`` and ``seed``: dispute types to add to the taxonomy, each
    ``{"code", "label_zh", "label_en", "sensitive"}``. Existing codes are left as they are."""


@hookspec
def organisation_types() -> list[dict[str, Any]]:
    """Like :func:`dispute_types`, for organisation types: ``{"code", "label_zh", "label_en"}``."""


@hookspec
def roles() -> list[dict[str, Any]]:
    """Roles the plugin adds: ``{"code", "label_zh", "label_en", "description"}``."""


# ---------------------------------------------------------------- dispatch


@hookspec(firstresult=True)
def case_number(prefix: str, year: int, seq: int, case: dict[str, Any]) -> str | None:
    """Format a new case's number from the instance's prefix, the year and the next sequence
    number (allocated without gaps). *firstresult*. The built-in plugin uses
    ``JIEFEN_CASE_NUMBER_FORMAT``."""


@hookspec(firstresult=True)
def dispatch_target(case: dict[str, Any]) -> dict[str, Any] | None:
    """Choose where a case goes when dispatched "by rules": return ``{"organisation_id": int,
    "to_pool": bool, "reason": str}`` or None. *firstresult*. The built-in plugin applies the
    town's dispatch rules (dispute type → competent body, place → village committee)."""


@hookspec(firstresult=True)
def rank_mediators(case: dict[str, Any], candidates: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Order mediator candidates for a case. Each candidate has the roster row plus
    ``open_cases``; return the list, best first, each with ``score`` and ``reasons``
    (a list of short strings). *firstresult*. The built-in plugin ranks by specialty, load,
    grade and rating."""
