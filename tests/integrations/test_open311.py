"""Open311 GeoReport v2: services per town, a request filed and read back, the status
following the case."""

from __future__ import annotations

import pytest

from core.cases.tables import Case
from tests.factories import make_town, make_user
from tests.integrations.conftest import make_key

pytestmark = pytest.mark.db

SCOPES = ["open311:create", "open311:read"]


def report(**over: str) -> dict[str, str]:
    return {
        "service_code": "neighbour", "description": "楼上装修到深夜,协商无果", "lat": "22.9401", "long": "113.9312",
        "address_string": "东村3组12号", "first_name": "小明", "last_name": "王", "phone": "13800001111",
        "media_url": "https://example.invalid/p/1.jpg", "device_id": "dev-1", **over,
    }


async def test_services_default_and_configured(admin, town, client):
    made = await make_key(admin, town, SCOPES)
    default = (await client.get(f"/open311/v2/services.json?api_key={made['key']}")).json()
    codes = [s["service_code"] for s in default]
    assert "labour" in codes and "grid_issue" in codes
    labour = next(s for s in default if s["service_code"] == "labour")
    assert labour == {"service_code": "labour", "service_name": "劳动争议与欠薪", "description": "劳动争议与欠薪类矛盾纠纷",
                      "metadata": False, "type": "realtime", "keywords": "", "group": "矛盾纠纷"}
    configured = {"services": [
        {"service_code": "noise", "service_name": "噪音扰民", "dispute_type": "neighbour", "group_name": "邻里"},
        {"service_code": "grid", "service_name": "网格事件", "intake": "grid_issue", "channel": "grid", "dispute_type": "other"},
    ]}
    put = await admin.client.put(f"/api/v1/integrations/open311/services/{town.town['id']}", json=configured, headers=admin.headers)
    assert put.status_code == 200, put.text
    # The village under the town inherits the town's list (public: jurisdiction_id, no key).
    village = await client.get(f"/open311/v2/services.json?jurisdiction_id={town.villages[0]['id']}")
    assert [s["service_code"] for s in village.json()] == ["noise", "grid"]
    bad = await admin.client.put(
        f"/api/v1/integrations/open311/services/{town.town['id']}", headers=admin.headers,
        json={"services": [{"service_code": "x", "service_name": "x", "dispute_type": "no_such_type"}]},
    )
    assert bad.status_code in (404, 422)


async def test_create_and_read_round_trip(admin, town, client, login):
    made = await make_key(admin, town, SCOPES)
    created = await client.post("/open311/v2/requests.json", data={**report(), "api_key": made["key"]})
    assert created.status_code == 201, created.text
    [answer] = created.json()
    rid = answer["service_request_id"]
    case = await Case.select().where(Case.external_ref == f"open311:{rid}").first()
    # Not registered yet: the notice gives the application reference and says a number follows.
    assert answer["service_notice"] == f"申请编号 {case['number']}(受理后给予正式案件编号)"
    assert case["channel"] == "photo_report" and case["dispute_type"] == "neighbour" and case["source_key"] == f"api_key:{made['id']}"
    assert "东村3组12号" in case["description"]

    [read] = (await client.get(f"/open311/v2/requests/{rid}.json?api_key={made['key']}")).json()
    assert read["service_request_id"] == rid and read["status"] == "open" and read["status_notes"] == "已收到,等待受理"
    assert read["service_code"] == "neighbour" and read["service_name"] == "邻里纠纷"
    assert read["lat"] == pytest.approx(22.9401) and read["address"] == "东村3组12号" and read["media_url"].endswith("1.jpg")
    assert read["requested_datetime"].endswith("+08:00")

    # The status follows the case.
    desk = await login(town.users["window"])
    await desk.act(case["id"], "accept", rights_notified=True, consent=True)
    [accepted] = (await client.get(f"/open311/v2/requests/{rid}.json?api_key={made['key']}")).json()
    assert accepted["status"] == "open" and accepted["status_notes"] == "已受理"
    assert accepted["updated_datetime"] >= read["updated_datetime"]
    await desk.act(case["id"], "withdraw", reason="当事人自行和解")
    [closed] = (await client.get(f"/open311/v2/requests/{rid}.json?api_key={made['key']}")).json()
    assert closed["status"] == "closed" and closed["status_notes"] == "已撤回"

    listed = (await client.get(f"/open311/v2/requests.json?api_key={made['key']}")).json()
    assert rid in [r["service_request_id"] for r in listed]
    only_open = (await client.get(f"/open311/v2/requests.json?api_key={made['key']}&status=open")).json()
    assert rid not in [r["service_request_id"] for r in only_open]
    by_id = (await client.get(f"/open311/v2/requests.json?api_key={made['key']}&service_request_id={rid}")).json()
    assert [r["service_request_id"] for r in by_id] == [rid]


async def test_json_body_and_grid_issue(admin, town, client):
    made = await make_key(admin, town, SCOPES)
    resp = await client.post(
        "/open311/v2/requests.json", json={"api_key": made["key"], "service_code": "grid_issue", "lat": 22.9, "long": 113.9},
    )
    assert resp.status_code == 201, resp.text
    rid = resp.json()[0]["service_request_id"]
    case = await Case.select().where(Case.external_ref == f"open311:{rid}").first()
    assert case["channel"] == "grid" and case["dispute_type"] == "other" and case["description"].startswith("网格事件上报")


async def test_other_towns_key_cannot_read(admin, town, client, login):
    made = await make_key(admin, town, SCOPES)
    rid = (await client.post("/open311/v2/requests.json", data={**report(), "api_key": made["key"]})).json()[0]["service_request_id"]
    other = await make_town()
    other_admin = await login(await make_user(other.town, ["admin"]))
    foreign = await make_key(other_admin, other, SCOPES)
    denied = await client.get(f"/open311/v2/requests/{rid}.json?api_key={foreign['key']}")
    assert denied.status_code == 404 and denied.json()[0]["code"] == 404
    assert rid not in [r["service_request_id"] for r in (await client.get(f"/open311/v2/requests.json?api_key={foreign['key']}")).json()]


async def test_errors_are_georeport_arrays(admin, town, client):
    made = await make_key(admin, town, SCOPES)
    no_key = await client.post("/open311/v2/requests.json", data=report())
    assert no_key.status_code == 401 and no_key.json()[0]["code"] == 401
    unknown = await client.post("/open311/v2/requests.json", data={**report(service_code="nope"), "api_key": made["key"]})
    assert unknown.status_code == 400 and "service_code" in unknown.json()[0]["description"]
    nowhere = await client.post("/open311/v2/requests.json", data={**report(lat="", long="", address_string=""), "api_key": made["key"]})
    assert nowhere.status_code == 422 and "location" in nowhere.json()[0]["description"]
    missing = await client.get(f"/open311/v2/requests/ffffffffffffffff.json?api_key={made['key']}")
    assert missing.status_code == 404
    assert (await client.get("/open311/v2/services.json")).status_code == 400
