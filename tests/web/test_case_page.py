"""The case page: role-exact actions, every step by plain form posts, errors inline, reveal."""

from __future__ import annotations

import re

import pytest

from core.audit.tables import AccessLog
from core.cases.tables import Case
from tests.factories import make_town
from tests.web.conftest import sign_in
from tests.web.test_pages import _case

pytestmark = pytest.mark.db


def action_forms(html: str) -> set[str]:
    return set(re.findall(r'action="/admin/cases/\d+/act/(\w+)"', html))


async def test_the_whole_path_by_forms(client, town, login):
    case = await _case(town, login)
    cid = case["id"]
    desk = await sign_in(client, town.users["window"])
    page = await desk.get(f"/admin/cases/{cid}")
    assert page.status_code == 200
    assert {"dispatch", "note", "escalate", "withdraw"} <= action_forms(page.text)
    assert "reject" not in action_forms(page.text), "only a submitted case can be rejected"
    assert "accept" not in action_forms(page.text) and "take" not in action_forms(page.text)
    assert "uphold" not in action_forms(page.text), "upholding only answers a return"
    assert "擅长此类纠纷" in page.text, "suggestions carry their reasons"
    best = re.search(r'name="mediator_id" value="(\d+)"', page.text).group(1)
    mediator_user = next(m["user"] for m in town.mediators if str(m["id"]) == best)
    done = await desk.post(f"/admin/cases/{cid}/act/dispatch", {"how": "mediator", "mediator_id": best, "version": "2"})
    assert done.status_code == 303, done.text

    worker = await sign_in(client, mediator_user)
    page = await worker.get(f"/admin/cases/{cid}")
    assert "take" in action_forms(page.text) and "dispatch" not in action_forms(page.text)
    assert (await worker.post(f"/admin/cases/{cid}/act/take", {})).status_code == 303
    page = await worker.get(f"/admin/cases/{cid}")
    assert {"schedule_session", "agree", "fail", "first_contact"} <= action_forms(page.text)
    assert "record_session" not in action_forms(page.text), "nothing to record before a session is scheduled"
    assert "urge" not in action_forms(page.text)
    resp = await worker.post(f"/admin/cases/{cid}/act/schedule_session", {"scheduled_at": "2026-12-01T10:00", "place": "镇调解室", "mode": "in_person", "attendees": "张三\n厂方代表"})
    assert resp.status_code == 303
    page = await worker.get(f"/admin/cases/{cid}")
    session_id = re.search(r'name="session_id"><option value="(\d+)"', page.text).group(1)
    assert "2026-12-01 10:00" in page.text, "shown in local time"
    resp = await worker.post(f"/admin/cases/{cid}/act/record_session", {"session_id": session_id, "record": "双方同意分期支付"})
    assert resp.status_code == 303

    # Agree: add a term row without JavaScript, then submit two terms.
    agree = {"facts": "欠薪三个月", "matters": "工资数额与期限", "term-0-obligor": "某某制衣厂", "term-0-obligee": "张三", "term-0-what": "支付工资", "term-0-amount": "20000"}
    more = await worker.post(f"/admin/cases/{cid}/act/agree", {**agree, "_op": "add_term"})
    assert more.status_code == 200 and 'name="term-1-what"' in more.text and 'value="某某制衣厂"' in more.text
    assert re.search(r'<details class="action[^"]*" id="act-agree" open>', more.text)
    resp = await worker.post(f"/admin/cases/{cid}/act/agree", {**agree, "term-1-obligor": "某某制衣厂", "term-1-what": "支付剩余工资", "term-1-amount": "16,000", "term-1-due_date": "2026-12-31"})
    assert resp.status_code == 303, resp.text
    page = await worker.get(f"/admin/cases/{cid}")
    assert "支付剩余工资" in page.text and "16,000.00" in page.text and "调解成功" in page.text

    refused = await worker.post(f"/admin/cases/{cid}/act/close", {})
    assert refused.status_code == 409 and "须经回访确认协议已履行后方可办结" in refused.text
    resp = await worker.post(f"/admin/cases/{cid}/act/follow_up", {"method": "phone", "performed": "yes", "rating": "5", "result": "已全部支付"})
    assert resp.status_code == 303
    assert (await worker.post(f"/admin/cases/{cid}/act/close", {})).status_code == 303
    row = await Case.select(Case.state).where(Case.id == cid).first()
    assert row["state"] == "closed"
    page = await worker.get(f"/admin/cases/{cid}")
    for label in ("派单", "接单", "安排调解会", "记录调解笔录", "调解成功", "回访", "办结"):
        assert label in page.text


async def test_errors_come_back_inline_with_the_input(client, town, login):
    case = await _case(town, login)
    desk = await sign_in(client, town.users["window"])
    resp = await desk.post(f"/admin/cases/{case['id']}/act/escalate", {"reason": ""})
    assert resp.status_code == 422 and "请填写原因" in resp.text
    assert re.search(r'id="act-escalate" open', resp.text)
    stale = await desk.post(f"/admin/cases/{case['id']}/act/note", {"text": "旧版本", "version": "1"})
    assert stale.status_code == 409 and "已被他人修改" in stale.text and "旧版本" in stale.text
    hx = await desk.post(f"/admin/cases/{case['id']}/act/reject", {"reason": "不属受理范围"}, htmx=True, target="case_main")
    assert hx.status_code == 409 and 'id="case_main"' in hx.text and "<html" not in hx.text
    assert "不能执行“不予受理”" in hx.text
    bad_pick = await desk.post(f"/admin/cases/{case['id']}/act/dispatch", {"how": "mediator"})
    assert bad_pick.status_code == 422 and "请选择调解员" in bad_pick.text
    unchanged = await Case.select(Case.state, Case.version).where(Case.id == case["id"]).first()
    assert unchanged["state"] == "registered"


