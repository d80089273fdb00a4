"""Reports: figures for a period, kept by the cron job, read through the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core.reports import service
from core.reports.tables import Report
from core.settings import get_settings
from tests.factories import application

pytestmark = pytest.mark.db


def test_periods():
    assert service.period_containing("weekly_review", date(2026, 11, 25)) == (date(2026, 11, 23), date(2026, 11, 30))
    assert service.period_containing("monthly_analysis", date(2026, 12, 31)) == (date(2026, 12, 1), date(2027, 1, 1))
    assert service.last_complete_period("daily_update", date(2026, 11, 23)) == (date(2026, 11, 22), date(2026, 11, 23))
    assert service.last_complete_period("weekly_review", date(2026, 11, 25)) == (date(2026, 11, 16), date(2026, 11, 23))
    assert service.last_complete_period("monthly_analysis", date(2026, 1, 5)) == (date(2025, 12, 1), date(2026, 1, 1))


async def test_figures_kept_and_served(town, login):
    desk = await login(town.users["window"])
    ids = []
    for channel in ("walk_in", "walk_in", "hotline_12345"):
        body = application(town, channel=channel, accept_now=True, rights_notified=True, consent=True)
        ids.append((await desk.post("/api/v1/cases", json=body)).json()["id"])
    agreed, failed = ids[0], ids[1]
    for cid, mediator in ((agreed, town.mediators[0]), (failed, town.mediators[1])):
        await desk.act(cid, "dispatch", mediator_id=mediator["id"])
        worker = await login(mediator["user"])
        await worker.act(cid, "take")
        await worker.act(cid, "first_contact", method="phone")
    worker0 = await login(town.mediators[0]["user"])
    await worker0.act(agreed, "agree", facts="欠薪", matters="工资", terms=[{"obligor": "厂", "what": "付工资"}])
    worker1 = await login(town.mediators[1]["user"])
    await worker1.act(failed, "fail", advice="arbitration")
    await worker1.act(failed, "close")

    today = datetime.now(get_settings().zone).date()
    figures = await service.figures(town.town["path"], today, today + timedelta(days=1))
    assert figures["cases"] == 3 and figures["accepted"] == 3
    assert figures["by_channel"] == {"walk_in": 2, "hotline_12345": 1}
    assert figures["by_type"] == {"labour": 3}
    assert figures["success_rate"] == 0.5 and figures["closure_rate"] == round(1 / 3, 4)
    assert figures["hot_spots"][0]["name"] == town.villages[0]["name"] and figures["hot_spots"][0]["cases"] == 3
    assert figures["avg_hours_to_first_contact"] is not None and figures["avg_hours_to_close"] is not None

    supervisor = await login(town.users["supervisor"])
    kept = await supervisor.post("/api/v1/reports/compute", json={"organisation_id": town.town["id"], "kind": "daily_update", "period_start": today.isoformat()})
    assert kept.status_code == 200, kept.text
    assert kept.json()["figures"]["cases"] == 3
    listed = (await supervisor.get(f"/api/v1/reports?organisation_id={town.town['id']}&kind=daily_update")).json()["items"]
    assert [r["period_start"] for r in listed] == [today.isoformat()]
    one = (await supervisor.get(f"/api/v1/reports/{listed[0]['id']}")).json()
    assert one["figures"]["success_rate"] == 0.5
    live = await supervisor.get(f"/api/v1/reports/live?organisation_id={town.town['id']}&start={today}&end={today + timedelta(days=1)}")
    assert live.json()["cases"] == 3
    # The county sees the town's cases in its own figures; another town's staff cannot read them.
    county = await service.figures(town.county["path"], today, today + timedelta(days=1))
    assert county["cases"] == 3
    handler = await login(town.users["handler"])
    assert (await handler.get(f"/api/v1/reports?organisation_id={town.town['id']}")).status_code in (403, 404)


async def test_cron_job_keeps_each_complete_period_once(town):
    today = datetime.now(get_settings().zone).date()
    await service.compute_due(today)
    kept = await Report.select(Report.kind, Report.period_start).where(Report.organisation == town.town["id"])
    expected = {(k, service.last_complete_period(k, today)[0]) for k in ("daily_update", "weekly_review", "monthly_analysis")}
    assert {(r["kind"], r["period_start"]) for r in kept} == expected
    await service.compute_due(today)
    assert await Report.count().where(Report.organisation == town.town["id"]) == 3
