"""Management pages: administrators only, inside their own subtree."""

from __future__ import annotations

import re

import pytest

from core.auth.tables import StaffSession, StaffUser
from core.orgs.tables import Organisation
from core.roster.tables import DisputeType, Mediator
from tests.factories import make_user
from tests.web.conftest import sign_in

pytestmark = pytest.mark.db


async def test_only_administrators_manage(client, town):
    desk = await sign_in(client, town.users["window"])
    assert "/admin/manage" not in (await desk.get("/admin/cases")).text
    for url in ("/admin/manage/orgs", "/admin/manage/users", "/admin/manage/roster", "/admin/manage/types", "/admin/manage/plugins", "/admin/manage/deadlines"):
        resp = await desk.get(url)
        assert resp.status_code == 403, url
    admin = await sign_in(client, await make_user(town.town, ["admin"], "镇管理员"))
    for url in ("/admin/manage/orgs", "/admin/manage/users", "/admin/manage/roster", "/admin/manage/roster?experts=1", "/admin/manage/types", "/admin/manage/plugins", "/admin/manage/deadlines"):
        resp = await admin.get(url)
        assert resp.status_code == 200, (url, resp.text[:300])
    orgs = await admin.get("/admin/manage/orgs")
    assert town.villages[0]["name"] in orgs.text and town.county["name"] not in orgs.text


async def test_users_create_reset_deactivate(client, town):
    admin = await sign_in(client, await make_user(town.town, ["admin"], "镇管理员"))
    await admin.get("/admin/manage/users")
    username = f"new_{town.town['id']}"
    resp = await admin.post("/admin/manage/users", [
        ("username", username), ("display_name", "新调解员"), ("organisation_id", str(town.committee["id"])),
        ("roles", "mediator"), ("roles", "window_staff"),
    ])
    assert resp.status_code == 200 and "临时密码" in resp.text
    temp = re.search(r'<code class="big-code">([^<]+)</code>', resp.text).group(1)
    row = await StaffUser.select().where(StaffUser.username == username).output(load_json=True).first()
    assert set(row["roles"]) == {"mediator", "window_staff"} and row["organisation"] == town.committee["id"]
    newcomer = await sign_in(client, {"username": username}, password=temp)

    # Outside the admin's subtree: refused.
    outside = await admin.post("/admin/manage/users", [("username", username + "x"), ("display_name", "越权"), ("organisation_id", str(town.county["id"])), ("roles", "admin")])
    assert outside.status_code == 404
    taken = await admin.post("/admin/manage/users", [("username", username), ("display_name", "重复"), ("organisation_id", str(town.town["id"])), ("roles", "mediator")])
    assert taken.status_code == 409 and "该用户名已被使用" in taken.text and 'value="重复"' in taken.text

    reset = await admin.post(f"/admin/manage/users/{row['id']}/reset", {})
    assert reset.status_code == 200 and "临时密码" in reset.text
    assert (await newcomer.get("/admin/cases")).status_code == 303, "a reset ends the user's sessions"

    again = await sign_in(client, {"username": username}, password=re.search(r'<code class="big-code">([^<]+)</code>', reset.text).group(1))
    off = await admin.post(f"/admin/manage/users/{row['id']}/active", {})
    assert off.status_code == 303
    assert (await again.get("/admin/cases")).status_code == 303
    assert not await StaffSession.exists().where((StaffSession.user == row["id"]) & StaffSession.ended_at.is_null())


async def test_orgs_roster_types_and_plugins(client, town):
    admin = await sign_in(client, await make_user(town.town, ["admin"], "镇管理员"))
    await admin.get("/admin/manage/orgs")
    resp = await admin.post("/admin/manage/orgs", {"name": "北村", "type_code": "village", "parent_id": str(town.town["id"])})
    assert resp.status_code == 303
    org = await Organisation.select().where((Organisation.name == "北村") & (Organisation.parent == town.town["id"])).first()
    assert org["path"] == f"{town.town['path']}{org['id']}/" and org["level"] == "village"

    user = await make_user(town.committee, ["mediator"], "新人调解员")
    resp = await admin.post("/admin/manage/roster", [("user_id", str(user["id"])), ("specialties", "labour"), ("specialties", "debt"), ("grade", "2"), ("max_open_cases", "12"), ("is_expert", "on"), ("expert_field", "金融")])
    assert resp.status_code == 303
    m = await Mediator.select().where(Mediator.user == user["id"]).output(load_json=True).first()
    assert m["specialties"] == ["labour", "debt"] and m["is_expert"] and m["max_open_cases"] == 12
    experts = await admin.get("/admin/manage/roster?experts=1")
    assert "新人调解员" in experts.text and "金融" in experts.text
    edit = await admin.post(f"/admin/manage/roster/{m['id']}", [("specialties", "neighbour"), ("grade", "3"), ("max_open_cases", "20")])
    assert edit.status_code == 303
    assert (await Mediator.select(Mediator.is_expert).where(Mediator.id == m["id"]).first())["is_expert"] is False

    code = f"fish_{town.town['id']}"
    resp = await admin.post("/admin/manage/types", {"code": code, "label_zh": "渔业纠纷", "label_en": "Fishing"})
    assert resp.status_code == 303
    bad = await admin.post("/admin/manage/types", {"code": "Bad Code", "label_zh": "坏"})
    assert bad.status_code == 422 and 'value="坏"' in bad.text
    await admin.post(f"/admin/manage/types/{code}/active", {})
    assert (await DisputeType.select(DisputeType.active).where(DisputeType.code == code).first())["active"] is False

    plugins = await admin.get("/admin/manage/plugins")
    assert plugins.status_code == 200 and "插件开关" in plugins.text
