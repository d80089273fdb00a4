"""Statistics and exports carry no personal data: recognisable names, phones, ID numbers,
addresses and free text are put into cases, then every report, dashboard figure, CSV and XLSX
export and the reports API is grepped for them, for every role that may read them."""

from __future__ import annotations

import html
import io
import random
import uuid
import zipfile
from datetime import timedelta
from typing import Any

import pytest

from core import clock
from core.reports.tables import Report
from tests.factories import application, make_user

pytestmark = pytest.mark.db


def markers() -> dict[str, str]:
    digits = "".join(random.choice("0123456789") for _ in range(8))
    return {
        "name": "诸葛" + "".join(random.choice("亮瑾恪瞻") for _ in range(2)),
        "respondent": "慕容" + "".join(random.choice("复博秋") for _ in range(2)),
        "phone": "135" + digits,
        "id_number": f"44190019750505{digits[:3]}X",
        "address": f"保密街{digits}号",
        "secret": "隐情" + uuid.uuid4().hex[:10],
        "title": "标题" + uuid.uuid4().hex[:8],
    }


async def cases_with_pii(town: Any, login: Any, m: dict[str, str]) -> list[int]:
    desk = await login(town.users["window"])
    ids = []
    for dispute_type, risk in (("labour", "high"), ("marriage_family", "medium"), ("neighbour", "low")):
        body = application(
            town, dispute_type=dispute_type, risk_level=risk, title=m["title"], description=f"{m['name']}:{m['secret']}",
            preferred_place=m["address"], accept_now=True, rights_notified=True, consent=True,
            parties=[
                {"name": m["name"], "phone": m["phone"], "id_number": m["id_number"], "address": m["address"]},
                {"name": m["respondent"], "role": "respondent", "phone": m["phone"][::-1]},
            ],
        )
        resp = await desk.post("/api/v1/cases", json=body)
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    await desk.act(ids[0], "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    mediator = await login(town.users["mediator0"])
    await mediator.act(ids[0], "take")
    await mediator.act(ids[0], "first_contact", result="已电话联系")
    await mediator.act(ids[0], "agree", facts=m["secret"], matters=m["name"], terms=[{"obligor": m["respondent"], "obligee": m["name"], "what": m["secret"], "amount": "100"}])
    await mediator.act(ids[0], "follow_up", performed=True, rating=5, comment=m["secret"])
    await mediator.act(ids[0], "close")
    return ids


def leaks(text: str, m: dict[str, str]) -> list[str]:
    return [k for k, v in m.items() if v in text]


def xlsx_text(content: bytes) -> str:
    """Every part of the workbook, with XML character references resolved (a writer may store
    Chinese as &#NNNN;, which a plain grep would miss)."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return html.unescape("".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()))


async def test_no_report_or_export_carries_personal_data(town, login):
    m = markers()
    ids = await cases_with_pii(town, login, m)
    # The markers are real: the desk's case page shows the description.
    desk = await login(town.users["window"])
    assert m["secret"] in (await desk.get(f"/api/v1/cases/{ids[2]}")).text

    town.users["admin"] = await make_user(town.town, ["admin"], "管理员")
    org = town.town["id"]
    today = clock.today()
    start, end = (today - timedelta(days=30)).isoformat(), (today + timedelta(days=1)).isoformat()
    seen: dict[str, str] = {}
    for role in ("supervisor", "county_supervisor", "admin", "window"):
        api = await login(town.users[role])
        urls = [
            f"/api/v1/reports/live?organisation_id={org}&start={start}&end={end}",
            f"/api/v1/reports/deadlines?organisation_id={org}",
            f"/api/v1/reports?organisation_id={org}",
        ]
        if role != "window":  # the dashboard is for leaders
            urls += ["/admin/dashboard", f"/admin/dashboard?org={org}&period=month"]
            for slug in ("daily", "weekly", "monthly"):
                urls += [f"/admin/dashboard/reports/{slug}?org={org}&date={today.isoformat()}",
                         f"/admin/dashboard/reports/{slug}/export/csv?org={org}&date={today.isoformat()}"]
        for url in urls:
            resp = await api.get(url)
            assert resp.status_code == 200, (role, url, resp.status_code, resp.text[:300])
            seen[f"{role} {url}"] = resp.content.decode("utf-8-sig")
        if role != "window":
            for slug in ("daily", "weekly", "monthly"):
                resp = await api.get(f"/admin/dashboard/reports/{slug}/export/xlsx?org={org}&date={today.isoformat()}")
                assert resp.status_code == 200 and resp.content[:2] == b"PK", (role, slug)
                seen[f"{role} {slug}.xlsx"] = xlsx_text(resp.content)
    # Kept reports: computed through the API and stored.
    supervisor = await login(town.users["supervisor"])
    for kind in ("daily_update", "weekly_review", "monthly_analysis"):
        kept = await supervisor.post("/api/v1/reports/compute", json={"organisation_id": org, "kind": kind, "period_start": today.isoformat()})
        assert kept.status_code == 200, kept.text
        seen[f"compute {kind}"] = kept.text
        one = await supervisor.get(f"/api/v1/reports/{kept.json()['id']}")
        seen[f"report {kind}"] = one.text
    seen["report rows"] = repr(await Report.select().where(Report.organisation == org))

    # The figures are there (so the grep looked at something real) …
    live = seen[f"supervisor /api/v1/reports/live?organisation_id={org}&start={start}&end={end}"]
    assert '"labour":1' in live.replace(" ", "") and '"marriage_family":1' in live.replace(" ", "")
    assert "劳动争议与欠薪" in seen["supervisor daily.xlsx"]
    # … and no one's name, phone, ID number, address, title or story.
    leaked = {where: found for where, text in seen.items() if (found := leaks(text, m))}
    assert leaked == {}, leaked
