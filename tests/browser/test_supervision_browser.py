"""The supervision dashboard in headless Chromium (Debian's, never a downloaded one) against a
real server with the demo town: a supervisor sees an overdue case on the dashboard, urges it
and finds 催办 on its timeline; the daily update downloads as CSV and XLSX with the figures
the database holds; a supervisor of another town sees only that town's numbers. Screenshots
go to tests/artifacts/screenshots/supervision-*.png.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.server import PASSWORD, SHOTS, cli, have_chromium, live_server, new_page, sign_in

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("Asia/Shanghai")

if not have_chromium():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _stamp(moment: datetime) -> str:
    """A timestamp as Piccolo keeps it in SQLite."""
    return str(moment.astimezone(UTC))


def _prepare(db_path: Path) -> dict[str, Any]:
    """One open case of 和平镇 made overdue (its mediation deadline moved into the past), and
    one moved to 安宁街道 and made overdue there."""
    db = sqlite3.connect(db_path)
    town = db.execute("select id, path from organisation where name = '和平镇'").fetchone()
    anning = db.execute("select id, path from organisation where name = '安宁街道'").fetchone()
    open_cases = db.execute(
        "select id, number from dispute_case where state in ('in_mediation', 'assigned') order by state = 'in_mediation' desc, id"
    ).fetchall()
    (ours, our_number), (moved, moved_number) = open_cases[0], open_cases[1]
    past = _stamp(datetime.now(UTC) - timedelta(days=3))
    db.execute("update dispute_case set next_due_at = ? where id = ?", (past, ours))
    db.execute("update case_deadline set due_at = ?, state = 'overdue' where \"case\" = ? and kind = 'mediation'", (past, ours))
    db.execute(
        "update dispute_case set org = ?, org_path = ?, place = null, place_path = '', assigned_org = null, assigned_org_path = '',"
        " assignee = null, in_pool = 0, next_due_at = ? where id = ?",
        (anning[0], anning[1], _stamp(datetime.now(UTC) - timedelta(days=1)), moved),
    )
    db.commit()
    db.close()
    return {"town": town, "anning": anning, "ours": ours, "our_number": our_number, "moved": moved, "moved_number": moved_number}


def _prepare_site(db_path: Path, env: dict[str, str]) -> dict[str, Any]:
    facts = _prepare(db_path)
    cli(env, "createuser", "anning_lead", "--organisation", str(facts["anning"][0]), "--roles", "supervisor", "--name", "安宁街道领导", "--password", PASSWORD)
    return facts


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    """The demo town with 14 cases of today (the daily update needs them), one overdue in 和平镇
    and one moved to 安宁街道 (whose supervisor is ``anning_lead``)."""
    with live_server("supervision", ("--cases", "14", "--days", "0"), _prepare_site) as site:
        yield site


async def _page(browser: Any, server: dict[str, Any], user: str, *, width: int = 1280, height: int = 900) -> Any:
    page = await new_page(browser, width=width, height=height, accept_downloads=True)
    await sign_in(page, server["base"], user)
    return page


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(SHOTS / f"supervision-{name}.png"), full_page=True)


def _today_figures(server: dict[str, Any]) -> dict[str, int]:
    """What the daily update of today must say for 和平镇, straight from the database."""
    today = datetime.now(ZONE).date()
    lo = _stamp(datetime(today.year, today.month, today.day, tzinfo=ZONE))
    hi = _stamp(datetime(today.year, today.month, today.day, tzinfo=ZONE) + timedelta(days=1))
    prefix = server["town"][1] + "%"
    tree = "(org_path like :p or place_path like :p or assigned_org_path like :p)"
    db = sqlite3.connect(server["db"])
    args = {"p": prefix, "lo": lo, "hi": hi}
    cases = db.execute(f"select count(*) from dispute_case where {tree} and submitted_at >= :lo and submitted_at < :hi", args).fetchone()[0]
    events = dict(db.execute(
        f"select name, count(*) from case_event where at >= :lo and at < :hi and name in ('accept', 'agree', 'fail', 'close')"
        f" and \"case\" in (select id from dispute_case where {tree}) group by name", args,
    ).fetchall())
    db.close()
    return {"cases": cases, **{k: events.get(k, 0) for k in ("accept", "agree", "fail", "close")}}


async def test_a_supervisor_urges_an_overdue_case_from_the_dashboard(server, browser):
    lead = await _page(browser, server, "lead")
    await lead.click("nav.nav >> text=督办看板")
    await lead.wait_for_url("**/admin/dashboard")
    row = lead.locator(f"#overdue-{server['ours']}")
    await row.wait_for()
    assert server["our_number"] in await row.inner_text() and "已超期" in await row.inner_text()
    body = await lead.inner_text("#dashboard_body")
    assert server["moved_number"] not in body  # 安宁街道's case is not 和平镇's
    assert await lead.locator("svg#chart-state[role=img]").count() == 1 and await lead.locator("svg#chart-daily").count() == 1
    await shot(lead, "01-dashboard")
    await lead.fill(f"#message-{server['ours']}", "已超期三天,请今天联系双方。")
    await lead.click(f"#urge-{server['ours']}")
    await lead.wait_for_selector(f"#overdue-{server['ours']} >> text=已完成:催办")
    assert "催办" in await lead.inner_text(f"#overdue-{server['ours']} .last-steps")
    await shot(lead, "02-urged")
    await lead.click(f"#overdue-{server['ours']} td.num a")
    await lead.wait_for_url(f"**/admin/cases/{server['ours']}")
    timeline = await lead.inner_text("#case_timeline")
    assert "催办" in timeline and "已超期三天,请今天联系双方。" in timeline
    await shot(lead, "03-case-timeline")
    assert not lead.js_errors
    await lead.context.close()


async def test_the_daily_update_downloads_as_csv_and_xlsx(server, browser, tmp_path):
    from openpyxl import load_workbook

    expected = _today_figures(server)
    assert expected["cases"] > 0
    lead = await _page(browser, server, "lead")
    await lead.goto(server["base"] + "/admin/dashboard")
    await lead.click(".report-links >> text=日动态")
    await lead.wait_for_url("**/admin/dashboard/reports/daily**")
    await lead.click("a[rel=next]")  # yesterday's report first; today is the next period
    await lead.wait_for_selector("text=本期尚未结束")
    assert (await lead.inner_text("#figure-cases .value")).strip() == str(expected["cases"])
    await shot(lead, "04-daily-update")

    async with lead.expect_download() as info:
        await lead.click("#export-csv")
    download = await info.value
    assert download.suggested_filename.endswith(".csv")
    raw = Path(await download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    summary = {r[1]: r[2] for r in rows if r[0] == "概要"}
    assert summary["新收案件"] == str(expected["cases"]) and summary["受理"] == str(expected["accept"])
    assert summary["调解成功"] == str(expected["agree"]) and summary["调解不成"] == str(expected["fail"]) and summary["办结"] == str(expected["close"])
    outcomes = expected["agree"] + expected["fail"]
    assert summary["调解成功率"] == (f"{expected['agree'] / outcomes * 100:.1f}%" if outcomes else "—")
    assert sum(int(r[2]) for r in rows if r[0] == "按纠纷类型") == expected["cases"]

    async with lead.expect_download() as info:
        await lead.click("#export-xlsx")
    download = await info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    book = load_workbook(saved)
    sheet = {r[0]: r for r in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert sheet["新收案件"][1] == expected["cases"] and sheet["受理"][1] == expected["accept"] and sheet["办结"][1] == expected["close"]
    assert sum(r[1] for r in book["按纠纷类型"].iter_rows(min_row=2, values_only=True)) == expected["cases"]
    db = sqlite3.connect(server["db"])
    names = [n for (n,) in db.execute("select name from party limit 50")]
    db.close()
    cells = " ".join(str(v) for ws in book for r in ws.iter_rows(values_only=True) for v in r if v is not None)
    assert not [n for n in names if n in cells] and not [n for n in names if n in raw.decode("utf-8-sig")]
    await lead.context.close()


async def test_a_town_supervisor_sees_only_their_town(server, browser):
    page = await _page(browser, server, "anning_lead")
    await page.goto(server["base"] + "/admin/dashboard")
    assert (await page.inner_text("#kpi-open .kpi-value")).strip() == "1"
    listed = await page.inner_text("#overdue")
    assert server["moved_number"] in listed and server["our_number"] not in listed
    await shot(page, "05-other-town")
    resp = await page.goto(server["base"] + f"/admin/dashboard?org={server['town'][0]}")
    assert resp.status == 404
    resp = await page.goto(server["base"] + f"/admin/dashboard/reports/daily/export/csv?org={server['town'][0]}")
    assert resp.status == 404
    await page.context.close()
    county = await _page(browser, server, "county_lead")
    await county.goto(server["base"] + "/admin/dashboard")
    assert server["moved_number"] in await county.inner_text("#overdue")
    assert int(await county.inner_text("#kpi-open .kpi-value")) > 1
    await county.select_option("select[name=org]", str(server["anning"][0]))
    await county.wait_for_url(f"**org={server['anning'][0]}**")
    # not wait_for_function: the page's CSP forbids eval
    from playwright.async_api import expect

    await expect(county.locator("#kpi-open .kpi-value")).to_have_text("1")
    await county.context.close()


async def test_the_dashboard_on_a_phone(server, browser):
    phone = await _page(browser, server, "lead", width=390, height=844)
    await phone.goto(server["base"] + "/admin/dashboard")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await shot(phone, "06-phone")
    await phone.context.close()
