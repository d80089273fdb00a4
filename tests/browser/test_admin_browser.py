"""The admin in headless Chromium (Debian's, never a downloaded one) against a real server.

One walk-in case goes the whole way: registered at the window, dispatched, taken by the
mediator, a session scheduled and recorded, agreed, followed up, closed. A supervisor finds an
overdue case through the queue's filter and urges it; a user of another town gets 404; a
phone-sized screen has no sideways scrolling; forms work with JavaScript off. Screenshots of
each page go to tests/artifacts/screenshots/.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.server import SHOTS, have_chromium, new_page, sign_in

pytestmark = pytest.mark.browser

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)

if not have_chromium():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@pytest.fixture
def server(admin_server: dict[str, Any]) -> dict[str, Any]:
    return admin_server


async def _page(browser: Any, server: dict[str, Any], user: str | None, *, width: int = 1280, height: int = 900, js: bool = True) -> Any:
    page = await new_page(browser, width=width, height=height, js=js)
    if user:
        await sign_in(page, server["base"], user, wait_until="load" if js else "domcontentloaded")
    return page


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def act(page: Any, event: str) -> None:
    """Open an action's form (it may sit under "more actions"), leave its fields to the caller."""
    details = page.locator(f"#act-{event}")
    if not await details.is_visible():
        await page.locator("details.more-actions > summary").click()
    if await details.get_attribute("open") is None:
        await details.locator("summary").click()


async def submit(page: Any, event: str, done_label: str) -> None:
    await page.click(f"#do-{event}")
    await page.wait_for_selector(f"text=已完成:{done_label}")


