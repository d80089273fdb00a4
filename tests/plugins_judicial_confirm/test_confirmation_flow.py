"""The judicial-confirmation plugin through the API: the window opened by an agreement taking
effect, consents, the application rendered by the document pipeline, the court's clerk
(acceptance with its number, the ruling, the ruling's PDF), the ZIP for the court's system,
the window's veto and reminders, the reopen after a rejection, and the per-town switch."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.cases.tables import Agreement, Case, CaseEvent
from core.deadlines.calendar import add_calendar_days
from core.jobs.outbox import enqueue
from core.jobs.tables import OutboxJob
from core.plugins import write_transaction
from plugins.judicial_confirm.services import remind_at
from plugins.judicial_confirm.tables import Application
from tests.documents.pdf_helpers import pdftotext, squash
from tests.factories import make_org, make_town, make_user
from tests.plugins.conftest import switch
from tests.plugins_judicial_confirm.conftest import (
    API,
    CourtTown,
    add_court,
    agreed_case,
    consent_all,
    run_jobs,
)

pytestmark = [pytest.mark.db, pytest.mark.plugin_judicial_confirm]


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def _events(cid: int) -> list[dict[str, Any]]:
    from core.cases.timeline import join_remarks  # typed text lives beside the hashed payload

    rows = await CaseEvent.select(CaseEvent.id, CaseEvent.name, CaseEvent.actor_label, CaseEvent.payload).where(CaseEvent.case == cid).order_by(CaseEvent.seq).output(load_json=True)
    return await join_remarks(rows)


async def _app(api: Any, cid: int) -> dict[str, Any]:
    resp = await api.get(f"{API}/cases/{cid}")
    assert resp.status_code == 200, resp.text
    return resp.json()["application"]


async def _submitted(court: CourtTown, login: Any) -> tuple[int, Any, dict[str, Any]]:
    cid, mediator = await agreed_case(court.town, login)
    app = await consent_all(mediator, await _app(mediator, cid))
    resp = await mediator.post(f"{API}/applications/{app['id']}/submit")
    assert resp.status_code == 200, resp.text
    return cid, mediator, resp.json()


async def test_the_window_opens_when_the_agreement_takes_effect(court: CourtTown, login: Any) -> None:
    cid, mediator = await agreed_case(court.town, login)
    app = await _app(mediator, cid)
    agreement = await Agreement.select().where(Agreement.case == cid).first()
    assert app["status"] == "open" and app["window_open"] and app["days_left"] == 30
    assert datetime.fromisoformat(app["window_closes_at"]) == add_calendar_days(agreement["effective_at"], 30)
    assert app["court_name"] == court.court["name"] and app["committee_name"] == court.town.committee["name"]
    assert [p["name"] for p in app["parties"]] == ["张*", "某某制衣厂"] and not any(p["consented"] for p in app["parties"])
    opened = [e for e in await _events(cid) if e["name"] == "judicial_confirm.window_opened"]
    assert len(opened) == 1 and opened[0]["actor_label"] == "plugin:judicial_confirm"
    assert set(opened[0]["payload"]) == {"application_id", "agreement_id", "closes_at", "court_org_id"}
    # The reminders are queued for 09:00 on the days 7 and 2 days before the last day.
    queued = await OutboxJob.select(OutboxJob.payload, OutboxJob.available_at).where(OutboxJob.job == "judicial_confirm_remind").output(load_json=True)
    mine = sorted((j["payload"]["days"], j["available_at"]) for j in queued if j["payload"]["application_id"] == app["id"])
    closes = datetime.fromisoformat(app["window_closes_at"])
    assert mine == [(2, remind_at(closes, 2)), (7, remind_at(closes, 7))]
    # The panel on the case page; no submit action before every party consented.
    page = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    [panel] = [p for p in page["panels"] if p["plugin"] == "judicial_confirm"]
    assert "申请期限" in panel["html"] and "记录同意" in panel["html"]
    assert not [a for a in page["actions"] if a["plugin"] == "judicial_confirm"]


@pytest.mark.pdf
async def test_apply_accept_confirm_and_package(court: CourtTown, login: Any) -> None:
    town = court.town
    cid, mediator = await agreed_case(town, login)
    app = await _app(mediator, cid)
    # Materials: a property proof of the respondent.
    respondent = next(p for p in app["parties"] if p["role"] == "respondent")
    added = await mediator.post(f"{API}/applications/{app['id']}/materials", json={"title": "厂房租赁合同及设备清单", "kind": "property", "party_id": respondent["party_id"]})
    assert added.status_code == 201, added.text
    early = await mediator.post(f"{API}/applications/{app['id']}/submit")
    assert early.status_code == 409 and "2" in early.json()["detail"]
    app = await consent_all(mediator, app)
    again = await mediator.post(f"{API}/applications/{app['id']}/consents", json={"party_id": respondent["party_id"]})
    assert again.status_code == 409
    page = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert [a["label"] for a in page["actions"] if a["plugin"] == "judicial_confirm"] == ["提交司法确认申请"]

    submitted = await mediator.post(f"{API}/applications/{app['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    app = submitted.json()
    assert app["status"] == "submitted" and app["has_document"] and len(app["document_sha256"]) == 64
    pdf = (await mediator.get(f"{API}/applications/{app['id']}/application.pdf")).content
    text = squash(pdftotext(pdf))
    for needed in ("司法确认申请书", "请求事项", "张三", "某某制衣厂", "44190019900101123X", "13800138000", "厂房租赁合同及设备清单",
                   "居民身份证复印件", "联系方式及送达地址确认", "此致", court.court["name"], town.committee["name"], "支付拖欠工资"):
        assert needed in text, needed
    applied = [e for e in await _events(cid) if e["name"] == "judicial_confirm.applied"]
    assert applied[0]["payload"]["sha256"] == app["document_sha256"]
    # The court decides; the case cannot be closed or reopened meanwhile.
    await mediator.act(cid, "follow_up", method="phone", performed=True)
    desk = await login(town.users["window"])
    assert "审查" in (await desk.act(cid, "close", expect=409))["detail"]
    await mediator.act(cid, "follow_up", method="visit", performed=False)
    assert "审查" in (await desk.act(cid, "reopen", expect=409, reason="未履行"))["detail"]

    clerk = await login(court.clerk)
    listed = (await clerk.get(f"{API}/applications")).json()
    assert [a["id"] for a in listed] == [app["id"]]
    assert (await clerk.get(f"/api/v1/cases/{cid}")).status_code == 404  # the court sees the application, not the case
    other = await add_court(await _other_town_on(), login)
    assert (await (await login(other.clerk)).get(f"{API}/applications")).json() == []
    assert (await (await login(other.clerk)).get(f"{API}/applications/{app['id']}")).status_code == 404
    court_page = (await clerk.get("/admin/plugins/judicial_confirm/court")).text
    assert town.committee["name"] in court_page and "登记受理" in court_page

    # The package for the court's system: the PDFs and a manifest whose hashes match.
    resp = await clerk.get(f"{API}/applications/{app['id']}/package.zip")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(resp.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case"]["number"] and manifest["agreement"]["form"] == "oral"
    assert [f["name"] for f in manifest["files"]] == ["application.pdf"]
    assert archive.read("application.pdf") == pdf and manifest["files"][0]["sha256"] == app["document_sha256"]
    assert {a["name"] for a in manifest["applicants"]} == {"张三", "某某制衣厂"} and all(a["consent"] for a in manifest["applicants"])
    assert manifest["materials"][0]["title"] == "厂房租赁合同及设备清单"

    bad = await clerk.post(f"{API}/applications/{app['id']}/acceptance", json={"court_case_number": "2026-123"})
    assert bad.status_code == 400 and "民特" in bad.json()["detail"]
    assert (await mediator.post(f"{API}/applications/{app['id']}/acceptance", json={"court_case_number": "（2026）粤1972民特123号"})).status_code == 404
    accepted = await clerk.post(f"{API}/applications/{app['id']}/acceptance", json={"court_case_number": "(2026)粤1972民特123号"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["court_case_number"] == "（2026）粤1972民特123号" and not accepted.json()["accepted_late"]
    early_ruling_doc = await clerk.client.post(f"{API}/applications/{app['id']}/ruling-document", files={"file": ("r.pdf", blank_pdf(), "application/pdf")}, headers=clerk.headers)
    assert early_ruling_doc.status_code == 409
    confirmed = await clerk.post(f"{API}/applications/{app['id']}/ruling", json={"ruling": "confirmed", "note": "协议内容不违反法律规定"})
    assert confirmed.status_code == 200 and confirmed.json()["enforceable"]

    # The ruling's PDF: type sniffed, not trusted from the name.
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    refused = await clerk.client.post(f"{API}/applications/{app['id']}/ruling-document", files={"file": ("ruling.pdf", png, "application/pdf")}, headers=clerk.headers)
    assert refused.status_code == 415
    ruling = blank_pdf()
    attached = await clerk.client.post(f"{API}/applications/{app['id']}/ruling-document", files={"file": ("裁定书.pdf", ruling, "application/pdf")}, headers=clerk.headers)
    assert attached.status_code == 201, attached.text
    assert (await mediator.get(f"{API}/applications/{app['id']}/ruling.pdf")).content == ruling

    # The case shows it: the panel and the timeline.
    panel = (await mediator.get(f"/admin/plugins/judicial_confirm/cases/{cid}/panel")).text
    assert "具有强制执行力" in panel and "（2026）粤1972民特123号" in panel
    names = [e["name"] for e in await _events(cid)]
    assert names[-4:] == ["judicial_confirm.exported", "judicial_confirm.accepted", "judicial_confirm.confirmed", "judicial_confirm.ruling_attached"]
    for e in await _events(cid):
        if e["name"].startswith("judicial_confirm."):
            assert "张三" not in json.dumps(e["payload"], ensure_ascii=False)
    package = zipfile.ZipFile(io.BytesIO((await mediator.get(f"{API}/applications/{app['id']}/package.zip")).content))
    assert sorted(package.namelist()) == ["application.pdf", "manifest.json", "ruling.pdf"]


async def _other_town_on() -> Any:
    other = await make_town()
    await switch("judicial_confirm", other.county, True)
    return other


@pytest.mark.pdf
async def test_rejection_back_to_mediation_or_to_court(court: CourtTown, login: Any) -> None:
    town = court.town
    cid, mediator, app = await _submitted(court, login)
    clerk = await login(court.clerk)
    await clerk.post(f"{API}/applications/{app['id']}/acceptance", json={"court_case_number": "（2026）粤1972民特7号"})
    missing = await clerk.post(f"{API}/applications/{app['id']}/ruling", json={"ruling": "rejected"})
    assert missing.status_code == 400
    rejected = await clerk.post(f"{API}/applications/{app['id']}/ruling", json={"ruling": "rejected", "next_step": "remediate", "note": "协议内容损害第三人利益"})
    assert rejected.status_code == 200, rejected.text
    case = await Case.select().where(Case.id == cid).first()
    assert case["state"] == "in_mediation"
    events = await _events(cid)
    reopen = next(e for e in events if e["name"] == "reopen")
    assert reopen["actor_label"] == "plugin:judicial_confirm" and reopen["payload"]["ground_plugin"] == "judicial_confirm"
    assert "民特7号" in reopen["payload"]["ground"]
    assert [e["name"] for e in events].index("judicial_confirm.rejected") < [e["name"] for e in events].index("reopen")
    row = await Application.select().where(Application.id == app["id"]).first()
    assert row["next_step"] == "remediate" and row["reopened_at"] is not None
    # The ground is used up: a new agreement, then a reopen without a failed follow-up is refused.
    await mediator.act(cid, "agree", facts="重新调解。", matters="欠薪。", terms=[{"obligor": "某某制衣厂", "obligee": "张三", "what": "支付工资"}])
    await run_jobs()
    refused = await mediator.post(f"/api/v1/cases/{cid}/actions/reopen", json={"reason": "再议"})
    assert refused.status_code == 409
    # The new agreement has a window of its own.
    current = await _app(mediator, cid)
    assert current["id"] != app["id"] and current["status"] == "open"

    # Told to sue: recorded, the case stays agreed.
    cid2, mediator2, app2 = await _submitted(court, login)
    await clerk.post(f"{API}/applications/{app2['id']}/acceptance", json={"court_case_number": "（2026）粤1972民特8号"})
    sue = await clerk.post(f"{API}/applications/{app2['id']}/ruling", json={"ruling": "rejected", "next_step": "sue"})
    assert sue.status_code == 200 and sue.json()["next_step"] == "sue"
    assert (await Case.select(Case.state).where(Case.id == cid2).first())["state"] == "agreed"
    rejected_event = next(e for e in await _events(cid2) if e["name"] == "judicial_confirm.rejected")
    assert rejected_event["payload"]["next_step"] == "sue"
    panel = (await mediator2.get(f"/admin/plugins/judicial_confirm/cases/{cid2}/panel")).text
    assert "提起诉讼" in panel and town.committee["name"]


async def test_no_application_after_the_window_unless_the_court_accepts(court: CourtTown, login: Any) -> None:
    cid, mediator = await agreed_case(court.town, login)
    app = await _app(mediator, cid)
    app = await consent_all(mediator, app)
    await Application.update({Application.window_closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(Application.id == app["id"])
    late = await mediator.post(f"{API}/applications/{app['id']}/submit")
    assert late.status_code == 409 and "期限已届满" in late.json()["detail"]
    assert (await mediator.post(f"{API}/applications/{app['id']}/materials", json={"title": "房产证"})).status_code == 409
    # The sweep closes the window; the case shows it.
    async with write_transaction():
        await enqueue("judicial_confirm_sweep", {"cron": "test"})
    await run_jobs()
    assert (await _app(mediator, cid))["status"] == "lapsed"
    assert "judicial_confirm.window_closed" in [e["name"] for e in await _events(cid)]
    # The court accepts it anyway (the parties filed on paper): the clerk records it, marked late.
    clerk = await login(court.clerk)
    assert [a["id"] for a in (await clerk.get(f"{API}/applications")).json()] == [app["id"]]
    accepted = await clerk.post(f"{API}/applications/{app['id']}/acceptance", json={"court_case_number": "（2026）粤1972调确字第12号"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["accepted_late"] is True
    event = next(e for e in await _events(cid) if e["name"] == "judicial_confirm.accepted")
    assert event["payload"]["late"] is True


async def test_reminders_before_the_window_closes(court: CourtTown, login: Any) -> None:
    cid, mediator = await agreed_case(court.town, login)
    app = await _app(mediator, cid)
    # Six days left: the 7-day mark is reached; the queued job (or the sweep) reminds once.
    await Application.update({Application.window_closes_at: datetime.now(UTC) + timedelta(days=6)}).where(Application.id == app["id"])
    async with write_transaction():
        await enqueue("judicial_confirm_remind", {"case_id": cid, "application_id": app["id"], "days": 7})
        await enqueue("judicial_confirm_sweep", {"cron": "one"})
    await run_jobs()
    reminders = [e for e in await _events(cid) if e["name"] == "judicial_confirm.window_reminder"]
    assert len(reminders) == 1 and reminders[0]["payload"]["days_left"] in (5, 6, 7)
    # A day left: the 2-day mark.
    await Application.update({Application.window_closes_at: datetime.now(UTC) + timedelta(days=1)}).where(Application.id == app["id"])
    async with write_transaction():
        await enqueue("judicial_confirm_sweep", {"cron": "two"})
        await enqueue("judicial_confirm_sweep", {"cron": "three"})
    await run_jobs()
    reminders = [e for e in await _events(cid) if e["name"] == "judicial_confirm.window_reminder"]
    assert len(reminders) == 2
    row = await Application.select().where(Application.id == app["id"]).output(load_json=True).first()
    assert row["reminders"] == [7, 2]
    widget = [w for w in (await (await login(court.town.users["supervisor"])).get("/api/v1/plugins/widgets")).json() if w["plugin"] == "judicial_confirm"]
    assert "7日内届满 1 件" in widget[0]["html"]


async def test_registry_switch_and_roles(court: CourtTown, login: Any, client: Any) -> None:
    town = court.town
    admin = await login(court.admin)
    assert [r["court_name"] for r in (await admin.get(f"{API}/courts")).json()] == [court.court["name"]]
    not_a_court = await admin.client.put(f"{API}/courts", json={"area_org_id": town.town["id"], "court_org_id": town.labour_dept["id"]}, headers=admin.headers)
    assert not_a_court.status_code == 400
    # A tribunal for one village: the deepest area wins for a committee there.
    tribunal = await make_org("东村人民法庭", "court", "village", town.villages[0])
    ok = await admin.client.put(f"{API}/courts", json={"area_org_id": town.villages[0]["id"], "court_org_id": tribunal["id"]}, headers=admin.headers)
    assert ok.status_code == 200 and ok.json()["court_name"] == "东村人民法庭"
    from plugins.judicial_confirm.registry import court_for_path

    assert (await court_for_path(town.villages[0]["path"] + "99/"))["court_org_id"] == tribunal["id"]
    assert (await court_for_path(town.committee["path"]))["court_org_id"] == court.court["id"]
    roles = (await admin.get("/api/v1/plugins/switches")).status_code
    assert roles == 200
    from core.plugins.host import all_roles

    assert {"court_clerk", "association_staff"} <= {r["code"] for r in all_roles()}

    cid, mediator = await agreed_case(town, login)
    app = await _app(mediator, cid)
    # The court's node has the plugin off: its clerks get 404 from the plugin's pages.
    await switch("judicial_confirm", court.court, False)
    clerk = await login(court.clerk)
    assert (await clerk.get(f"{API}/applications")).status_code == 404
    await switch("judicial_confirm", court.court, None)
    # The town turns it off: nothing on the case page, the API is gone; on again, nothing lost.
    await switch("judicial_confirm", town.town, False)
    page = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert not [x for x in page["actions"] + page["panels"] if x["plugin"] == "judicial_confirm"]
    assert (await mediator.get(f"{API}/cases/{cid}")).status_code == 404
    await switch("judicial_confirm", town.town, True)
    assert (await _app(mediator, cid))["id"] == app["id"]
    other_staff = await make_user(town.villages[1], ["window_staff"], "别村")
    assert (await (await login(other_staff)).get(f"{API}/applications/{app['id']}")).status_code == 404


async def test_admin_fragments(court: CourtTown, login: Any) -> None:
    cid, mediator = await agreed_case(court.town, login, parties=[
        {"name": "李四", "role": "applicant", "phone": "13800138001"},
        {"name": "<script>x</script>公司", "role": "respondent", "kind": "company"},
    ])
    app = await _app(mediator, cid)
    html = (await mediator.get(f"/admin/plugins/judicial_confirm/cases/{cid}/panel")).text
    assert "&lt;script&gt;" in html and "<script>x" not in html
    assert "李*" in html and "李四" not in html  # names masked on screen, as the core does
    party = app["parties"][0]["party_id"]
    posted = await mediator.client.post(
        f"/admin/plugins/judicial_confirm/applications/{app['id']}/consents", data={"party_id": str(party), "method": "written"},
        headers={**mediator.headers, "HX-Request": "true"},
    )
    assert posted.status_code == 200 and "书面确认" in posted.text
    bad = await mediator.client.post(
        f"/admin/plugins/judicial_confirm/applications/{app['id']}/submit", headers={**mediator.headers, "HX-Request": "true"},
    )
    assert bad.status_code == 409 and "尚有 1 名当事人" in bad.text


@pytest.mark.pdf
@pytest.mark.slow
async def test_a_written_agreement_goes_to_court_with_its_signed_pdf(court: CourtTown, login: Any) -> None:
    """The agreements area's path: finalised, signed by all, effective on the last signature, its
    signed PDF issued; the application cites its code and the package carries that very file."""
    from core.agreements.tables import DocumentRecord
    from tests.agreements.helpers import (
        case_in_mediation,
        final_agreement,
        prepare_town,
        sign_everything,
    )

    await prepare_town(court.town, login)
    cid, _desk, mediator = await case_in_mediation(court.town, login)
    aid = await final_agreement(mediator, cid)
    assert (await sign_everything(mediator, aid))["effective"] is True
    await run_jobs()
    record = await DocumentRecord.select().where((DocumentRecord.kind == "agreement") & (DocumentRecord.source_id == aid)).first()
    assert record is not None
    app = await _app(mediator, cid)
    assert app["agreement_id"] == aid and app["committee_name"] == court.town.committee["name"]
    app = await consent_all(mediator, app)
    submitted = await mediator.post(f"{API}/applications/{app['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    text = squash(pdftotext((await mediator.get(f"{API}/applications/{app['id']}/application.pdf")).content))
    from core.agreements import codes

    assert codes.display(record["verification_code"]) in text and "人民调解协议书（原件）" in text
    package = zipfile.ZipFile(io.BytesIO((await mediator.get(f"{API}/applications/{app['id']}/package.zip")).content))
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["agreement"]["form"] == "written" and manifest["agreement"]["verification_code"] == record["verification_code"]
    files = {f["name"]: f for f in manifest["files"]}
    assert files["agreement.pdf"]["sha256"] == record["sha256"]
    import hashlib

    assert hashlib.sha256(package.read("agreement.pdf")).hexdigest() == record["sha256"]
