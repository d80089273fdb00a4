"""The deadline ladder (reminder, yellow, urge, red, supervise) and policy recomputation.

``deadline_ladder`` (cron, every minute) recomputes the running deadlines that are near or
past due and, for each step reached, inserts a ``deadline_step_fired`` row, unique on
(case, kind, due_at, step), with a ``deadline_step`` job in the same transaction: a step
fires once per due moment, and again only if an extension or a pause moved the due moment.
``deadline_step`` records urge and supervise on the case's timeline and tells the audiences.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from core.actors import SYSTEM
from core.cases.deadlines import POLICY_COLUMNS, compute_for_case, refresh_deadlines
from core.cases.tables import Case, Deadline
from core.db import write_transaction
from core.deadlines.policy import DEFAULT_LADDER
from core.deadlines.tables import DeadlinePolicyRule, DeadlineStepFired
from core.jobs.outbox import enqueue
from core.jobs.registry import job

# Steps written on the timeline (the others are messages and dashboard flags).
RECORDED_STEPS = ("urge", "supervise")
# Which message each step sends; any other step name uses the generic one.
STEP_MESSAGES = {"reminder": "deadline_reminder", "urge": "deadline_urge", "supervise": "deadline_supervise"}


async def _lead() -> timedelta:
    """How long before the due moment the earliest step of any policy fires."""
    offsets = [s.offset for s in DEFAULT_LADDER]
    for row in await DeadlinePolicyRule.select(DeadlinePolicyRule.steps).where(DeadlinePolicyRule.steps.is_not_null()):
        steps = json.loads(row["steps"]) if isinstance(row["steps"], str) else row["steps"]
        offsets += [timedelta(hours=float(s.get("offset_hours", 0))) for s in steps or []]
    return max(timedelta(0), -min(offsets, default=timedelta(0)))


async def fire_step(case_id: int, kind: str, due_at: datetime, step: Any) -> int | None:
    async with write_transaction():
        inserted = await DeadlineStepFired.insert(
            DeadlineStepFired(case_id=case_id, kind=kind, due_at=due_at, step=step.name, fire_at=step.fire_at)
        ).on_conflict(action="DO NOTHING").returning(DeadlineStepFired.id)
        if not inserted:
            return None
        fired_id = inserted[0]["id"]
        await enqueue(
            "deadline_step", {"fired_id": fired_id, "notify": list(step.notify)}, case_id=case_id,
            dedupe_key=f"ladder:{fired_id}",
        )
    return fired_id


async def scan(now: datetime | None = None, *, case_ids: list[int] | None = None) -> int:
    """Fire every reached step of every live deadline (or of ``case_ids`` only); returns how many fired."""
    now = now or datetime.now(UTC)
    horizon = now + await _lead()
    where = Deadline.state.is_in(["running", "overdue"]) & (Deadline.due_at <= horizon)
    if case_ids is not None:
        where &= Deadline.case.is_in(case_ids or [-1])
    rows = await Deadline.select(Deadline.case).where(where)
    fired = 0
    for case_id in sorted({r["case"] for r in rows}):
        case = await Case.select(*POLICY_COLUMNS).where(Case.id == case_id).first()
        for status in await compute_for_case(case, now):
            for step in status.steps_due(now):
                if await fire_step(case_id, status.kind, status.due_at, step):
                    fired += 1
    return fired


@job("deadline_ladder")
async def deadline_ladder(payload: dict[str, Any]) -> None:
    await scan()


@job("deadline_step")
async def deadline_step(payload: dict[str, Any]) -> None:
    from core.cases.service import record_action
    from core.notifications.jobs import tell_staff
    from core.notifications.messages import deadline_label, step_label
    from core.notifications.recipients import staff_for_all
    from core.settings import get_settings

    fired = await DeadlineStepFired.select().where(DeadlineStepFired.id == payload["fired_id"]).first()
    if fired is None:
        return
    if fired["step"] in RECORDED_STEPS and fired["event_id"] is None:
        async with write_transaction():
            # The claim (0 = being recorded) serialises two runs of this job on the row.
            claimed = await DeadlineStepFired.update({DeadlineStepFired.event_id: 0}).where(
                (DeadlineStepFired.id == fired["id"]) & DeadlineStepFired.event_id.is_null()
            ).returning(DeadlineStepFired.id)
            if claimed:
                event = await record_action(fired["case_id"], "deadline_step", SYSTEM, {
                    "kind": fired["kind"], "step": fired["step"], "due_at": fired["due_at"], "fired_id": fired["id"],
                })
                await DeadlineStepFired.update({DeadlineStepFired.event_id: event["id"]}).where(DeadlineStepFired.id == fired["id"])
    if fired["step"] == "reminder" and fired["fired_at"] > fired["due_at"]:
        return  # found only after the deadline passed: the urge says it now
    case = await Case.select().where(Case.id == fired["case_id"]).first()
    due = f"{fired['due_at'].astimezone(get_settings().zone):%Y-%m-%d %H:%M}"

    def params(locale: str) -> dict[str, Any]:
        return {
            "number": case["number"], "deadline": deadline_label(fired["kind"], locale),
            "step": step_label(fired["step"], locale), "due": due,
        }

    users = await staff_for_all(payload.get("notify", []), case)
    await tell_staff(case, users, STEP_MESSAGES.get(fired["step"], "deadline_step"), f"ladder:{fired['id']}", params)


@job("recompute_deadlines")
async def recompute_deadlines(payload: dict[str, Any]) -> None:
    """After a policy change: every open case in the subtree gets its deadlines recomputed."""
    from core.cases.lifecycle import FINAL

    prefix = payload.get("org_path", "/")
    rows = await Case.select(Case.id).where(Case.org_path.like(prefix + "%") & Case.state.not_in(list(FINAL)))
    for row in rows:
        async with write_transaction():
            await refresh_deadlines(row["id"])
