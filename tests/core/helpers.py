"""Shared helpers for the core's tests: actors for every role, cases seeded straight into a
state, and a transaction that always rolls back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from core.actors import Actor
from core.auth.service import actor_for_user
from core.cases.tables import Case, CaseEvent, Party
from core.db import write_transaction
from tests.factories import Town, make_user

ROLES = ("window_staff", "mediator", "handler", "supervisor", "admin", "grid_worker", "party")


async def role_actors(town: Town) -> dict[str, Actor]:
    """One staff actor per role, all at the town (so each sees the town's cases); the
    mediator is ``mediator0`` of the town's committee, whom seeded cases are assigned to."""
    users = {
        "window_staff": town.users["window"],
        "mediator": town.users["mediator0"],
        "handler": town.users.get("town_handler") or await make_user(town.town, ["handler"], "镇综治办"),
        "supervisor": town.users["supervisor"],
        "admin": town.users.get("admin") or await make_user(town.town, ["admin"], "管理员"),
        "grid_worker": town.users.get("grid") or await make_user(town.town, ["grid_worker"], "网格员"),
    }
    town.users["town_handler"], town.users["admin"], town.users["grid"] = users["handler"], users["admin"], users["grid_worker"]
    actors = {}
    for role, user in users.items():
        actor = await actor_for_user(user["id"])
        assert actor is not None
        actors[role] = actor
    return actors


def party_actor(case_id: int) -> Actor:
    return Actor(kind="party", roles=frozenset({"party"}), case_id=case_id, name="party")


async def seed_case(town: Town, state: str, **over: Any) -> dict[str, Any]:
    """A case put straight into ``state`` (no events), assigned to mediator0 at the committee,
    with three sessions held at the town level so escalation is allowed."""
    now = datetime.now(UTC)
    values: dict[str, Any] = dict(
        number=f"T-{uuid.uuid4().hex[:12]}", channel="walk_in", dispute_type="labour", description="欠薪",
        state=state, risk_level="medium", org=town.town["id"], org_path=town.town["path"],
        place=town.villages[0]["id"], place_path=town.villages[0]["path"],
        assigned_org=town.committee["id"], assigned_org_path=town.committee["path"],
        assignee=town.users["mediator0"]["id"], attempts_at_level=3, submitted_at=now, updated_at=now,
    )
    values.update(over)
    row = (await Case.insert(Case(**values)).returning(*Case.all_columns()))[0]
    await Party.insert(
        Party(case=row["id"], role="applicant", name="张三", phone="13800138000", id_number="44190019900101123X"),
        Party(case=row["id"], role="respondent", kind="company", name="某某制衣厂", phone="076988888888"),
    )
    return row


class Rollback(Exception):
    pass


@asynccontextmanager
async def rolled_back() -> AsyncIterator[Any]:
    """Everything inside (transition() joins this transaction) is undone at the end."""
    try:
        async with write_transaction() as txn:
            yield txn
            raise Rollback
    except Rollback:
        pass


async def event_count(case_id: int) -> int:
    return await CaseEvent.count().where(CaseEvent.case == case_id)


async def case_row(case_id: int) -> dict[str, Any]:
    # Raw SQL: building a 45-column select is most of the cost of a read with Piccolo.
    rows = await Case.raw("SELECT * FROM dispute_case WHERE id = {}", case_id)
    return rows[0]
