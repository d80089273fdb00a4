"""The dashboard's overdue figure from the kept due counts (core/reports/due_counts.py) equals
the live count over the cases — at several clocks, including inside and on the edge of the
current hour — after every kind of write: intake, transitions that change the state or the
handling body, an assisting unit, a deadline moved, cases seeded, moved, closed and deleted
outside the lifecycle, concurrent transitions, folds and a rebuild."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.actors import Actor
from core.auth.service import actor_for_user
from core.cases.lifecycle import FINAL, transition
from core.cases.tables import Case
from core.reports import due_counts
from tests.factories import Town, make_town
from tests.reports.helpers import intake, orgs, pool_race
from web.supervision.figures import dashboard_figures, supervisor_for

pytestmark = pytest.mark.db

# The clocks compared: now's hour bucket splits into kept hours and a live part.
NOW = datetime.now(UTC)
HOUR = due_counts.hour_start(due_counts.due_hour(NOW))
CLOCKS = (NOW, HOUR, HOUR + timedelta(minutes=30), NOW - timedelta(days=2), NOW + timedelta(days=40))


def _paths(r: dict[str, Any]) -> list[str]:
    return [r["org_path"], r["place_path"] or "", r["assigned_org_path"] or "", *(r.get("assisting_paths") or "").split()]


async def _due_before(path: str, hour: int) -> Counter[str]:
    """Open cases under ``path`` by state whose deadline's hour lies before ``hour``, in Python."""
    return Counter(
        r["state"] for r in await Case.select()
        if r["state"] not in FINAL and r["next_due_at"] is not None and due_counts.due_hour(r["next_due_at"]) < hour
        and any(p.startswith(path) for p in _paths(r))
    )


async def assert_exact(town: Town) -> int:
    """Kept rows against Python, and the dashboard's overdue (kept) against the live query, for
    three scopes at every clock; returns the county's overdue count now."""
    for at in CLOCKS:
        for org in orgs(town):
            kept = await due_counts.overdue_before(org["id"], due_counts.due_hour(at))
            assert kept == await _due_before(org["path"], due_counts.due_hour(at)), (org["name"], at)
    county = supervisor_for(town.county)
    for actor, org_path in ((county, None), (supervisor_for(town.town), None), (county, town.villages[0]["path"])):
        for at in CLOCKS:
            kept = await dashboard_figures(actor, org_path=org_path, period="30d", now=at)
            live = await dashboard_figures(actor, org_path=org_path, period="30d", now=at, kept=False)
            where = f"{org_path or actor.org_path} at {at}"
            assert (kept.overdue, kept.overdue_by_state) == (live.overdue, live.overdue_by_state), where
    return (await dashboard_figures(county, period="30d", now=NOW)).overdue


async def _intake(town: Town, desk: Actor, **over: Any) -> int:
    return await intake(town, desk, channel="online", **over)


async def _seed(town: Town, *, village: int, next_due_at: datetime | None, state: str = "in_mediation", **over: Any) -> int:
    place = town.villages[village]
    row = Case(**{
        "number": f"C-{uuid.uuid4().hex[:10]}", "channel": "walk_in", "dispute_type": "debt", "state": state,
        "risk_level": "medium", "org": town.town["id"], "org_path": town.town["path"], "place": place["id"],
        "place_path": place["path"], "submitted_at": NOW - timedelta(days=20), "updated_at": NOW,
        "next_due_at": next_due_at, **over,
    })
    return (await Case.insert(row).returning(Case.id))[0]["id"]


async def test_overdue_follows_every_write_fold_and_rebuild() -> None:
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    first = await _intake(town, desk)
    second = await _intake(town, desk, accept_now=True, rights_notified=True, consent=True)
    assert await assert_exact(town) == 0
    assert (await Case.select(Case.next_due_at).where(Case.id == first).first())["next_due_at"] is not None

    # Due in every part of the clock: an hour ago, this hour's first instant, ten minutes into
    # it, late in it, next week; and a case with no deadline.
    late = await _seed(town, village=0, next_due_at=HOUR - timedelta(minutes=1))
    edge = await _seed(town, village=1, next_due_at=HOUR, state="assigned")
    inside = await _seed(town, village=0, next_due_at=HOUR + timedelta(minutes=10), state="submitted")
    await _seed(town, village=1, next_due_at=HOUR + timedelta(minutes=50))
    await _seed(town, village=0, next_due_at=NOW + timedelta(days=7))
    await _seed(town, village=0, next_due_at=None)
    overdue = await assert_exact(town)
    assert overdue == 1 + (HOUR < NOW) + (HOUR + timedelta(minutes=10) < NOW) + (HOUR + timedelta(minutes=50) < NOW)
    assert (await due_counts.overdue_before(town.county["id"], due_counts.due_hour(NOW)))["in_mediation"] == 1

    # The lifecycle: accepted, dispatched to the department (a new path), assisted, withdrawn.
    await transition(first, "accept", desk, {"rights_notified": True, "consent": True, "dispute_type": "neighbour"})
    await transition(first, "dispatch", desk, {"organisation_id": town.labour_dept["id"], "to_pool": True})
    if any(c._meta.name == "assisting_paths" for c in Case._meta.columns):
        await transition(first, "add_assisting_unit", desk, {"organisation_id": town.villages[1]["id"]})
    await transition(second, "withdraw", desk, {"reason": "已和解"})
    await assert_exact(town)

    # Outside the lifecycle: deadlines moved across hours, a move, a close, a deletion.
    await Case.update({Case.next_due_at: NOW - timedelta(days=3)}).where(Case.id == first)
    await Case.update({Case.next_due_at: HOUR + timedelta(minutes=59)}).where(Case.id == late)
    await Case.update({Case.place_path: town.villages[0]["path"], Case.state: "in_mediation"}).where(Case.id == edge)
    await assert_exact(town)
    await Case.update({Case.state: "closed", Case.closed_at: NOW}).where(Case.id == inside)
    await Case.update({Case.next_due_at: None}).where(Case.id == edge)
    await Case.delete().where(Case.id == late)
    await assert_exact(town)
    dept = await due_counts.overdue_before(town.labour_dept["id"], due_counts.due_hour(NOW))
    assert dept == Counter({"assigned": 1})  # the dispatched case, three days late

    assert await due_counts.fold() > 0
    await assert_exact(town)
    assert await due_counts.fold() == 0  # nothing left to fold
    await _seed(town, village=1, next_due_at=NOW - timedelta(hours=5))  # deltas on top of folded rows
    await assert_exact(town)

    assert await due_counts.rebuild() > 0
    assert await assert_exact(town) >= 2


@pytest.mark.slow
async def test_concurrent_transitions_keep_overdue_exact() -> None:
    """Many writers at once (truly concurrent on PostgreSQL), deadlines moved, folds between."""
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    ids = await asyncio.gather(*[
        _intake(town, desk, accept_now=True, rights_notified=True, consent=True) for _ in range(12)
    ])

    async def then(cid: int, i: int) -> None:
        if i % 2 == 0:
            await Case.update({Case.next_due_at: NOW - timedelta(hours=i + 1)}).where(Case.id == cid)
        if i % 3 == 0:
            await transition(cid, "withdraw", desk, {"reason": "撤回"})

    await pool_race(town, desk, ids, fold=due_counts.fold, then=then, name="超期")
    # Six moved into the past, two of them (i = 0, 6) then withdrawn.
    assert await assert_exact(town) == 4
    await due_counts.fold()
    assert await assert_exact(town) == 4
