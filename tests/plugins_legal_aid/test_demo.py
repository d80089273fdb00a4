"""The demo data: ``seed_demo(orgs)`` makes the county's centre and handoffs in each stage."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from plugins.legal_aid.demo import seed_demo
from plugins.legal_aid.tables import Handoff, Screening
from tests.factories import PASSWORD
from tests.plugins_legal_aid.conftest import case_in_mediation

pytestmark = [pytest.mark.db, pytest.mark.plugin_legal_aid, pytest.mark.pdf]


async def test_seed_demo(town: Any, api: Any) -> None:
    cases = [(await case_in_mediation(api, town))[0]["id"] for _ in range(3)]
    suffix = f"_{uuid.uuid4().hex[:6]}"
    logins = await seed_demo({"county": town.county, "town": town.town}, suffix=suffix, password=PASSWORD)
    assert [line.split()[0] for line in logins] == [f"legal_aid{suffix}"]
    handoffs = await Handoff.select(Handoff.status, Handoff.route).where(Handoff.case_id.is_in(cases)).order_by(Handoff.id)
    assert handoffs == [{"status": "accepted", "route": "payment_order"}, {"status": "pending", "route": None}]
    results = [s["result"] for s in await Screening.select(Screening.result).where(Screening.case_id.is_in(cases)).order_by(Screening.id)]
    assert results == ["eligible"] * 4 + ["not_eligible", "eligible"]
    # The centre's staff can sign in and see both handoffs.
    from core.auth.tables import StaffUser

    user = await StaffUser.select(StaffUser.id, StaffUser.username).where(StaffUser.username == f"legal_aid{suffix}").first()
    staff = await api.login({"id": user["id"], "username": user["username"], "roles": ["legal_aid_staff"]})
    assert len((await staff.get("/api/v1/plugins/legal_aid/centre/handoffs")).json()) == 2
    assert await seed_demo({"county": town.county, "town": town.town}, suffix=suffix) == logins
