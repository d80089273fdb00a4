"""The dashboard's kept period figures (core/reports/day_figures.py) and its overdue count
(core/reports/due_counts.py) equal the live queries of web/supervision/figures.py — window,
daily intake, hot spots and overdue, for a county, a town and a village — after intakes,
transitions, cases seeded in the past (as the demo and the generator do, across a local
midnight), backdating, closing with an outcome, a delete, folds and a rebuild."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.actors import Actor
from core.auth.service import actor_for_user
from core.cases.lifecycle import transition
from core.cases.tables import Case
from core.reports import day_figures
from tests.factories import Town, make_town
from tests.reports.helpers import intake
from web.supervision.figures import PERIODS, dashboard_figures, supervisor_for

pytestmark = pytest.mark.db

EXACT = ("submitted", "accepted", "closed", "agreed", "failed", "contacted", "closed_timed", "daily", "hot_spots",
         "success_rate", "closure_rate", "overdue", "overdue_by_state")


async def assert_kept_equals_live(town: Town) -> int:
    """Compares every period for three scopes; returns how many cases the county's year held."""
    county = supervisor_for(town.county)
    scopes: list[tuple[Actor, str | None]] = [
        (county, None), (supervisor_for(town.town), None), (county, town.villages[0]["path"]),
    ]
    for actor, org_path in scopes:
        for period in PERIODS:
            kept = await dashboard_figures(actor, org_path=org_path, period=period)
            live = await dashboard_figures(actor, org_path=org_path, period=period, now=kept.now, kept=False)
            where = f"{org_path or actor.org_path} {period}"
            for name in EXACT:
                assert getattr(kept, name) == getattr(live, name), f"{where}: {name}"
            for name in ("avg_hours_to_first_contact", "avg_hours_to_close"):
                expected = getattr(live, name)
                if expected is None:
                    assert getattr(kept, name) is None, f"{where}: {name}"
                else:
                    assert getattr(kept, name) == pytest.approx(expected, rel=1e-9), f"{where}: {name}"
    return (await dashboard_figures(county, period="all")).submitted


async def _seed(town: Town, *, village: int, submitted_at: datetime, **over: Any) -> int:
    place = town.villages[village]
    row = Case(**{
        "number": f"C-{uuid.uuid4().hex[:10]}", "channel": "walk_in", "dispute_type": "debt", "state": "in_mediation",
        "risk_level": "high", "org": town.town["id"], "org_path": town.town["path"], "place": place["id"],
        "place_path": place["path"], "submitted_at": submitted_at, "updated_at": submitted_at, **over,
    })
    return (await Case.insert(row).returning(Case.id))[0]["id"]


async def test_kept_period_figures_equal_the_live_queries() -> None:
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    now = datetime.now(UTC)
    first = await intake(town, desk)
    second = await intake(town, desk, accept_now=True, rights_notified=True, consent=True, risk_level="high")
    assert await assert_kept_equals_live(town) == 2

    await transition(first, "accept", desk, {"rights_notified": True, "consent": True, "dispute_type": "neighbour"})
    await transition(first, "dispatch", desk, {"organisation_id": town.labour_dept["id"], "to_pool": True})
    await transition(second, "withdraw", desk, {"reason": "已和解"})
    # Seeded in the past like the demo's cases: 16:30 UTC is 00:30 the next day in Shanghai.
    midnight = (now - timedelta(days=3)).replace(hour=16, minute=30, second=0, microsecond=0)
    agreed = await _seed(
        town, village=1, submitted_at=midnight, state="closed", outcome="agreed", registered_at=midnight,
        first_contact_at=midnight + timedelta(hours=5, minutes=7), closed_at=midnight + timedelta(days=2, hours=1),
    )
    failed = await _seed(
        town, village=1, submitted_at=now - timedelta(days=45), state="failed", outcome="failed",
        registered_at=now - timedelta(days=44), first_contact_at=now - timedelta(days=44, hours=3),
    )
    old = await _seed(town, village=0, submitted_at=now - timedelta(days=400), state="closed", outcome="merged",
                      registered_at=now - timedelta(days=399), closed_at=now - timedelta(days=398))
    await _seed(town, village=1, submitted_at=now - timedelta(days=10), next_due_at=now - timedelta(days=1))
    await assert_kept_equals_live(town)

    # Changes outside the lifecycle: backdated into another window, a place moved, a deletion.
    await Case.update({Case.submitted_at: now - timedelta(days=100)}).where(Case.id == agreed)
    await Case.update({Case.place: town.villages[0]["id"], Case.place_path: town.villages[0]["path"],
                       Case.risk_level: "low"}).where(Case.id == failed)
    await Case.update({Case.state: "closed", Case.closed_at: now}).where(Case.id == failed)
    await Case.delete().where(Case.id == old)
    await assert_kept_equals_live(town)

    assert await day_figures.fold() > 0
    assert await assert_kept_equals_live(town) == 5
    assert await day_figures.fold() == 0
    await intake(town, desk, dispute_type="debt")  # deltas on top of folded rows
    await assert_kept_equals_live(town)
    # The county's rows are really there (the comparison is not the live path twice).
    kept = await day_figures.window(town.county["id"], None)
    assert int(kept["submitted"]) == 6 and int(kept["agreed"]) == 1
    totals, places = await day_figures.window_and_places(town.county["id"], None)
    assert totals == pytest.approx({k: float(v or 0) for k, v in kept.items()}, rel=1e-9)
    assert sum(int(r["submitted"]) for r in places) == 6
    assert (await dashboard_figures(supervisor_for(town.county))).overdue_by_state == {"in_mediation": 1}

    assert await day_figures.rebuild() > 0
    assert await assert_kept_equals_live(town) == 6
