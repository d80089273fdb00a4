"""Factories: a town with its tree, staff and roster, and signed-in API clients."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher

from core.auth.tables import StaffUser
from core.orgs.tables import Organisation
from core.roster.tables import Mediator

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
# Every test user shares one argon2id hash, made with the smallest cost argon2 allows: a
# sign-in verifies it with the cost the hash carries (about 1 ms instead of the production
# cost's quarter of a CPU second, over about a thousand sign-ins a run). The sign-in still
# runs the real check; users made through the app or the CLI get the production cost.
_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


async def make_org(name: str, type_code: str, level: str, parent: dict[str, Any] | None = None, short: str = "") -> dict[str, Any]:
    row = (await Organisation.insert(
        Organisation(name=name, short_name=short or name[:4], type_code=type_code, level=level, parent=parent["id"] if parent else None)
    ).returning(*Organisation.all_columns()))[0]
    path = (parent["path"] if parent else "/") + f"{row['id']}/"
    await Organisation.update({Organisation.path: path}).where(Organisation.id == row["id"])
    row["path"] = path
    return row


async def make_user(org: dict[str, Any], roles: list[str], name: str = "") -> dict[str, Any]:
    username = f"u{next(_counter)}_{uuid.uuid4().hex[:6]}"
    row = (await StaffUser.insert(
        StaffUser(username=username, display_name=name or username, password_hash=_HASH, organisation=org["id"], roles=roles)
    ).returning(StaffUser.id, StaffUser.username))[0]
    return {"id": row["id"], "username": username, "org": org, "roles": roles}


@dataclass
class Town:
    county: dict[str, Any]
    town: dict[str, Any]
    villages: list[dict[str, Any]]
    committee: dict[str, Any]
    labour_dept: dict[str, Any]
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    mediators: list[dict[str, Any]] = field(default_factory=list)


async def make_town(label: str | None = None) -> Town:
    label = label or uuid.uuid4().hex[:5]
    county = await make_org(f"测试县{label}", "county", "county")
    town = await make_org(f"测试镇{label}", "town", "town", county)
    villages = [await make_org(f"{n}村{label}", "village", "village", town) for n in ("东", "西")]
    committee = await make_org(f"测试镇人民调解委员会{label}", "committee", "town", town)
    dept = await make_org(f"测试镇人社分局{label}", "department", "town", town)
    t = Town(county, town, villages, committee, dept)
    t.users["window"] = await make_user(town, ["window_staff"], "窗口小王")
    t.users["supervisor"] = await make_user(town, ["supervisor"], "李书记")
    t.users["county_supervisor"] = await make_user(county, ["supervisor"], "县领导")
    t.users["handler"] = await make_user(dept, ["handler"], "人社小张")
    t.users["village_staff"] = await make_user(villages[0], ["window_staff", "mediator"], "村调解员")
    for i, specialties in enumerate((["labour"], ["neighbour", "marriage_family"], ["labour", "debt"])):
        user = await make_user(committee, ["mediator"], f"调解员{i}")
        m = (await Mediator.insert(
            Mediator(user=user["id"], name=f"调解员{i}", phone=f"1390000{i:04d}", organisation=committee["id"], specialties=specialties, grade=2 + (i % 2), rating=4.0 + i * 0.3)
        ).returning(Mediator.id))[0]
        user["mediator_id"] = m["id"]
        t.users[f"mediator{i}"] = user
        t.mediators.append({"id": m["id"], "user": user})
    return t


class Api:
    """A signed-in client: cookie plus CSRF header, like the admin's HTMX requests."""

    def __init__(self, client: Any, token: str, csrf: str, user: dict[str, Any]):
        self.client = client
        self.user = user
        self.headers = {"Cookie": f"jiefen_session={token}", "X-CSRF-Token": csrf}

    async def get(self, url: str, **kw: Any) -> Any:
        return await self.client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    async def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return await self.client.post(url, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    async def act(self, case_id: int, event: str, expect: int = 200, **data: Any) -> Any:
        resp = await self.post(f"/api/v1/cases/{case_id}/actions/{event}", json=data)
        assert resp.status_code == expect, (event, resp.status_code, resp.text)
        return resp.json()


@pytest.fixture(scope="session")
async def app() -> Any:
    from core.api.app import create_app

    return create_app(run_jobs=False)


@pytest.fixture(scope="session")
async def client(app: Any, database: None) -> Any:
    # The app runs on the test's own event loop (Litestar's AsyncTestClient would use a
    # second loop in a thread, which an asyncpg pool cannot share); the database fixture
    # stands in for the lifespan.
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def town() -> Town:
    return await make_town()


@pytest.fixture
def login(client: Any) -> Any:
    async def do(user: dict[str, Any]) -> Api:
        resp = await client.post("/api/v1/auth/login", json={"username": user["username"], "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        token = resp.cookies.get("jiefen_session")
        client.cookies.clear()
        return Api(client, token, resp.json()["csrf_token"], user)

    return do


def application(town: Town, **over: Any) -> dict[str, Any]:
    body = {
        "channel": "walk_in", "dispute_type": "labour", "description": "工厂拖欠三个月工资",
        "place_id": town.villages[0]["id"], "amount": "36000.00", "risk_level": "medium",
        "parties": [
            {"name": "张三", "role": "applicant", "phone": "13800138000", "id_number": "44190019900101123X"},
            {"name": "某某制衣厂", "role": "respondent", "kind": "company", "phone": "076988888888"},
        ],
    }
    body.update(over)
    return body
