"""Keep a case's deadlines in step with its events (the rules live in core.deadlines).

Every refresh recomputes from the whole timeline, so a changed policy or a corrected event
gives the right answer; ``case.next_due_at`` mirrors the earliest running deadline for
fast "overdue" filters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.cases.tables import Case, CaseEvent, Deadline
from core.db import insert_rows
from core.deadlines import Event, compute_deadlines
from core.deadlines.config import policies_for_case
from core.settings import get_settings

# What policies_for_case needs to know about a case.
POLICY_COLUMNS = (Case.id, Case.channel, Case.dispute_type, Case.org_path, Case.org.level.as_alias("org_level"))


async def case_events(case_id: int) -> list[Event]:
    import json

    rows = await CaseEvent.select(CaseEvent.name, CaseEvent.at, CaseEvent.from_state, CaseEvent.to_state, CaseEvent.payload).where(
        CaseEvent.case == case_id
    ).order_by(CaseEvent.seq)
    return [
        Event(name=r["name"], at=r["at"], from_state=r["from_state"], to_state=r["to_state"],
              payload=json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"])
        for r in rows
    ]


async def compute_for_case(case: dict[str, Any], now: datetime | None = None) -> list[Any]:
    """``case`` is a row selected with POLICY_COLUMNS (the town's policies decide)."""
    events = await case_events(case["id"])
    policies = await policies_for_case(case)
    return compute_deadlines(events, policies, now or datetime.now(UTC), tz=get_settings().zone)


async def refresh_deadlines(case_id: int) -> None:
    """Recompute in the caller's transaction (it holds the case's row lock)."""
    case = await Case.select(*POLICY_COLUMNS).where(Case.id == case_id).first()
    statuses = await compute_for_case(case)
    next_due = None
    kinds = [status.kind for status in statuses]
    # A kind a changed policy no longer applies to has no deadline any more.
    await Deadline.delete().where((Deadline.case == case_id) & Deadline.kind.not_in(kinds) if kinds else (Deadline.case == case_id))
    for status in statuses:
        values = {
            Deadline.started_at: status.started_at, Deadline.due_at: status.due_at, Deadline.state: status.state,
            Deadline.stopped_at: status.stopped_at, Deadline.extensions: status.extensions,
        }
        updated = await Deadline.update(values).where((Deadline.case == case_id) & (Deadline.kind == status.kind)).returning(Deadline.id)
        if not updated:
            await Deadline.insert(Deadline(case=case_id, kind=status.kind, **{c._meta.name: v for c, v in values.items()}))
        if status.live and (next_due is None or status.due_at < next_due):
            next_due = status.due_at
    await Case.update({Case.next_due_at: next_due}).where(Case.id == case_id)


async def first_deadlines(org: dict[str, Any], channel: str, dispute_type: str, event: Event, now: datetime) -> list[Any]:
    """The deadlines of a case whose only event is ``event`` (its submission), computed before
    the case is written: the same rules as :func:`refresh_deadlines`, without reading the case,
    its events or the deadlines it does not have yet (``org`` is the responsible organisation)."""
    from core import lookups
    from core.deadlines.config import resolve

    path = org.get("path") or ""
    rules = await lookups.policy_rules(path)
    policies = resolve(rules, path, dispute_type or "", org.get("level") or "", channel)
    return compute_deadlines([event], policies, now, tz=get_settings().zone)


def next_due(statuses: list[Any]) -> datetime | None:
    live = [s.due_at for s in statuses if s.live]
    return min(live) if live else None


async def insert_deadlines(case_id: int, statuses: list[Any]) -> None:
    """Write the deadlines of a case that has none yet (one statement)."""
    if statuses:
        await insert_rows(Deadline, [
            {"case": case_id, "kind": s.kind, "started_at": s.started_at, "due_at": s.due_at, "state": s.state,
             "stopped_at": s.stopped_at, "extensions": s.extensions}
            for s in statuses
        ])
