"""The supervision dashboard (督办看板) and the periodic reports: figures by their definitions,
the subtree, urge and supervise through the lifecycle, plugin widgets, CSV and XLSX files."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from core import hookimpl
from core.auth.service import actor_for_user
from core.cases.tables import Case, CaseEvent, Deadline, Party
from core.reports import service
from core.reports.tables import Report
from core.settings import get_settings
from tests.factories import application, make_org, make_town, make_user
from tests.plugins.conftest import registered
from tests.web.conftest import sign_in
from web.supervision import figures, reports

pytestmark = pytest.mark.db

NOW = datetime.now(UTC)
TERMS = [{"obligor": "某某制衣厂", "obligee": "张三", "what": "支付工资", "amount": "36000.00", "due_date": "2026-12-31"}]


async def seed(town: Any, state: str, **over: Any) -> dict[str, Any]:
    """A case straight in ``state`` (no events): the town's, at village 0, with the committee's mediator0."""
    values: dict[str, Any] = dict(
        number=f"S-{uuid.uuid4().hex[:10]}", channel="walk_in", dispute_type="labour", state=state, risk_level="medium",
        org=town.town["id"], org_path=town.town["path"], place=town.villages[0]["id"], place_path=town.villages[0]["path"],
        assigned_org=town.committee["id"], assigned_org_path=town.committee["path"], assignee=town.users["mediator0"]["id"],
        submitted_at=NOW - timedelta(days=5), updated_at=NOW,
    )
    values.update(over)
    row = (await Case.insert(Case(**values)).returning(*Case.all_columns()))[0]
    await Party.insert(Party(case=row["id"], role="applicant", name="张三丰", phone="13912345678", id_number="44190019900101123X"))
    return row


async def seeded_town() -> tuple[Any, dict[str, dict[str, Any]]]:
    """A town with one case of each kind the definitions tell apart, and a case elsewhere."""
    town = await make_town()
    v1 = {"place": town.villages[1]["id"], "place_path": town.villages[1]["path"]}
    sub = NOW - timedelta(days=5)
    reg = sub + timedelta(hours=1)
    cases = {
        "overdue": await seed(town, "in_mediation", risk_level="high", registered_at=reg, first_contact_at=sub + timedelta(hours=10), next_due_at=NOW - timedelta(days=2)),
        "running": await seed(town, "assigned", dispute_type="neighbour", registered_at=reg, next_due_at=NOW + timedelta(days=2), **v1),
        "agreed": await seed(town, "agreed", outcome="agreed", risk_level="low", registered_at=reg, first_contact_at=sub + timedelta(hours=2)),
        "closed_agreed": await seed(town, "closed", outcome="agreed", registered_at=reg, first_contact_at=sub + timedelta(hours=4), closed_at=sub + timedelta(hours=48)),
        "closed_failed": await seed(town, "closed", outcome="failed", dispute_type="neighbour", submitted_at=NOW - timedelta(days=60),
                                    registered_at=NOW - timedelta(days=60), closed_at=NOW - timedelta(days=60, hours=-96), **v1),
        "failed": await seed(town, "failed", outcome="failed", dispute_type="neighbour", registered_at=reg, **v1),
        "rejected": await seed(town, "rejected"),
        "merged": await seed(town, "closed", outcome="merged", registered_at=reg, closed_at=reg),
        "waiting": await seed(town, "submitted", risk_level="high", next_due_at=NOW - timedelta(hours=3), assignee=None),
    }
    other = await make_town()
    cases["elsewhere"] = await seed(other, "in_mediation", next_due_at=NOW - timedelta(days=1))
    town.other = other  # type: ignore[attr-defined]
    return town, cases


async def test_figures_follow_their_definitions() -> None:
    town, cases = await seeded_town()
    lead = await actor_for_user(town.users["supervisor"]["id"])
    d = await figures.dashboard_figures(lead, period="all")
    # Open: not rejected, withdrawn or closed (a failed case still waits to be closed).
    assert d.open == 5
    assert dict(d.by_state) == {"submitted": 1, "assigned": 1, "in_mediation": 1, "agreed": 1, "failed": 1}
    assert [s for s, _ in d.by_state] == ["submitted", "assigned", "in_mediation", "agreed", "failed"]
    assert d.by_type == [("labour", 3), ("neighbour", 2)]
    assert dict(d.by_risk) == {"high": 2, "medium": 2, "low": 1} and d.high_risk_open == 2
    # Overdue: open and past Case.next_due_at; the other town's overdue case is not ours.
    assert d.overdue == 2 and d.overdue_by_state == {"in_mediation": 1, "submitted": 1}
    # The cohort: every case received; merged duplicates are neither accepted nor closed.
    assert (d.submitted, d.accepted, d.closed) == (9, 6, 2)
    assert d.closure_rate == pytest.approx(2 / 6)
    assert (d.agreed, d.failed) == (2, 2) and d.success_rate == pytest.approx(0.5)
    assert d.contacted == 3 and d.avg_hours_to_first_contact == pytest.approx((10 + 2 + 4) / 3, abs=0.01)
    assert d.closed_timed == 2 and d.avg_hours_to_close == pytest.approx(72, abs=0.01)
    # Hot spots: villages by cases received, with open, high-risk open and the top type.
    [v0, v1] = d.hot_spots
    assert (v0["place_id"], v0["cases"], v0["open"], v0["high"], v0["top_type"]) == (town.villages[0]["id"], 6, 3, 2, "labour")
    assert (v1["place_id"], v1["cases"], v1["open"], v1["high"], v1["top_type"]) == (town.villages[1]["id"], 3, 2, 0, "neighbour")
    # The last 30 days leave out the case received 60 days ago.
    recent = await figures.dashboard_figures(lead, period="30d")
    assert (recent.submitted, recent.accepted, recent.closed, recent.agreed, recent.failed) == (8, 5, 1, 2, 1)
    assert recent.success_rate == pytest.approx(2 / 3) and recent.closure_rate == pytest.approx(1 / 5)
    assert recent.open == d.open  # a snapshot, not windowed
    assert len(recent.daily) == 30 and sum(n for _, n in recent.daily) == 8
    # The county sees the town's numbers (and not the other county's).
    county = await actor_for_user(town.users["county_supervisor"]["id"])
    assert (await figures.dashboard_figures(county, period="all")).open == 5
    # Narrowed to a village: only what happened there.
    village = await figures.dashboard_figures(lead, org_path=town.villages[1]["path"], period="all")
    assert village.open == 2 and village.submitted == 3


async def test_nothing_to_divide_by_gives_no_rate() -> None:
    town = await make_town()
    lead = await actor_for_user(town.users["supervisor"]["id"])
    d = await figures.dashboard_figures(lead)
    assert (d.open, d.overdue, d.success_rate, d.closure_rate, d.avg_hours_to_first_contact, d.avg_hours_to_close) == (0, 0, None, None, None, None)
    assert d.hot_spots == [] and sum(n for _, n in d.daily) == 0


async def test_daily_intake_counts_local_days_and_grids_count_for_their_village() -> None:
    town = await make_town()
    grid = await make_org("一网格", "grid", "grid", town.villages[1])
    zone = get_settings().zone
    today = NOW.astimezone(zone).date()
    now = datetime.combine(today, datetime.min.time(), tzinfo=zone).replace(hour=20).astimezone(UTC)
    yesterday = today - timedelta(days=1)
    late = datetime.combine(yesterday, datetime.min.time(), tzinfo=zone).replace(hour=23, minute=30).astimezone(UTC)
    early = datetime.combine(today, datetime.min.time(), tzinfo=zone).replace(minute=30).astimezone(UTC)
    await seed(town, "registered", submitted_at=late)
    for _ in range(2):
        await seed(town, "registered", submitted_at=early, place=grid["id"], place_path=grid["path"])
    lead = await actor_for_user(town.users["supervisor"]["id"])
    d = await figures.dashboard_figures(lead, period="30d", now=now)
    days = dict(d.daily)
    assert d.daily[-1][0] == today and days[today] == 2 and days[yesterday] == 1
    [spot, *_] = d.hot_spots
    assert spot["place_id"] == town.villages[1]["id"] and spot["cases"] == 2


async def test_dashboard_page_shows_the_figures_and_no_personal_data(client) -> None:
    town, cases = await seeded_town()
    web = await sign_in(client, town.users["supervisor"])
    page = await web.get("/admin/dashboard?period=all")
    assert page.status_code == 200, page.text
    html = page.text
    assert "督办看板" in html and 'aria-current="page"' in html
    assert 'id="kpi-open"' in html and ">5<" in html.split('id="kpi-open"')[1].split("</div>")[0]
    assert "50.0%" in html.split('id="kpi-success"')[1].split("</div>")[0]
    assert "33.3%" in html.split('id="kpi-closure"')[1].split("</div>")[0]
    assert "5.3" in html.split('id="kpi-first-contact"')[1].split("</div>")[0]
    assert "3.0" in html.split('id="kpi-close"')[1].split("</div>")[0]  # 72 hours = 3 days
    for chart in ("chart-state", "chart-risk", "chart-type", "chart-daily"):
        assert '<svg class="chart' in html and f'id="{chart}"' in html and f'aria-labelledby="{chart}-t {chart}-d"' in html
    assert "调解中 1 件" in html  # the description a screen reader gets
    # The overdue list: the in-mediation case may be urged, the one not yet accepted not.
    assert f'id="overdue-{cases["overdue"]["id"]}"' in html and f'id="urge-{cases["overdue"]["id"]}"' in html
    assert f'id="supervise-{cases["overdue"]["id"]}"' in html
    assert f'id="overdue-{cases["waiting"]["id"]}"' in html and f'id="urge-{cases["waiting"]["id"]}"' not in html
    assert cases["running"]["number"] not in html.split('id="overdue"')[1]
    assert cases["elsewhere"]["number"] not in html
    # Parties never appear: neither their names nor their phones, masked or not.
    assert "张三丰" not in html and "张*" not in html and "5678" not in html
    # The filter form swaps only the body.
    part = await web.get(f"/admin/dashboard?org={town.villages[1]['id']}&period=all", htmx=True, target="dashboard_body")
    assert part.status_code == 200 and "<html" not in part.text and part.text.lstrip().startswith('<div id="dashboard_body"')
    assert town.villages[1]["name"] in part.text


async def overdue_case(town: Any, login: Any) -> dict[str, Any]:
    """A real case (registered, dispatched, taken) whose mediation deadline is moved into the
    past (the timeline is append-only, so time cannot be moved back for its events)."""
    desk, mediator = await login(town.users["window"]), await login(town.users["mediator0"])
    resp = await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))
    assert resp.status_code == 201, resp.text
    case = resp.json()
    await desk.act(case["id"], "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    await mediator.act(case["id"], "take")
    past = datetime.now(UTC) - timedelta(days=2)
    assert await Deadline.count().where((Deadline.case == case["id"]) & (Deadline.kind == "mediation")) == 1
    await Deadline.update({Deadline.due_at: past, Deadline.state: "overdue"}).where((Deadline.case == case["id"]) & (Deadline.kind == "mediation"))
    await Case.update({Case.next_due_at: past}).where(Case.id == case["id"])
    return await Case.select().where(Case.id == case["id"]).first()


async def test_urge_and_supervise_from_the_dashboard(client, login) -> None:
    town, cases = await seeded_town()
    case = await overdue_case(town, login)
    web = await sign_in(client, town.users["supervisor"])
    listed = await web.get("/admin/dashboard")
    assert f'id="urge-{case["id"]}"' in listed.text and "调解期限" in listed.text.split(f'id="overdue-{case["id"]}"')[1]
    url = f"/admin/dashboard/cases/{case['id']}/act"
    row = await web.post(url, {"event": "urge", "message": "请今天联系双方", "org": str(town.town["id"]), "period": "year"}, htmx=True)
    assert row.status_code == 200, row.text
    assert row.text.lstrip().startswith(f'<tr id="overdue-{case["id"]}"') and "已完成:催办" in row.text
    assert "催办 " in row.text.split('class="last-steps"')[1]  # the last urge, just now
    plain = await web.post(url, {"event": "supervise", "message": "", "org": str(town.town["id"]), "period": "year"})
    assert plain.status_code == 303 and plain.headers["location"].startswith("/admin/dashboard?")
    assert "done=supervise" in plain.headers["location"]
    back = await web.get(plain.headers["location"].split("#")[0])
    assert "已完成:督办" in back.text and case["number"] in back.text
    from core.cases.timeline import join_remarks  # typed text lives beside the hashed payload

    events = await join_remarks(await CaseEvent.select(CaseEvent.id, CaseEvent.name, CaseEvent.payload, CaseEvent.actor).where(CaseEvent.case == case["id"]).order_by(CaseEvent.seq).output(load_json=True))
    assert [e["name"] for e in events][-2:] == ["urge", "supervise"]
    events = events[-2:]
    assert events[0]["payload"]["message"] == "请今天联系双方" and events[0]["actor"] == town.users["supervisor"]["id"]
    timeline = await web.get(f"/admin/cases/{case['id']}")
    assert "催办" in timeline.text.split('id="case_timeline"')[1] and "请今天联系双方" in timeline.text
    # Not allowed in the case's state: the row says why, nothing is written.
    refused = await web.post(f"/admin/dashboard/cases/{cases['waiting']['id']}/act", {"event": "urge", "org": str(town.town["id"])}, htmx=True)
    assert refused.status_code == 200 and 'role="alert"' in refused.text
    assert await CaseEvent.count().where(CaseEvent.case == cases["waiting"]["id"]) == 0
    unknown = await web.post(url, {"event": "close", "org": str(town.town["id"])})
    assert unknown.status_code == 400


async def test_another_town_and_other_roles_see_nothing(client) -> None:
    town, cases = await seeded_town()
    other = town.other
    stranger = await sign_in(client, other.users["supervisor"])
    page = await stranger.get("/admin/dashboard?period=all")
    assert page.status_code == 200
    assert cases["overdue"]["number"] not in page.text and cases["elsewhere"]["number"] in page.text
    assert ">1<" in page.text.split('id="kpi-open"')[1].split("</div>")[0]
    for url in (f"/admin/dashboard?org={town.town['id']}", f"/admin/dashboard/reports/daily?org={town.town['id']}",
                f"/admin/dashboard/reports/daily/export/csv?org={town.town['id']}"):
        assert (await stranger.get(url)).status_code == 404, url
    urge = await stranger.post(f"/admin/dashboard/cases/{cases['overdue']['id']}/act", {"event": "urge"})
    assert urge.status_code == 404
    assert await CaseEvent.count().where(CaseEvent.case == cases["overdue"]["id"]) == 0
    desk = await sign_in(client, town.users["window"])
    assert (await desk.get("/admin/dashboard")).status_code == 403
    assert "/admin/dashboard" not in (await desk.get("/admin/cases")).text
    county = await sign_in(client, town.users["county_supervisor"])
    both = await county.get(f"/admin/dashboard?org={town.town['id']}&period=all")
    assert both.status_code == 200 and cases["overdue"]["number"] in both.text


class Widgets:
    @hookimpl
    def dashboard_widgets(self, organisation: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": "elders", "title": "老年人纠纷", "html": f"<p class=elders>本镇 {organisation['id']}</p>"}]


class BrokenWidgets:
    @hookimpl
    def dashboard_widgets(self) -> list[dict[str, Any]]:
        raise KeyError("widget")


async def test_plugin_widgets_show_on_the_dashboard(client) -> None:
    town = await make_town()
    web = await sign_in(client, town.users["supervisor"])
    with registered(Widgets(), "sup_widgets"), registered(BrokenWidgets(), "sup_broken"):
        html = (await web.get("/admin/dashboard")).text
    assert 'id="elders"' in html and "老年人纠纷" in html and f"<p class=elders>本镇 {town.town['id']}</p>" in html
    assert 'data-plugin="sup_broken"' in html and "sup_broken" in html.split('data-plugin="sup_broken"')[1]


async def _walk(town: Any, login: Any) -> list[dict[str, Any]]:
    """Three cases today: one agreed and closed, one failed, one waiting to be accepted."""
    desk = await login(town.users["window"])
    mediator = await login(town.users["mediator0"])
    made = []
    for accept in (True, True, False):
        body = application(town, accept_now=accept, rights_notified=True, consent=True)
        resp = await desk.post("/api/v1/cases", json=body)
        assert resp.status_code == 201, resp.text
        made.append(resp.json())
    for case in made[:2]:
        await desk.act(case["id"], "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
        await mediator.act(case["id"], "take")
    await mediator.act(made[0]["id"], "agree", facts="欠薪", matters="工资", terms=TERMS)
    await mediator.act(made[0]["id"], "follow_up", performed=True, rating=5)
    await mediator.act(made[0]["id"], "close")
    await mediator.act(made[1]["id"], "fail", advice="litigation", detail="告知可起诉")
    return made


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def test_daily_update_page_and_files(client, login) -> None:
    town = await make_town()
    await _walk(town, login)
    web = await sign_in(client, town.users["supervisor"])
    today = reports.today()
    page = await web.get(f"/admin/dashboard/reports/daily?date={today.isoformat()}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "日动态" in html and today.isoformat() in html and "本期尚未结束" in html

    def cell(key: str) -> str:
        return html.split(f'id="figure-{key}"')[1].split('class="right mono value">')[1].split("<")[0]

    assert (cell("cases"), cell("accepted"), cell("agreed"), cell("failed"), cell("closed")) == ("3", "2", "1", "1", "1")
    assert (cell("success_rate"), cell("closure_rate")) == ("50.0%", "50.0%")
    assert 'id="report-type"' in html and "张三" not in html

    q = f"?org={town.town['id']}&date={today.isoformat()}"
    resp = await web.get(f"/admin/dashboard/reports/daily/export/csv{q}")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"] and resp.headers["content-disposition"].endswith('.csv"')
    rows = _csv_rows(resp.content)
    assert rows[0] == ["分组", "项目", "本期", "上期", "变化", "备注"]
    summary = {r[1]: r[2] for r in rows if r[0] == "概要"}
    assert summary["新收案件"] == "3" and summary["受理"] == "2" and summary["办结"] == "1"
    assert summary["调解成功率"] == "50.0%" and summary["办结率"] == "50.0%"
    by_type = {r[1]: r[2] for r in rows if r[0] == "按纠纷类型"}
    by_state = {r[1]: int(r[2]) for r in rows if r[0] == "按办理状态"}
    assert list(by_type.values()) == ["3"] and sum(by_state.values()) == 3 and by_state["已办结"] == 1
    assert "张三" not in resp.content.decode("utf-8-sig") and "13800138000" not in resp.content.decode("utf-8-sig")

    resp = await web.get(f"/admin/dashboard/reports/daily/export/xlsx{q}")
    assert resp.status_code == 200 and "spreadsheetml" in resp.headers["content-type"]
    book = load_workbook(io.BytesIO(resp.content))
    assert book.sheetnames == ["概要", "按纠纷类型", "按办理状态", "按来源渠道", "热点村(社区)", "说明"]
    sheet = {r[0]: r for r in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert sheet["新收案件"][1] == 3 and sheet["调解成功"][1] == 1 and sheet["调解成功率"][1] == pytest.approx(0.5)
    assert book["概要"]["B7"].number_format == "0.0%"  # the success rate, shown as a percentage
    assert [r[1] for r in book["按办理状态"].iter_rows(min_row=2, values_only=True)] == [by_state[k] for k in by_state]
    text = " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert "张三" not in text and "13800138000" not in text and town.town["name"] in text

    assert (await web.get("/admin/dashboard/reports/yearly")).status_code == 404
    assert (await web.get(f"/admin/dashboard/reports/daily/export/pdf{q}")).status_code == 404


async def test_a_kept_report_is_read_not_recomputed(client, login) -> None:
    town = await make_town()
    web = await sign_in(client, town.users["supervisor"])
    yesterday = reports.today() - timedelta(days=1)
    page = await web.get(f"/admin/dashboard/reports/weekly?date={yesterday.isoformat()}")
    assert "尚未保存" in page.text or "本期尚未结束" in page.text
    keep = await web.post("/admin/dashboard/reports/daily/keep", {"org": str(town.town["id"]), "date": yesterday.isoformat()})
    assert keep.status_code == 303 and keep.headers["location"].endswith(f"date={yesterday.isoformat()}")
    kept = await service.kept(town.town["id"], "daily_update", yesterday)
    assert kept is not None and kept["figures"]["cases"] == 0
    await Report.update({Report.figures: {**kept["figures"], "cases": 917, "by_type": {"labour": 917}}}).where(Report.id == kept["id"])
    html = (await web.get(keep.headers["location"])).text
    assert "已保存的报表" in html and ">917<" in html.split('id="figure-cases"')[1]
    rows = _csv_rows((await web.get(f"/admin/dashboard/reports/daily/export/csv?org={town.town['id']}&date={yesterday.isoformat()}")).content)
    assert ["概要", "新收案件", "917", "0", "+917", ""] in rows
    not_yet = await web.post("/admin/dashboard/reports/monthly/keep", {"org": str(town.town["id"]), "date": reports.today().isoformat()})
    assert not_yet.status_code == 400


async def test_periods_and_titles() -> None:
    def _(m: str, **kw: Any) -> str:
        return m.format(**kw)

    assert reports.period_title("weekly_review", date(2026, 11, 16), date(2026, 11, 23), _) == "Week 47 of 2026 (2026-11-16 to 2026-11-22)"
    assert reports.period_title("monthly_analysis", date(2026, 3, 1), date(2026, 4, 1), _) == "2026-03"
    assert reports.change(0.5, 0.25, "rate") == "+25.0 pts" and reports.change(3, 5, "int") == "-2" and reports.change(None, 1, "int") == ""


async def test_supervisor_for_builds_a_bench_actor() -> None:
    town = await make_town()
    await seed(town, "in_mediation", next_due_at=NOW - timedelta(hours=1))
    actor = figures.supervisor_for(town.county)
    d = await figures.dashboard_figures(actor)
    assert d.open == 1 and d.overdue == 1
    user = await make_user(town.villages[0], ["supervisor"], "村书记")
    village = await actor_for_user(user["id"])
    assert (await figures.dashboard_figures(village)).open == 1  # the case happened in the village
    stranger = await actor_for_user((await make_user((await make_town()).town, ["supervisor"]))["id"])
    assert (await figures.dashboard_figures(stranger)).open == 0


def test_charts_escape_labels_and_show_their_numbers() -> None:
    from web.supervision import charts

    svg = str(charts.bar_chart("c1", "按<类型>", [("<script>", 12), ("Labour and wage arrears", 3, "#b42b2b")], unit="件"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "按&lt;类型&gt;" in svg
    assert '>12</text>' in svg and '>3</text>' in svg and 'fill="#b42b2b"' in svg and "Labour and w…" in svg
    assert '<desc id="c1-d">&lt;script&gt; 12 件; Labour and wage arrears 3 件</desc>' in svg
    days = [(date(2026, 11, 1) + timedelta(days=i), i % 3) for i in range(30)]
    line = str(charts.line_chart("c2", "每日", days))
    assert line.count("<circle") == 20 and ">2</text>" in line and "11-30" in line and 'class="value minor"' in line
    empty = str(charts.line_chart("c3", "每日", [(date(2026, 11, 1), 0)]))
    assert "<circle" not in empty and "<svg" in empty
