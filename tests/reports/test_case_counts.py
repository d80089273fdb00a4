"""The dashboard's case counts (core/reports/counts.py) equal a GROUP BY over the cases after
every kind of write: intake, transitions that change state, type, risk or the handling body, a
case seeded or deleted outside the lifecycle, concurrent transitions, folds and a rebuild."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest

from core.auth.service import actor_for_user
from core.cases.lifecycle import transition
from core.cases.tables import Case
from core.reports import counts
from tests.factories import Town, make_town
from tests.reports.helpers import intake, orgs, pool_race

pytestmark = pytest.mark.db


async def _grouped(path: str) -> Counter[tuple[str, str, str]]:
    """The cases whose paths (or assisting units' paths) lie under ``path``, grouped."""
    rows = await Case.select()
    return Counter(
        (r["state"], r["dispute_type"], r["risk_level"]) for r in rows
        if any(p.startswith(path) for p in [r["org_path"], r["place_path"], r["assigned_org_path"],
                                             *(r.get("assisting_paths") or "").split()])
    )


async def _counted(org_id: int) -> Counter[tuple[str, str, str]]:
    return Counter({(r["state"], r["dispute_type"], r["risk_level"]): r["n"] for r in await counts.subtree_counts(org_id)})


async def assert_exact(town: Town) -> None:
    for org in orgs(town):
        assert await _counted(org["id"]) == await _grouped(org["path"]), org["name"]


async def test_counts_follow_every_write_fold_and_rebuild() -> None:
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    first = await intake(town, desk)
    second = await intake(town, desk, accept_now=True, rights_notified=True, consent=True)
    await assert_exact(town)
    assert (await _counted(town.county["id"]))[("submitted", "labour", "low")] == 1

    # Type and risk corrected at acceptance; then dispatched to the department (a new path).
    await transition(first, "accept", desk, {"rights_notified": True, "consent": True, "dispute_type": "neighbour", "risk_level": "high"})
    await transition(first, "dispatch", desk, {"organisation_id": town.labour_dept["id"], "to_pool": True})
    await transition(second, "set_risk", desk, {"risk_level": "medium"})
    if any(c._meta.name == "assisting_paths" for c in Case._meta.columns):
        # The village assists the department's case: it sees it, so it counts it.
        await transition(first, "add_assisting_unit", desk, {"organisation_id": town.villages[1]["id"]})
        assert (await _counted(town.villages[1]["id"]))[("assigned", "neighbour", "high")] == 1
    await transition(second, "withdraw", desk, {"reason": "已和解"})
    await assert_exact(town)
    assert (await _counted(town.labour_dept["id"]))[("assigned", "neighbour", "high")] == 1
    assert sum((await _counted(town.villages[1]["id"])).values()) <= 1

    # Outside the lifecycle: a case seeded straight into a state, one moved, one deleted.
    now = datetime.now(UTC)
    seeded = (await Case.insert(Case(
        number=f"C-{uuid.uuid4().hex[:10]}", channel="walk_in", dispute_type="debt", state="in_mediation", risk_level="medium",
        org=town.town["id"], org_path=town.town["path"], place=town.villages[1]["id"], place_path=town.villages[1]["path"],
        submitted_at=now, updated_at=now,
    )).returning(Case.id))[0]["id"]
    await assert_exact(town)
    await Case.update({Case.place_path: town.villages[0]["path"], Case.next_due_at: now}).where(Case.id == seeded)
    await assert_exact(town)
    await Case.delete().where(Case.id == seeded)
    await assert_exact(town)

    assert await counts.fold() > 0
    await assert_exact(town)
    assert await counts.fold() == 0  # nothing left to fold
    await intake(town, desk)  # deltas on top of folded counts
    await assert_exact(town)

    assert await counts.rebuild() > 0
    await assert_exact(town)


@pytest.mark.slow
async def test_concurrent_transitions_keep_counts_exact() -> None:
    """Many writers at once (on PostgreSQL truly concurrent transactions), folds in between."""
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    ids = await asyncio.gather(*[
        intake(town, desk, accept_now=True, rights_notified=True, consent=True, risk_level=("low", "high")[i % 2])
        for i in range(16)
    ])
    await assert_exact(town)

    async def then(cid: int, i: int) -> None:
        if i % 3 == 0:
            await transition(cid, "set_risk", desk, {"risk_level": "medium"})
        if i % 2 == 0:
            await transition(cid, "withdraw", desk, {"reason": "撤回"})

    # Eight intakes beside the race.
    await pool_race(town, desk, ids, fold=counts.fold, then=then, beside=tuple(intake(town, desk) for _ in range(8)))
    await assert_exact(town)
    dept = await _counted(town.labour_dept["id"])
    assert sum(n for (state, _, _), n in dept.items() if state == "withdrawn") == 8
    await counts.fold()
    await assert_exact(town)
