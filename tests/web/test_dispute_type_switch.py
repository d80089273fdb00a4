"""Switching dispute types: the shared catalogue only by the root's administrator, a type an
organisation added only by its administrators (or those above), every switch in access_log."""

from __future__ import annotations

import uuid

import pytest

from core.audit.tables import AccessLog
from core.auth.service import actor_for_user
from core.auth.tables import StaffUser
from core.roster import types as dispute_types
from core.roster.tables import DisputeType
from tests.factories import make_town, make_user
from tests.web.conftest import sign_in

pytestmark = pytest.mark.db


async def _shared_type() -> str:
    # A shared type of this test's own: the real core types are shared by every test.
    code = f"shared_{uuid.uuid4().hex[:8]}"
    await DisputeType.insert(DisputeType(code=code, label_zh="共用探针", label_en="Shared probe", added_by="core"))
    return code


async def _active(code: str) -> bool:
    return (await DisputeType.select(DisputeType.active).where(DisputeType.code == code).first())["active"]


async def _logged(code: str) -> list[dict]:
    return await AccessLog.select().where(AccessLog.what.like(f"dispute_type.%:{code}"))


async def test_county_and_town_admins_may_not_switch_a_shared_type(client, town, monkeypatch):
    code = await _shared_type()

    async def no_single_root() -> None:
        return None

    # Counties side by side (as in any test database once a second test has run): no keeper.
    monkeypatch.setattr(dispute_types, "catalogue_keeper_id", no_single_root)
    for org in (town.town, town.county):
        admin = await sign_in(client, await make_user(org, ["admin", "supervisor"], "管理员"))
        page = await admin.get("/admin/manage/types")
        assert f"/admin/manage/types/{code}/active" not in page.text and "各乡镇共用" in page.text
        resp = await admin.post(f"/admin/manage/types/{code}/active", {})
        assert resp.status_code == 403 and "只有最上级单位的管理员才能启用或停用共用的纠纷类型。" in resp.text
    assert await _active(code) is True and not await _logged(code)

    english = await make_user(town.county, ["admin"], "county admin")
    await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == english["id"])
    admin = await sign_in(client, english)
    await admin.get("/admin/manage/types")
    resp = await admin.post(f"/admin/manage/types/{code}/active", {})
    assert resp.status_code == 403 and dispute_types.SHARED_ONLY_AT_ROOT in resp.text


async def test_several_roots_have_no_keeper(town):
    await make_town()
    assert await dispute_types.catalogue_keeper_id() is None
    # A type the county added stays the county's to switch even so.
    county_admin = await actor_for_user((await make_user(town.county, ["admin"], "县管理员"))["id"])
    owned = {"organisation": town.county["id"], "owner_path": town.county["path"]}
    assert dispute_types.switch_refusal(county_admin, owned, None) is None
    assert dispute_types.switch_refusal(county_admin, {"organisation": None}, None) == dispute_types.SHARED_ONLY_AT_ROOT
    assert dispute_types.switch_refusal(county_admin, {"organisation": None}, town.county["id"]) is None


async def test_the_root_administrator_switches_a_shared_type_and_it_is_recorded(client, town, monkeypatch):
    code = await _shared_type()
    root_admin = await make_user(town.county, ["admin"], "省级管理员")

    async def keeper() -> int:
        return town.county["id"]

    # The test database holds many counties side by side; here town's county is the one root.
    monkeypatch.setattr(dispute_types, "catalogue_keeper_id", keeper)
    admin = await sign_in(client, root_admin)
    page = await admin.get("/admin/manage/types")
    assert f"/admin/manage/types/{code}/active" in page.text
    resp = await admin.post(f"/admin/manage/types/{code}/active", {})
    assert resp.status_code == 303 and await _active(code) is False
    await admin.post(f"/admin/manage/types/{code}/active", {})
    assert await _active(code) is True
    logged = await _logged(code)
    assert [r["what"] for r in sorted(logged, key=lambda r: r["id"])] == [f"dispute_type.off:{code}", f"dispute_type.on:{code}"]
    assert {r["user"] for r in logged} == {root_admin["id"]} and {r["actor_label"] for r in logged} == {f"staff:{root_admin['id']}"}


