"""The admin's pages through httpx: sign-in, queue, intake, case page and its forms."""

from __future__ import annotations

import re

import pytest

from core.audit.tables import AccessLog
from core.cases.tables import Case, Evidence
from tests.factories import application, make_town, make_user
from tests.web.conftest import sign_in

pytestmark = pytest.mark.db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


async def _case(town, login, **over):
    desk = await login(town.users["window"])
    body = application(town, accept_now=True, rights_notified=True, consent=True, **over)
    resp = await desk.post("/api/v1/cases", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_root_leads_to_sign_in(client):
    root = await client.get("/")
    assert root.status_code in (301, 302, 307, 308) and root.headers["location"] == "/admin/"
    admin = await client.get("/admin/")
    assert admin.status_code in (301, 302, 307, 308)
    cases = await client.get("/admin/cases?state=registered")
    assert cases.status_code == 303
    assert cases.headers["location"] == "/admin/login?next=%2Fadmin%2Fcases%3Fstate%3Dregistered"
    page = await client.get("/admin/login")
    assert page.status_code == 200 and "登录" in page.text and 'lang="zh-CN"' in page.text
    hx = await client.get("/admin/cases", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/admin/cases"})
    assert hx.headers.get("HX-Redirect", "").startswith("/admin/login")


async def test_sign_in_cookie_lockout_and_sign_out(client, town):
    user = town.users["window"]
    resp = await client.post("/admin/login", data={"username": user["username"], "password": "correct horse battery", "next": "/admin/intake"})
    assert resp.status_code == 303 and resp.headers["location"] == "/admin/intake"
    cookie = next(c for c in resp.headers.get_list("set-cookie") if c.startswith("jiefen_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    client.cookies.clear()
    # An open redirect is refused: "next" must stay inside the admin.
    evil = await client.post("/admin/login", data={"username": user["username"], "password": "correct horse battery", "next": "//evil.example/"})
    assert evil.headers["location"] == "/admin/"
    client.cookies.clear()

    other = town.users["handler"]
    for _ in range(4):
        bad = await client.post("/admin/login", data={"username": other["username"], "password": "wrong"})
        assert bad.status_code == 401 and "用户名或密码错误" in bad.text
        assert 'value="' + other["username"] + '"' in bad.text  # the user name stays in the form
    locked = await client.post("/admin/login", data={"username": other["username"], "password": "wrong"})
    assert locked.status_code == 401
    still = await client.post("/admin/login", data={"username": other["username"], "password": "correct horse battery"})
    assert still.status_code == 429 and "登录失败次数过多" in still.text
    client.cookies.clear()

    web = await sign_in(client, user)
    out = await web.post("/admin/logout")
    assert out.status_code == 303 and out.headers["location"] == "/admin/login"
    after = await web.get("/admin/cases")
    assert after.status_code == 303


async def test_csrf_is_required_on_every_form(client, town, login):
    case = await _case(town, login)
    web = await sign_in(client, town.users["window"])
    url = f"/admin/cases/{case['id']}/act/note"
    missing = await web.post(url, {"text": "无令牌"}, csrf=False)
    assert missing.status_code == 403 and "页面已过期" in missing.text
    wrong = await web.post(url, {"text": "错令牌", "_csrf": "forged"}, csrf=False)
    assert wrong.status_code == 403
    hx_wrong = await web.post(url, {"text": "错令牌"}, htmx=True, headers={"X-CSRF-Token": "forged"})
    assert hx_wrong.status_code == 403 and hx_wrong.headers.get("HX-Retarget") == "#flash"
    ok = await web.post(url, {"text": "有令牌"})
    assert ok.status_code == 303 and ok.headers["location"].endswith("?done=note")
    hx_ok = await web.post(url, {"text": "HTMX 备注"}, htmx=True, target="case_main")
    assert hx_ok.status_code == 200 and 'id="case_main"' in hx_ok.text and "<html" not in hx_ok.text
    events = (await (await login(town.users["window"])).get(f"/api/v1/cases/{case['id']}/timeline")).json()["items"]
    assert [e["payload"].get("text") for e in events if e["name"] == "note"] == ["有令牌", "HTMX 备注"]


async def test_queue_masks_and_filters(client, town, login):
    first = await _case(town, login)
    second = await _case(town, login, dispute_type="neighbour", risk_level="high", parties=[
        {"name": "李四光", "role": "applicant", "phone": "13912345678", "id_number": "440100199001011234"},
    ])
    web = await sign_in(client, town.users["window"])
    page = await web.get("/admin/cases")
    assert page.status_code == 200 and "HX-Request" in page.headers["vary"]
    html = page.text
    assert first["number"] in html and second["number"] in html
    assert "138****8000" in html and "13800138000" not in html
    assert "139****5678" in html and "13912345678" not in html and "440100199001011234" not in html
    assert "李**" in html and "李四光" not in html

    block = await web.get("/admin/cases?risk=high", htmx=True, target="case_list")
    assert block.status_code == 200 and "<html" not in block.text and block.text.lstrip().startswith("<section id=\"case_list\"")
    assert second["number"] in block.text and first["number"] not in block.text

    by_phone = await web.get("/admin/cases?q=13912345678")
    assert second["number"] in by_phone.text and first["number"] not in by_phone.text
    by_tail = await web.get("/admin/cases?q=5678")
    assert second["number"] in by_tail.text
    by_name = await web.get("/admin/cases?q=李四光")
    assert second["number"] in by_name.text and first["number"] not in by_name.text
    by_number = await web.get("/admin/cases?q=" + first["number"])
    assert first["number"] in by_number.text and second["number"] not in by_number.text

    counts = await web.get(f"/admin/cases?type=neighbour&place={town.town['id']}")
    assert re.search(r"已受理\s*<span class=\"count\">1</span>", counts.text)

    # Another town's staff see none of it.
    stranger = await make_town()
    other = await sign_in(client, stranger.users["window"])
    theirs = await other.get("/admin/cases")
    assert first["number"] not in theirs.text


async def test_queue_cursor_pages_without_gaps(town, login):
    from core.auth.service import actor_for_user
    from web import queries

    made = [await _case(town, login) for _ in range(5)]
    actor = await actor_for_user(town.users["window"]["id"])
    for sort in ("newest", "oldest", "due", "updated"):
        seen, cursor = [], ""
        for _ in range(10):
            result = await queries.queue(queries.QueueFilters(sort=sort, cursor=cursor), actor, limit=2)
            seen += [r["id"] for r in result.rows]
            if not result.next_cursor:
                break
            cursor = result.next_cursor
        assert sorted(seen) == sorted(c["id"] for c in made), sort
        assert len(seen) == len(set(seen)), sort


async def test_more_button_appends_rows(client, town, login, monkeypatch):
    from web import queries

    for _ in range(3):
        await _case(town, login)
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    web = await sign_in(client, town.users["window"])
    page = await web.get("/admin/cases")
    more = re.search(r'hx-get="(/admin/cases\?[^"]*cursor=[^"]+)"', page.text)
    assert more, "a second page is offered"
    rows = await web.get(more.group(1).replace("&amp;", "&"), htmx=True, target="case_more")
    assert rows.status_code == 200 and "<table" not in rows.text and "<tr" in rows.text


async def test_intake_registers_attaches_and_prints_receipt(client, town):
    web = await sign_in(client, town.users["window"])
    form = await web.get("/admin/intake")
    assert form.status_code == 200 and "登记并受理" in form.text
    data = {
        "channel": "walk_in", "dispute_type": "labour", "description": "拖欠工资两个月", "amount": "8,000",
        "place_id": str(town.villages[0]["id"]), "risk_level": "medium", "rights_notified": "on", "consent": "on",
        "party-0-role": "applicant", "party-0-kind": "person", "party-0-name": "王五", "party-0-phone": "13700001111",
        "party-1-role": "respondent", "party-1-kind": "company", "party-1-name": "某某电子厂", "party-1-phone": "",
    }
    resp = await web.post("/admin/intake", data, files=[("evidence", ("工资条.png", PNG, "image/png"))])
    assert resp.status_code == 303, resp.text
    receipt_url = resp.headers["location"]
    case_id = int(re.search(r"/cases/(\d+)/receipt", receipt_url).group(1))
    case = await Case.select().where(Case.id == case_id).first()
    assert case["state"] == "registered" and str(case["amount"]) in ("8000", "8000.00")
    assert await Evidence.count().where(Evidence.case == case_id) == 1
    receipt = await web.get(receipt_url)
    assert receipt.status_code == 200 and "受理回执" in receipt.text and case["number"] in receipt.text
    assert "王五" in receipt.text
    assert await AccessLog.exists().where((AccessLog.case_id == case_id) & (AccessLog.what == "case.receipt"))


async def test_intake_errors_keep_the_input(client, town):
    web = await sign_in(client, town.users["window"])
    data = {
        "channel": "phone", "dispute_type": "neighbour", "description": "邻居噪音", "title": "楼上噪音",
        "party-0-role": "applicant", "party-0-name": "赵六", "party-0-phone": "13600002222",
    }
    resp = await web.post("/admin/intake", data)
    assert resp.status_code == 422
    assert "请记录已告知当事人权利义务" in resp.text
    assert 'value="赵六"' in resp.text and "邻居噪音" in resp.text and 'value="楼上噪音"' in resp.text

    more = await web.post("/admin/intake", {**data, "_op": "add_party"})
    assert more.status_code == 200 and 'name="party-1-name"' in more.text and 'value="赵六"' in more.text
    fewer = await web.post("/admin/intake", {**data, "party-1-name": "钱七", "_op": "remove_party:0"})
    assert 'value="钱七"' in fewer.text and 'value="赵六"' not in fewer.text

    bad_file = await web.post("/admin/intake", {**data, "rights_notified": "on", "consent": "on"}, files=[("evidence", ("x.exe", b"MZ\x90\x00" * 50, "application/octet-stream"))])
    assert bad_file.status_code == 415 and "不接受此类文件" in bad_file.text
    assert await Case.count().where(Case.description == "邻居噪音") == 0


async def test_intake_warns_of_a_likely_repeat(client, town, login):
    earlier = await _case(town, login)
    web = await sign_in(client, town.users["window"])
    warn = await web.get("/admin/intake/duplicates?party-0-phone=13800138000&dispute_type=labour", htmx=True, target="intake_duplicates")
    assert warn.status_code == 200 and earlier["number"] in warn.text and "同类型" in warn.text and "<html" not in warn.text
    quiet = await web.get("/admin/intake/duplicates?party-0-phone=13000000009&dispute_type=labour", htmx=True, target="intake_duplicates")
    assert earlier["number"] not in quiet.text
    data = {
        "channel": "walk_in", "dispute_type": "labour", "description": "再次来访", "rights_notified": "on", "consent": "on",
        "party-0-role": "applicant", "party-0-name": "张三", "party-0-phone": "13800138000",
    }
    held = await web.post("/admin/intake", data)
    assert held.status_code == 409 and earlier["number"] in held.text and "ack_duplicates" in held.text
    registered = await web.post("/admin/intake", {**data, "ack_duplicates": "on"})
    assert registered.status_code == 303


async def test_grid_worker_reports_without_accepting(client, town):
    grid = await make_user(town.villages[0], ["grid_worker"], "网格员小刘")
    web = await sign_in(client, grid)
    form = await web.get("/admin/intake")
    assert "提交上报" in form.text and "rights_notified" not in form.text
    resp = await web.post("/admin/intake", {
        "channel": "grid", "dispute_type": "neighbour", "description": "巡查发现邻里争吵",
        "party-0-role": "applicant", "party-0-name": "孙八", "party-0-phone": "13500003333",
    })
    assert resp.status_code == 303
    case_id = int(re.search(r"/cases/(\d+)/", resp.headers["location"]).group(1))
    assert (await Case.select(Case.state).where(Case.id == case_id).first())["state"] == "submitted"



async def test_sign_in_page_in_english(client):
    page = await client.get("/admin/login?lang=en")
    assert 'lang="en"' in page.text and "Sign in to Jiefen" in page.text
    assert "jiefen_locale=en" in page.headers["set-cookie"]
    client.cookies.clear()


async def test_idle_session_times_out(client, town):
    from datetime import UTC, datetime, timedelta

    from core.auth.tables import StaffSession
    from core.settings import get_settings

    web = await sign_in(client, town.users["window"])
    idle = timedelta(minutes=get_settings().session_idle_minutes + 1)
    await StaffSession.update({StaffSession.last_seen_at: datetime.now(UTC) - idle}).where(StaffSession.user == town.users["window"]["id"])
    resp = await web.get("/admin/intake")
    assert resp.status_code == 303 and resp.headers["location"] == "/admin/login?next=%2Fadmin%2Fintake"