async def test_supervisor_urges_and_another_town_gets_404(client, town, login):
    case = await _case(town, login)
    lead = await sign_in(client, town.users["supervisor"])
    page = await lead.get(f"/admin/cases/{case['id']}")
    assert {"urge", "supervise"} <= action_forms(page.text)
    resp = await lead.post(f"/admin/cases/{case['id']}/act/urge", {"message": "请尽快派单"})
    assert resp.status_code == 303
    page = await lead.get(resp.headers["location"])
    assert "已完成:催办" in page.text and "请尽快派单" in page.text

    stranger = await make_town()
    other = await sign_in(client, stranger.users["supervisor"])
    for url in (f"/admin/cases/{case['id']}", f"/admin/cases/{case['id']}/receipt"):
        resp = await other.get(url)
        assert resp.status_code == 404 and "未找到" in resp.text and case["number"] not in resp.text
    resp = await other.post(f"/admin/cases/{case['id']}/act/urge", {"message": "越权"})
    assert resp.status_code == 404


async def test_reveal_is_an_action_and_is_logged(client, town, login):
    case = await _case(town, login)
    desk = await sign_in(client, town.users["window"])
    page = await desk.get(f"/admin/cases/{case['id']}")
    assert "13800138000" not in page.text and "138****8000" in page.text
    party_id = int(re.search(r'/parties/(\d+)/reveal', page.text).group(1))
    before = await AccessLog.count().where((AccessLog.case_id == case["id"]) & (AccessLog.what == "party.contact"))
    fragment = await desk.post(f"/admin/cases/{case['id']}/parties/{party_id}/reveal", {}, htmx=True, target=f"party-{party_id}")
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith(f'<tr id="party-{party_id}"')
    assert "13800138000" in fragment.text and "44190019900101123X" in fragment.text
    plain = await desk.post(f"/admin/cases/{case['id']}/parties/{party_id}/reveal", {})
    assert plain.status_code == 200 and "13800138000" in plain.text and "<html" in plain.text
    logs = await AccessLog.select().where((AccessLog.case_id == case["id"]) & (AccessLog.what == "party.contact"))
    assert len(logs) == before + 2 and all(r["party_id"] == party_id and r["user"] == town.users["window"]["id"] for r in logs)
    # A GET never reveals.
    assert "13800138000" not in (await desk.get(f"/admin/cases/{case['id']}")).text


async def test_language_switch_is_kept_per_user(client, town):
    from core.auth.tables import StaffUser

    desk = await sign_in(client, town.users["window"])
    resp = await desk.post("/admin/locale", {"locale": "en", "next": "/admin/cases"})
    assert resp.status_code == 303 and "jiefen_locale=en" in resp.headers["set-cookie"]
    assert (await StaffUser.select(StaffUser.locale).where(StaffUser.id == town.users["window"]["id"]).first())["locale"] == "en"
    desk.cookies["jiefen_locale"] = "en"
    page = await desk.get("/admin/cases", headers={"Accept-Language": "zh-CN"})
    assert 'lang="en"' in page.text and "Register a case" in page.text
    # A fresh sign-in brings the stored choice back.
    again = await client.post("/admin/login", data={"username": town.users["window"]["username"], "password": "correct horse battery"})
    assert "jiefen_locale=en" in ";".join(again.headers.get_list("set-cookie"))
    client.cookies.clear()


async def test_evidence_upload_on_the_case_page(client, town, login):
    from tests.web.test_pages import PNG

    case = await _case(town, login)
    desk = await sign_in(client, town.users["window"])
    resp = await desk.post(f"/admin/cases/{case['id']}/evidence", {"description": "聊天截图"}, files=[("file", ("截图.png", PNG, "image/png"))])
    assert resp.status_code == 303
    page = await desk.get(f"/admin/cases/{case['id']}")
    assert "截图.png" in page.text and "聊天截图" in page.text
    bad = await desk.post(f"/admin/cases/{case['id']}/evidence", {}, files=[("file", ("a.txt", b"plain text here", "text/plain"))])
    assert bad.status_code == 415 and "不接受此类文件" in bad.text


async def test_plugin_buttons_and_panels_show(client, town, login):
    from core import hookimpl
    from core.plugins.manager import forget_switches, get_manager

    class Demo:
        @hookimpl
        def case_actions(self, case, actor):
            return [{"label": "转心理咨询", "url": f"/admin/plugins/webdemo/{case['id']}/refer", "method": "post"}]

        @hookimpl
        def case_panels(self, case, actor):
            return [{"id": "webdemo-panel", "title": "心理咨询", "html": "<p class='from-plugin'>绿色</p>"}]

    class Broken:
        @hookimpl
        def case_panels(self, case, actor):
            raise RuntimeError("boom")

    case = await _case(town, login)
    pm = get_manager()
    pm.register(Demo(), name="webdemo")
    pm.register(Broken(), name="webbroken")
    forget_switches()
    try:
        desk = await sign_in(client, town.users["window"])
        page = await desk.get(f"/admin/cases/{case['id']}")
        assert page.status_code == 200
        assert "转心理咨询" in page.text and f'action="/admin/plugins/webdemo/{case["id"]}/refer"' in page.text
        assert 'id="webdemo-panel"' in page.text and "<p class='from-plugin'>绿色</p>" in page.text
        assert "webbroken" in page.text, "a failing panel is named, the page still renders"
    finally:
        pm.unregister(name="webdemo")
        pm.unregister(name="webbroken")
        forget_switches()