async def test_a_walk_in_case_from_window_to_closed(server, browser, tmp_path):
    base = server["base"]
    login = await _page(browser, server, None)
    await login.goto(base + "/")
    assert login.url.endswith("/admin/login?next=%2Fadmin%2F") or "/admin/login" in login.url
    await shot(login, "01-login")
    await login.context.close()

    desk = await _page(browser, server, "window")
    await shot(desk, "02-queue")
    # The queue filters in place (HTMX): the page is not reloaded, the URL follows.
    await desk.evaluate("window.__stay = 1")
    await desk.click(".state-tabs a:has-text('调解中')")
    await desk.wait_for_url("**state=in_mediation**")
    assert await desk.evaluate("window.__stay") == 1
    await desk.select_option("select[name=risk]", "high")
    await desk.wait_for_url("**risk=high**")
    assert await desk.evaluate("window.__stay") == 1

    await desk.goto(base + "/admin/intake")
    await desk.select_option("select[name=dispute_type]", "labour")
    await desk.select_option("select[name=risk_level]", "medium")
    await desk.fill("input[name=title]", "电子厂拖欠工资")
    await desk.fill("textarea[name=description]", "申请人在和平电子厂务工,被拖欠三个月工资共计两万元。")
    await desk.fill("input[name=amount]", "20000")
    await desk.fill("input[name='party-0-name']", "陈小明")
    await desk.fill("input[name='party-0-phone']", "13912340001")
    await desk.fill("input[name='party-0-id_number']", "441900199203041234")
    await desk.select_option("select[name='party-1-kind']", "company")
    await desk.fill("input[name='party-1-name']", "和平电子厂")
    await desk.click("button[value=add_party]")  # a third party, added in place
    await desk.wait_for_selector("input[name='party-2-name']")
    assert await desk.input_value("input[name='party-0-name']") == "陈小明"
    await desk.select_option("select[name='party-2-role']", "third_party")
    await desk.fill("input[name='party-2-name']", "劳务中介刘某")
    evidence = tmp_path / "工资条.png"
    evidence.write_bytes(PNG)
    await desk.set_input_files("input[name=evidence]", str(evidence))
    await desk.check("input[name=rights_notified]")
    await desk.check("input[name=consent]")
    await shot(desk, "03-intake")
    await desk.click(".actions-bar button.primary")
    await desk.wait_for_url("**/receipt?new=1")
    await shot(desk, "04-receipt")
    receipt = await desk.inner_text("article.receipt")
    assert "受理回执" in receipt and "陈小明" in receipt
    number = (await desk.inner_text(".receipt-no")).strip()

    await desk.click("text=查看案件")
    await desk.wait_for_url("**/admin/cases/*")
    case_url = desk.url
    assert "139****0001" in await desk.inner_text("#case_parties")
    assert "工资条.png" in await desk.inner_text("#case_evidence")
    await act(desk, "dispatch")
    await desk.locator("label.suggestion", has_text="赵文静").locator("input").check()
    await shot(desk, "05-case-dispatch")
    await submit(desk, "dispatch", "派单")
    assert "已派单" in await desk.inner_text("#case_state")

    # The duplicate warning appears as the phone is typed.
    await desk.goto(base + "/admin/intake")
    await desk.select_option("select[name=dispute_type]", "labour")
    await desk.fill("input[name='party-0-phone']", "13912340001")
    await desk.wait_for_selector(f"#intake_duplicates >> text={number}")
    await shot(desk, "06-intake-duplicate")
    await desk.context.close()

    worker = await _page(browser, server, "mediator")
    await worker.goto(case_url)
    await submit(worker, "take", "接单")
    await act(worker, "schedule_session")
    when = (datetime.now(UTC) + timedelta(days=2)).astimezone().strftime("%Y-%m-%dT10:00")
    await worker.fill("#act-schedule_session input[name=scheduled_at]", when)
    await worker.fill("#act-schedule_session input[name=place]", "和平镇调解室")
    await worker.fill("#act-schedule_session textarea[name=attendees]", "陈小明\n和平电子厂代表")
    await submit(worker, "schedule_session", "安排调解会")
    await act(worker, "record_session")
    await worker.fill("#act-record_session textarea[name=record]", "双方陈述事实,厂方同意分两期支付欠薪。")
    await submit(worker, "record_session", "记录调解笔录")
    await act(worker, "agree")
    await worker.fill("#act-agree textarea[name=facts]", "和平电子厂拖欠陈小明三个月工资。")
    await worker.fill("#act-agree textarea[name=matters]", "欠薪数额及支付期限。")
    await worker.fill("#act-agree input[name='term-0-obligor']", "和平电子厂")
    await worker.fill("#act-agree input[name='term-0-obligee']", "陈小明")
    await worker.fill("#act-agree input[name='term-0-what']", "支付第一期工资")
    await worker.fill("#act-agree input[name='term-0-amount']", "10000")
    await worker.click("#act-agree button[value=add_term]")
    await worker.wait_for_selector("#act-agree input[name='term-1-what']")
    assert await worker.input_value("#act-agree input[name='term-0-what']") == "支付第一期工资"
    await worker.fill("#act-agree input[name='term-1-obligor']", "和平电子厂")
    await worker.fill("#act-agree input[name='term-1-what']", "支付第二期工资")
    await worker.fill("#act-agree input[name='term-1-amount']", "10000")
    await worker.fill("#act-agree input[name='term-1-due_date']", "2026-12-31")
    await shot(worker, "07-case-agree-form")
    await submit(worker, "agree", "调解成功")
    assert "支付第二期工资" in await worker.inner_text("#case_agreement")
    # Closing before the follow-up is refused, with the reason on the page.
    await submit_error(worker, "close", "须经回访确认协议已履行后方可办结")
    await act(worker, "follow_up")
    await worker.check("#act-follow_up input[name=performed][value=yes]")
    await worker.select_option("#act-follow_up select[name=rating]", "5")
    await worker.fill("#act-follow_up textarea[name=result]", "两期工资均已到账。")
    await submit(worker, "follow_up", "回访")
    await submit(worker, "close", "办结")
    assert "已办结" in await worker.inner_text("#case_state")
    await shot(worker, "08-case-closed")
    timeline = await worker.inner_text("#case_timeline")
    for step in ("提交申请", "受理", "派单", "接单", "安排调解会", "记录调解笔录", "调解成功", "回访", "办结"):
        assert step in timeline
    assert not worker.js_errors
    await worker.context.close()

    stranger = await _page(browser, server, "anning")
    resp = await stranger.goto(case_url)
    assert resp.status == 404
    assert "未找到" in await stranger.inner_text("main") and number not in await stranger.content()
    await shot(stranger, "09-other-town-404")
    await stranger.context.close()


