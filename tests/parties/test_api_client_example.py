"""``docs/examples/api_client.py`` works against the app, end to end."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import httpx
import pytest

from tests.integrations.conftest import make_admin, make_key
from tests.parties.conftest import mobile, random_ip

pytestmark = pytest.mark.db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "api_client.py"


def load_example():
    spec = importlib.util.spec_from_file_location("jiefen_api_client_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def http(app):
    transport = httpx.ASGITransport(app=app, client=(random_ip(), 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_party_flow_with_the_example_client(http, codes, town, monkeypatch):
    from core.parties import otp
    from core.parties.settings import PartySettings

    monkeypatch.setattr(otp, "party_settings", lambda: PartySettings(otp_resend_seconds=0))
    example = load_example()
    party = example.PartyClient(http)
    assert town.town["id"] in [c["id"] for c in await party.centres()]
    assert "labour" in [t["code"] for t in await party.dispute_types()]
    cards = await party.mediators(town.town["id"])
    phone = mobile()
    await party.send_code(phone)
    result = await party.apply({
        "centre_id": town.town["id"], "dispute_type": "labour", "description": "工厂拖欠工资三个月。",
        "applicant": {"name": "王小明", "phone": phone}, "respondent": {"name": "某某毛织厂", "phone": "076983330000", "kind": "company"},
        "code": codes.last(phone), "agree_privacy": True, "mediator_id": cards[0]["id"], "preferred_mode": "video",
    })
    assert (await party.case())["number"] == result["number"]
    await party.leave_message("请问什么时候联系我?")
    await party.end()
    with pytest.raises(example.ApiError) as refused:
        await party.case()
    assert refused.value.status == 401

    again = example.PartyClient(http)
    await again.send_tracking_code(result["tracking_token"])
    await again.open_case(result["tracking_token"], codes.last(phone))
    view = await again.case()
    assert view["state"] == "submitted" and view["messages"][0]["body"] == "请问什么时候联系我?"


async def test_open311_and_webhook_helpers(http, town, login):
    example = load_example()
    admin = await make_admin(town, login)
    key = await make_key(admin, town, ["open311:create", "open311:read"])
    client = example.Open311Client(http, key["key"])
    assert "grid_issue" in [s["service_code"] for s in await client.services()]
    request_id = await client.report("neighbour", "楼上漏水", lat=22.94, long=113.93, address="东村3组")
    status = await client.status(request_id)
    assert status["status"] == "open" and status["service_request_id"] == request_id
    from core.integrations.webhooks import sign

    body = b'{"type":"case.accept"}'
    assert example.verify_webhook("whsec_x", body, sign("whsec_x", body)) == {"type": "case.accept"}
    with pytest.raises(ValueError):
        example.verify_webhook("whsec_x", body, sign("whsec_y", body))


async def test_documented_in_openapi(http):
    schema = (await http.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/api/v1/party/applications", "/api/v1/party/case", "/api/v1/party/tracking/session",
                 "/open311/v2/requests.json", "/api/v1/integrations/keys",
                 "/api/v1/integrations/{integration_id}/deliveries/{delivery_id}/replay"):
        assert path in paths, path
    assert "/apply" not in paths and "/track/{token}" not in paths  # pages are not API
    application = paths["/api/v1/party/applications"]["post"]
    assert application["summary"].startswith("Apply for mediation") and "requestBody" in application
