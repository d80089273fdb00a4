"""A test town with its basic court on the registry, the plugin on for the county, and a case
whose (oral) agreement has just taken effect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import Api, Town, application, make_org, make_user
from tests.plugins.conftest import fresh_rate_limits, run_jobs, switch  # noqa: F401 (re-exported; the fixture is autouse)

API = "/api/v1/plugins/judicial_confirm"
TERMS = [{"obligor": "某某制衣厂", "obligee": "张三", "what": "支付拖欠工资", "amount": "36000.00", "how": "银行转账", "due_date": "2026-12-31"}]


@dataclass
class CourtTown:
    town: Town
    court: dict[str, Any]
    clerk: dict[str, Any]
    admin: dict[str, Any]


async def add_court(town: Town, login: Any) -> CourtTown:
    court = await make_org(f"{town.county['name']}人民法院", "court", "county", town.county)
    clerk = await make_user(court, ["court_clerk"], "书记员")
    admin = town.users.get("admin") or await make_user(town.town, ["admin"], "镇管理员")
    town.users["admin"] = admin
    api = await login(admin)
    resp = await api.client.put(f"{API}/courts", json={"area_org_id": town.town["id"], "court_org_id": court["id"]}, headers=api.headers)
    assert resp.status_code == 200, resp.text
    return CourtTown(town, court, clerk, admin)


@pytest.fixture
async def court(town: Town, login: Any) -> CourtTown:
    await switch("judicial_confirm", town.county, True)
    return await add_court(town, login)


async def agreed_case(town: Town, login: Any, **over: Any) -> tuple[int, Api]:
    """A case whose oral agreement took effect just now (art. 28), observers run."""
    desk = await login(town.users["window"])
    resp = await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True, **over))
    assert resp.status_code == 201, resp.text
    cid = resp.json()["id"]
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await login(town.users["mediator0"])
    await mediator.act(cid, "take")
    await mediator.act(cid, "agree", facts="被申请人拖欠申请人三个月工资。", matters="欠薪数额及支付期限。", responsibilities="被申请人负全部责任。", terms=TERMS)
    await run_jobs()
    return cid, mediator


async def consent_all(api: Api, application: dict[str, Any]) -> dict[str, Any]:
    for p in application["parties"]:
        resp = await api.post(f"{API}/applications/{application['id']}/consents", json={"party_id": p["party_id"], "method": "in_person"})
        assert resp.status_code == 201, resp.text
        application = resp.json()
    return application