async def submit_error(page: Any, event: str, message: str) -> None:
    await page.click(f"#do-{event}")
    await page.wait_for_selector(f"text={message}")


async def test_a_supervisor_urges_an_overdue_case(server, browser):
    db = sqlite3.connect(server["db"])
    row = db.execute("select id, number from dispute_case where state = 'in_mediation' order by id limit 1").fetchone()
    if row is None:
        row = db.execute("select id, number from dispute_case where state in ('registered', 'assigned') order by id limit 1").fetchone()
    past = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    db.execute("update dispute_case set next_due_at = ? where id = ?", (past, row[0]))
    db.commit()
    db.close()
    lead = await _page(browser, server, "lead")
    await lead.check("input[name=overdue]")
    await lead.wait_for_url("**overdue=1**")
    await lead.wait_for_selector(f"#case_list >> text={row[1]}")
    assert "已超期" in await lead.inner_text("#case_list")
    await shot(lead, "10-queue-overdue")
    await lead.click(f"#case_list >> text={row[1]}")
    await lead.wait_for_url(f"**/admin/cases/{row[0]}")
    await act(lead, "urge")
    await lead.fill("#act-urge textarea[name=message]", "已超期,请今天内联系双方。")
    await submit(lead, "urge", "催办")
    assert "已超期,请今天内联系双方。" in await lead.inner_text("#case_timeline")
    await shot(lead, "11-case-urged")
    await lead.context.close()


async def test_phone_sized_screen(server, browser):
    phone = await _page(browser, server, "mediator", width=390, height=844)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await shot(phone, "12-phone-queue")
    await phone.click("table.cases td.num a >> nth=0")
    await phone.wait_for_url("**/admin/cases/*")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await shot(phone, "13-phone-case")
    await phone.goto(server["base"] + "/admin/intake")
    await phone.context.close()
    desk = await _page(browser, server, "window", width=390, height=844)
    await desk.goto(server["base"] + "/admin/intake")
    assert await desk.evaluate("document.documentElement.scrollWidth") <= 390
    await shot(desk, "14-phone-intake")
    await desk.context.close()


async def test_forms_work_with_javascript_off(server, browser):
    # Every step waits for what it needs (the URL, then the element's text), never for the
    # page's subresources: the server shares the machine with the rest of the suite.
    page = await _page(browser, server, "window", js=False)
    await page.click("table.cases td.num a >> nth=0")
    await page.wait_for_url("**/admin/cases/*", wait_until="domcontentloaded")
    await page.click("#act-note > summary")
    await page.fill("#act-note textarea[name=text]", "无脚本也能提交的备注")
    await page.click("#do-note")
    await page.wait_for_url("**?done=note", wait_until="domcontentloaded")
    await expect(page.locator("#case_timeline")).to_contain_text("无脚本也能提交的备注")
    await shot(page, "15-no-js-note")
    await page.goto(server["base"] + "/admin/cases?state=closed", wait_until="domcontentloaded")
    await expect(page.locator(".state-tabs a[aria-current]")).to_contain_text("已办结")
    await page.context.close()


async def test_english_switch(server, browser):
    page = await _page(browser, server, "lead")
    await page.click("button[name=locale][value=en]")
    await page.wait_for_selector("text=Sign out")
    assert "Cases" in await page.inner_text("nav.nav")
    await shot(page, "16-queue-english")
    await page.click("button[name=locale][value=zh_CN]")
    await page.wait_for_selector("text=退出")
    await page.context.close()
