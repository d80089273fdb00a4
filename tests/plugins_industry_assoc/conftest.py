"""An industry association beside a test town, with the plugin on for the town's county."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from core.roster.tables import Mediator
from tests.factories import Api, Town, application, make_org, make_user
from tests.plugins.conftest import fresh_rate_limits, run_jobs, switch  # noqa: F401 (re-exported; the fixture is autouse)

API = "/api/v1/plugins/industry_assoc"


@dataclass
class AssocTown:
    town: Town
    association: dict[str, Any]  # the organisation row
    staff: dict[str, Any]
    mediator: dict[str, Any]  # the association's mediator (user, with mediator_id)
    admin: dict[str, Any]
    registered: dict[str, Any] = field(default_factory=dict)


async def add_association(town: Town, login: Any, name: str = "毛纺织行业协会", types: tuple[str, ...] = ("labour",)) -> AssocTown:
    org = await make_org(f"{town.town['name']}{name}", "association", "town", town.town)
    staff = await make_user(org, ["association_staff"], "协会秘书长")
    mediator = await make_user(org, ["mediator"], "协会调解员")
    mediator["mediator_id"] = (await Mediator.insert(
        Mediator(user=mediator["id"], name="协会调解员", organisation=org["id"], specialties=list(types))
    ).returning(Mediator.id))[0]["id"]
    admin = town.users.get("admin") or await make_user(town.town, ["admin"], "镇管理员")
    town.users["admin"] = admin
    api = await login(admin)
    resp = await api.post(f"{API}/associations", json={
        "organisation_id": org["id"], "coverage": [{"dispute_type": t, "area_org_id": town.town["id"]} for t in types],
        "contact": "0769-12345678",
    })
    assert resp.status_code == 201, resp.text
    return AssocTown(town, org, staff, mediator, admin, resp.json())


@pytest.fixture
async def assoc(town: Town, login: Any) -> AssocTown:
    await switch("industry_assoc", town.county, True)
    return await add_association(town, login)


async def case_in_mediation(town: Town, login: Any, **over: Any) -> tuple[int, Api]:
    desk = await login(town.users["window"])
    resp = await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True, **over))
    assert resp.status_code == 201, resp.text
    cid = resp.json()["id"]
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await login(town.users["mediator0"])
    await mediator.act(cid, "take")
    return cid, mediator