async def test_an_added_type_belongs_to_its_organisation(client, town):
    town_admin = await sign_in(client, await make_user(town.town, ["admin"], "镇管理员"))
    await town_admin.get("/admin/manage/types")
    code = f"fish_{uuid.uuid4().hex[:8]}"
    assert (await town_admin.post("/admin/manage/types", {"code": code, "label_zh": "渔业纠纷"})).status_code == 303
    row = await DisputeType.select(DisputeType.organisation).where(DisputeType.code == code).first()
    assert row["organisation"] == town.town["id"]

    assert (await town_admin.post(f"/admin/manage/types/{code}/active", {})).status_code == 303
    assert await _active(code) is False

    other = await make_town()
    for org in (other.town, other.county):
        outsider = await sign_in(client, await make_user(org, ["admin"], "外县管理员"))
        page = await outsider.get("/admin/manage/types")
        assert f"/admin/manage/types/{code}/active" not in page.text
        resp = await outsider.post(f"/admin/manage/types/{code}/active", {})
        assert resp.status_code == 403 and "您只能启用或停用本单位添加的纠纷类型。" in resp.text
    assert await _active(code) is False

    # The county above the town governs it, as everywhere else in management.
    county_admin = await sign_in(client, await make_user(town.county, ["admin"], "县管理员"))
    await county_admin.get("/admin/manage/types")
    assert (await county_admin.post(f"/admin/manage/types/{code}/active", {})).status_code == 303
    assert await _active(code) is True
    assert len(await _logged(code)) == 2

    desk = await sign_in(client, town.users["window"])
    assert (await desk.post(f"/admin/manage/types/{code}/active", {})).status_code == 403
    assert (await town_admin.post("/admin/manage/types/no_such_type_x/active", {})).status_code == 404


async def test_a_town_s_own_type_is_offered_only_in_that_town(client, town, login):
    from core.cases import schemas as s
    from core.cases.service import create_case
    from core.errors import ValidationFailed
    from tests.factories import application

    code = f"own_{uuid.uuid4().hex[:8]}"
    await DisputeType.insert(DisputeType(code=code, label_zh="渔业纠纷探针", label_en="Fishery probe", added_by="admin", organisation=town.town["id"]))
    other = await make_town()

    # The public list: at the owning town, yes; at another town or with no centre, no.
    assert code in {t["code"] for t in (await client.get(f"/api/v1/public/dispute-types?centre_id={town.town['id']}")).json()["items"]}
    for query in (f"?centre_id={other.town['id']}", ""):
        assert code not in {t["code"] for t in (await client.get(f"/api/v1/public/dispute-types{query}")).json()["items"]}

    # The staff intake form of each town.
    mine = await sign_in(client, town.users["window"])
    assert "渔业纠纷探针" in (await mine.get("/admin/intake")).text
    theirs = await sign_in(client, other.users["window"])
    assert "渔业纠纷探针" not in (await theirs.get("/admin/intake")).text

    # Intake: the owner's cases may take it; another town's are refused as for an unknown code.
    desk = await login(town.users["window"])
    assert (await desk.post("/api/v1/cases", json=application(town, dispute_type=code))).status_code == 201
    other_desk = await login(other.users["window"])
    refused = await other_desk.post("/api/v1/cases", json=application(other, dispute_type=code))
    assert refused.status_code == 422 and code in refused.text
    # Re-typing at registration is held to the same rule.
    created = await other_desk.post("/api/v1/cases", json=application(other))
    resp = await other_desk.post(f"/api/v1/cases/{created.json()['id']}/actions/accept",
                                 json={"rights_notified": True, "consent": True, "dispute_type": code})
    assert resp.status_code == 422
    with pytest.raises(ValidationFailed):
        await create_case(s.CaseIn(channel="walk_in", dispute_type=code, description="渔船碰撞", parties=[s.PartyIn(name="张三", phone="13800138000")]),
                          await actor_for_user(other.users["window"]["id"]), org_id=other.town["id"])
