"""The online application: by JSON (mini-programs) and by the page's form, with photos."""

from __future__ import annotations

import io
import re
import uuid

import pytest

from core.cases.tables import Case, CaseEvent, Evidence, Party
from core.parties.digests import token_digest
from core.parties.tables import TrackingLink
from tests.parties.conftest import apply_online, body, mobile

pytestmark = pytest.mark.db


def png(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    import struct
    import zlib

    raw = b"".join(b"\x00" + bytes(colour) * 4 for _ in range(4))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


async def test_apply_by_api(pc, codes, town):
    result = await apply_online(pc, codes, town)
    # An application reference until the centre registers it (no counter on the public path).
    assert re.fullmatch(r"申\d{8}-[2-9A-Z]{4}-[2-9A-Z]{4}", result["number"]) and result["state"] == "submitted"
    assert result["tracking_url"].endswith("/track/" + result["tracking_token"]) and len(result["tracking_token"]) >= 40
    case = await Case.select().where(Case.id == result["case_id"]).first()
    assert case["channel"] == "online" and case["org"] == town.town["id"]
    assert case["preferred_mediator"] == town.mediators[0]["id"] and case["preferred_mode"] == "video"
    parties = await Party.select(Party.role, Party.name, Party.phone).where(Party.case == case["id"]).order_by(Party.id)
    assert [(p["role"], p["name"]) for p in parties] == [("applicant", "王小明"), ("respondent", "某某毛织厂")]
    assert parties[0]["phone"] == result["phone"]
    # The link is stored as a digest only.
    links = await TrackingLink.select().where(TrackingLink.case == case["id"])
    assert len(links) == 1 and links[0]["token_digest"] == token_digest(result["tracking_token"])
    assert result["tracking_token"] not in str(links)
    events = await CaseEvent.select(CaseEvent.name, CaseEvent.actor_label).where(CaseEvent.case == case["id"])
    assert events == [{"name": "submit", "actor_label": "party"}]
    # The answer opens the case at once (the code was just checked).
    view = await pc.get("/api/v1/party/case", headers={"Authorization": f"Bearer {result['session_token']}"})
    assert view.status_code == 200 and view.json()["number"] == result["number"]
    assert view.json()["number_is_official"] is False


async def test_wrong_code_creates_nothing(pc, codes, town):
    phone = mobile()
    await pc.post("/api/v1/party/codes", json={"phone": phone})
    before = await Case.count()
    wrong = "000000" if codes.last(phone) != "000000" else "111111"
    resp = await pc.post("/api/v1/party/applications", json=body(town, phone, wrong))
    assert resp.status_code == 400 and resp.json()["code"] == "code_rejected"
    assert "验证码错误" in resp.json()["detail"]
    assert await Case.count() == before


async def test_retry_with_the_same_key_gives_the_same_case(pc, codes, town):
    phone = mobile()
    await pc.post("/api/v1/party/codes", json={"phone": phone})
    data, key = body(town, phone, codes.last(phone)), {"Idempotency-Key": uuid.uuid4().hex}
    first = (await pc.post("/api/v1/party/applications", json=data, headers=key)).json()
    again = await pc.post("/api/v1/party/applications", json=data, headers=key)
    assert again.status_code == 201, again.text
    second = again.json()
    assert second["case_id"] == first["case_id"] and second["replayed"] is True
    # The first answer never arrived, so its link is replaced by the one in the retry.
    assert (await pc.get(f"/track/{first['tracking_token']}")).status_code == 404
    assert (await pc.get(f"/track/{second['tracking_token']}")).status_code == 200
    # Without the key the used code is refused.
    assert (await pc.post("/api/v1/party/applications", json=data)).status_code == 400


async def test_mediator_must_be_on_the_centres_roster(pc, codes, town):
    from tests.factories import make_town

    other = await make_town()
    phone = mobile()
    await pc.post("/api/v1/party/codes", json={"phone": phone})
    resp = await pc.post("/api/v1/party/applications", json=body(town, phone, codes.last(phone), mediator_id=other.mediators[0]["id"]))
    assert resp.status_code == 422
    assert codes.last(phone)  # the code was not spent on a refused application
    ok = await pc.post("/api/v1/party/applications", json=body(town, phone, codes.last(phone), mediator_id=None))
    assert ok.status_code == 201
    assert (await Case.select(Case.preferred_mediator).where(Case.id == ok.json()["case_id"]).first())["preferred_mediator"] is None


async def test_roster_cards(pc, town, login):
    from core.cases.tables import Case as C

    resp = await pc.get(f"/api/v1/party/centres/{town.town['id']}/mediators")
    cards = resp.json()["items"]
    assert {c["name"] for c in cards} == {"调解员0", "调解员1", "调解员2"}
    card = next(c for c in cards if c["name"] == "调解员1")
    assert set(card) >= {"specialties", "organisation", "grade_label", "rating", "rating_count", "open_cases"}
    assert card["specialties"] == ["邻里纠纷", "婚姻家庭"] and card["organisation"].startswith("测试镇人民调解委员会")
    assert "phone" not in card
    await C.update({C.assignee: town.mediators[1]["user"]["id"], C.state: "in_mediation"}).where(
        C.id == (await _some_case(login, town))
    )
    cards = (await pc.get(f"/api/v1/party/centres/{town.town['id']}/mediators")).json()["items"]
    assert next(c for c in cards if c["name"] == "调解员1")["open_cases"] == 1


async def _some_case(login, town) -> int:
    from tests.factories import application

    desk = await login(town.users["window"])
    return (await desk.post("/api/v1/cases", json=application(town))).json()["id"]


def _form(town, phone: str, code: str, **over: str) -> dict[str, str]:
    data = {
        "centre_id": str(town.town["id"]), "idem": uuid.uuid4().hex, "applicant_name": "李四", "applicant_phone": phone,
        "code": code, "respondent_kind": "person", "respondent_name": "赵五", "respondent_phone": "13912345678",
        "dispute_type": "neighbour", "description": "邻居装修噪音,多次协商无果。", "mediator_id": "",
        "preferred_time": "2026-12-03T14:00", "preferred_mode": "in_person", "preferred_place": "", "agree_privacy": "on",
    }
    data.update(over)
    return data


async def test_apply_by_the_page_with_photos(pc, codes, town):
    page = await pc.get(f"/apply/?centre={town.town['id']}")
    assert page.status_code == 200
    assert "由调解中心指派" in page.text and "调解员2" in page.text and "在办" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"] and page.headers["referrer-policy"] == "no-referrer"
    phone = mobile()
    await pc.post("/api/v1/party/codes", json={"phone": phone})
    files = [("photos", ("现场.png", io.BytesIO(png()), "image/png")), ("photos", ("欠条.png", io.BytesIO(png((1, 2, 3))), "image/png"))]
    resp = await pc.post("/apply/", data=_form(town, phone, codes.last(phone)), files=files)
    assert resp.status_code == 201, resp.text
    assert "申请已提交" in resp.text and "/track/" in resp.text
    assert "jiefen_party" in resp.headers.get("set-cookie", "") and "httponly" in resp.headers["set-cookie"].lower()
    case = await Case.select().where(Case.number == _number(resp.text)).first()
    assert case["dispute_type"] == "neighbour" and case["preferred_time"] == "2026-12-03 14:00"
    photos = await Evidence.select().where(Evidence.case == case["id"])
    assert len(photos) == 2 and all(p["uploaded_by_party"] and p["content_type"] == "image/png" for p in photos)


def _number(page: str) -> str:
    import re

    return re.search(r'id="case-number">([^<]+)<', page).group(1)


async def test_page_refuses_a_non_image_before_creating_anything(pc, codes, town):
    phone = mobile()
    await pc.post("/api/v1/party/codes", json={"phone": phone})
    before = await Case.count()
    files = [("photos", ("a.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF"), "application/pdf"))]
    resp = await pc.post("/apply/", data=_form(town, phone, codes.last(phone)), files=files)
    assert resp.status_code == 415 and "alert-error" in resp.text
    assert await Case.count() == before
    assert 'value="李四"' in resp.text  # the form comes back filled in


async def test_page_shows_missing_fields(pc, codes, town):
    resp = await pc.post("/apply/", data=_form(town, mobile(), "123456", applicant_name=""))
    assert resp.status_code == 422
    assert "申请人姓名" in resp.text


async def test_page_sends_the_code_without_javascript(pc, codes, town):
    phone = mobile()
    resp = await pc.post("/apply/code", data=_form(town, phone, ""))
    assert resp.status_code == 200 and "验证码已发送" in resp.text and f'value="{phone}"' in resp.text
    assert codes.last(phone)
