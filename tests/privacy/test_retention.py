"""`jiefen retention run`: a case closed longer ago than the period loses every trace of the
people in it (rows, files, plugin data) and keeps its number, state, dates, figures, and a
timeline whose hash chain still verifies; the verification page still answers for its PDFs."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from piccolo.conf.apps import Finder

from core import clock
from core.agreements.settings import storage_root as document_root
from core.agreements.tables import AgreementSignature, DocumentRecord
from core.cases.evidence import storage_root as evidence_root
from core.cases.tables import Case, CaseEvent, Evidence, Party
from core.cases.timeline import verify_chain
from core.jobs.outbox import enqueue
from core.jobs.tables import OutboxJob
from core.privacy import retention
from core.privacy.tables import AnonymisedCase
from core.reports.service import figures
from plugins.industry_assoc.tables import Association, Transfer
from plugins.judicial_confirm.document import store as store_court_file
from plugins.judicial_confirm.tables import Application
from plugins.legal_aid.tables import Screening
from plugins.psych.tables import CounsellingSession, Counsellor, Referral
from tests.agreements.helpers import (
    case_in_mediation,
    final_agreement,
    prepare_town,
    run_jobs,
    sign_everything,
)
from tests.factories import application
from tests.privacy.helpers import jobs_long_run

pytestmark = [pytest.mark.db, pytest.mark.pdf, pytest.mark.slow]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


_NAME_CHARS = "春夏秋冬梅兰竹菊松柏桃李杏桂荷莲"
_names_given: set[str] = set()


def person() -> dict[str, str]:
    """A person no other row holds: the name must be unique too (two of 64 two-character names
    met in one test and made the "nothing of the person is left" check fail)."""
    digits = "".join(random.choice("0123456789") for _ in range(8))
    name = ""
    while not name or name in _names_given:
        name = "司马" + "".join(_NAME_CHARS[int(h, 16)] for h in uuid.uuid4().hex[:4])
    _names_given.add(name)
    return {
        "name": name,
        "phone": "137" + digits,
        "id_number": f"44190019800101{digits[:3]}X",
        "address": f"东莞市大朗镇保密路{digits}号",
        "secret": "隐私" + uuid.uuid4().hex[:10],
    }


def _forms(marker: str) -> set[str]:
    escaped = json.dumps(marker)[1:-1]
    return {marker, escaped, escaped.replace("\\", "\\\\")}


async def everything_about(markers: list[str]) -> list[str]:
    """Every row of every table that still holds one of the markers, as ``table: marker``."""
    found = []
    for table in Finder().get_table_classes():
        rows = await table.select()
        text = repr(rows)
        # JSON columns may hold a name \u-escaped (as SQLite keeps it), shown with doubled backslashes.
        found += [f"{table._meta.tablename}: {m}" for m in markers if any(form in text for form in _forms(m))]
    return found


async def old_closed_case(town: Any, login: Any, who: dict[str, str]) -> dict[str, Any]:
    """A case with a bit of everything: evidence, a session record, a signed written agreement
    and its PDFs, a follow-up, and rows in every bundled plugin."""
    await prepare_town(town, login)
    cid, desk, mediator = await case_in_mediation(
        town, login, title=f"{who['name']}欠薪", description=f"{who['name']}称{who['secret']}",
        parties=[
            {"name": who["name"], "phone": who["phone"], "id_number": who["id_number"], "address": who["address"], "gender": "female", "birth_year": 1980},
            {"name": "某某制衣厂", "role": "respondent", "kind": "company", "phone": "076988888888"},
        ],
    )
    upload = await mediator.client.post(f"/api/v1/cases/{cid}/evidence", files={"file": (f"{who['name']}.png", PNG)}, data={"description": who["secret"]}, headers=mediator.headers)
    assert upload.status_code == 201, upload.text
    scheduled = await mediator.act(cid, "schedule_session", scheduled_at="2026-12-01T10:00:00+08:00", place=who["address"], attendees=[who["name"]])
    await mediator.act(cid, "record_session", session_id=scheduled["event"]["payload"]["session_id"], record=f"{who['name']}陈述:{who['secret']}")
    aid = await final_agreement(mediator, cid, facts=f"{who['name']}于2026年入职,{who['secret']}")
    await sign_everything(mediator, aid)
    await run_jobs()
    await mediator.act(cid, "follow_up", method="visit", performed=True, rating=5, comment=who["secret"])
    await mediator.act(cid, "close")

    party = (await Party.select(Party.id).where((Party.case == cid) & (Party.role == "applicant")).first())["id"]
    counsellor = (await Counsellor.insert(Counsellor(station_id=town.town["id"], name="咨询师甲")).returning(Counsellor.id))[0]["id"]
    referral = (await Referral.insert(Referral(case_id=cid, party_id=party, counsellor=counsellor, station_id=town.town["id"], reason=who["secret"], consent_note=who["name"], result_note=who["secret"])).returning(Referral.id))[0]["id"]
    await CounsellingSession.insert(CounsellingSession(referral=referral, counsellor=counsellor, held_at=datetime.now(UTC), notes=f"{who['name']}:{who['secret']}"))
    await Screening.insert(Screening(case_id=cid, party_id=party, name=who["name"], id_number=who["id_number"], phone=who["phone"], answers={"income": who["secret"]}, result="eligible", basis="means", reason=who["secret"]))
    association = (await Association.insert(Association(organisation_id=-cid, contact="协会")).returning(Association.id))[0]["id"]
    await Transfer.insert(Transfer(case_id=cid, association=association, reason=who["secret"], report=who["name"], due_at=datetime.now(UTC)))
    court_key, court_sha = store_court_file(cid, "application.pdf", f"%PDF-1.7 {who['name']}".encode())
    await Application.insert(Application(
        case_id=cid, agreement_id=aid, effective_at=datetime.now(UTC), window_closes_at=datetime.now(UTC),
        document_key=court_key, document_sha256=court_sha, ruling_note=who["secret"],
    ))
    # Closed four years ago, and its jobs long run.
    years_ago = datetime.now(UTC) - timedelta(days=4 * 365)
    await Case.update({Case.closed_at: years_ago, Case.submitted_at: years_ago - timedelta(days=60)}).where(Case.id == cid)
    await jobs_long_run(cid)
    return {"id": cid, "desk": desk, "mediator": mediator, "court_key": court_key}


async def test_an_old_closed_case_is_anonymised_and_the_rest_untouched(town, login, client):
    who, recent_who, open_who = person(), person(), person()
    made = await old_closed_case(town, login, who)
    cid, desk = made["id"], made["desk"]
    # Closed yesterday, and open for years: both left alone.
    recent = (await desk.post("/api/v1/cases", json=application(town, description=recent_who["secret"], parties=[{"name": recent_who["name"], "phone": recent_who["phone"]}]))).json()["id"]
    await desk.act(recent, "reject", reason="不属于受理范围")
    still_open = (await desk.post("/api/v1/cases", json=application(town, description=open_who["secret"], parties=[{"name": open_who["name"], "phone": open_who["phone"]}]))).json()["id"]
    await Case.update({Case.submitted_at: datetime.now(UTC) - timedelta(days=5 * 365)}).where(Case.id == still_open)

    before = await Case.select().where(Case.id == cid).first()
    events_before = await CaseEvent.count().where(CaseEvent.case == cid)
    town_path = town.town["path"]
    period = (clock.today() - timedelta(days=5 * 365), clock.today() + timedelta(days=1))
    numbers_before = await figures(town_path, *period)
    docs = await DocumentRecord.select().where(DocumentRecord.case == cid)
    assert {d["kind"] for d in docs} >= {"agreement", "receipt"}
    agreement_doc = next(d for d in docs if d["kind"] == "agreement")
    issued_pdf = (document_root() / agreement_doc["storage_key"]).read_bytes()
    files = [evidence_root() / e["storage_key"] for e in await Evidence.select().where(Evidence.case == cid)]
    files += [document_root() / k for d in docs for k in (d["storage_key"], d["archive_key"]) if k]
    signatures = await AgreementSignature.select().where(AgreementSignature.case == cid)
    files += [document_root() / s["storage_key"] for s in signatures if s["signer_kind"] != "seal"]
    seal = next(document_root() / s["storage_key"] for s in signatures if s["signer_kind"] == "seal")
    court_file = Path(store_court_file.__globals__["storage_root"]()) / made["court_key"]
    files.append(court_file)
    assert files and all(f.exists() for f in files)
    markers = [who["name"], who["phone"], who["id_number"], who["address"], who["secret"]]
    assert await everything_about(markers), "the markers are there before the run"

    # A dry run lists the case and writes nothing.
    dry = await retention.run(dry_run=True, town_id=town.town["id"])
    assert [c["id"] for c in dry.candidates] == [cid] and dry.anonymised == []
    assert not await AnonymisedCase.exists().where(AnonymisedCase.case_id == cid)
    assert (await Case.select(Case.version).where(Case.id == cid).first())["version"] == before["version"]
    assert all(f.exists() for f in files)

    done = await retention.run(town_id=town.town["id"])
    assert done.anonymised == [cid] and done.failed == []
    assert done.files_removed == len(files)

    # Nothing of the person is left in any row of any table, nor on disk (the seal stays).
    assert await everything_about(markers) == []
    assert not any(f.exists() for f in files) and seal.exists()
    parties = await Party.select().where(Party.case == cid).order_by(Party.id)
    assert [p["name"] for p in parties] == ["申请人甲", "被申请人甲"] and all(p["anonymised"] for p in parties)
    assert all(p["phone"] == p["id_number"] == p["address"] == "" and p["birth_year"] is None for p in parties)

    # Number, state, type, amount and dates stay; one `anonymised` event, no state change.
    after = await Case.select().where(Case.id == cid).first()
    for key in ("number", "state", "dispute_type", "amount", "closed_at", "submitted_at", "registered_at", "outcome", "channel"):
        assert after[key] == before[key], key
    events = await CaseEvent.select().where(CaseEvent.case == cid).order_by(CaseEvent.seq).output(load_json=True)
    assert len(events) == events_before + 1
    last = events[-1]
    assert last["name"] == "anonymised" and last["from_state"] == last["to_state"] == "closed" and last["actor_label"] == "system"
    assert (await verify_chain(cid)).intact
    assert await figures(town_path, *period) == numbers_before

    # The verification page still knows the document, and says what happened to it.
    code = agreement_doc["verification_code"]
    by_code = (await client.get(f"/api/v1/public/verify/{code}")).json()
    assert by_code["found"] is True and by_code["retired"] is True and by_code["sha256"] == agreement_doc["sha256"]
    assert by_code["document"]["case_number"] == before["number"]
    page = await client.get(f"/verify/{code}")
    assert "已按保存期限销毁" in page.text and "此后已按保存期限政策销毁" in page.text
    by_file = (await client.post("/api/v1/public/verify", content=issued_pdf, headers={"Content-Type": "application/pdf"})).json()
    assert by_file["matches_record"] is True and by_file["retired"] is True
    # Files are gone for staff too: a clear 404, not a crash.
    supervisor = await login(town.users["supervisor"])
    evidence_id = (await Evidence.select(Evidence.id).where(Evidence.case == cid).first())["id"]
    assert (await supervisor.get(f"/api/v1/evidence/{evidence_id}")).status_code == 404
    assert (await supervisor.get(f"/api/v1/documents/{agreement_doc['id']}")).status_code == 404

    # The recent and the open case keep their people.
    for other, person_ in ((recent, recent_who), (still_open, open_who)):
        row = await Party.select(Party.name, Party.phone).where(Party.case == other).first()
        assert (row["name"], row["phone"]) == (person_["name"], person_["phone"])
        assert not await AnonymisedCase.exists().where(AnonymisedCase.case_id == other)

    # A second run does nothing.
    version = after["version"]
    again = await retention.run(town_id=town.town["id"])
    assert again.candidates == [] and again.anonymised == []
    assert (await Case.select(Case.version).where(Case.id == cid).first())["version"] == version
    assert await retention.anonymise_case(cid) == []


async def test_a_failing_case_is_left_as_it_was_and_the_run_goes_on(town, login, monkeypatch):
    from plugins.psych import services as psych

    desk = await login(town.users["window"])
    people = [person(), person()]
    ids = []
    for who in people:
        cid = (await desk.post("/api/v1/cases", json=application(town, description=who["secret"], parties=[{"name": who["name"], "phone": who["phone"]}]))).json()["id"]
        await desk.act(cid, "withdraw", reason="申请人撤回")
        await jobs_long_run(cid)
        ids.append(cid)
    # Withdrawn (no closed_at): the withdrawal event's time counts. The events are append-only,
    # so the run looks from four years on instead.
    later = datetime.now(UTC) + timedelta(days=4 * 365)
    original = psych.anonymise

    async def broken(case_id: int) -> int:
        if case_id == ids[0]:
            raise RuntimeError("disk full")
        return await original(case_id)

    monkeypatch.setattr(psych, "anonymise", broken)
    result = await retention.run(town_id=town.town["id"], now=later)
    assert result.anonymised == [ids[1]]
    assert [f["id"] for f in result.failed] == [ids[0]] and "disk full" in result.failed[0]["error"]
    kept = await Party.select(Party.name).where(Party.case == ids[0]).first()
    assert kept["name"] == people[0]["name"]
    assert not await CaseEvent.exists().where((CaseEvent.case == ids[0]) & (CaseEvent.name == "anonymised"))
    assert (await verify_chain(ids[0])).intact
    # Fixed, the next run picks it up.
    monkeypatch.setattr(psych, "anonymise", original)
    assert (await retention.run(town_id=town.town["id"], now=later)).anonymised == [ids[0]]


async def test_the_period_and_the_before_option(town, login, monkeypatch):
    from core.privacy.settings import privacy_settings

    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    await desk.act(cid, "reject", reason="不属于受理范围")
    later = datetime.now(UTC) + timedelta(days=100)

    def due(**kw: Any) -> Any:
        return retention.find_due(town_id=town.town["id"], **kw)

    assert [c["id"] for c in await due()] == [] and [c["id"] for c in await due(now=later)] == [], "100 days < 3 years"
    monkeypatch.setattr(privacy_settings(), "retention_days", 90)
    assert [c["id"] for c in await due(now=later)] == [cid]
    assert [c["state"] for c in await due(now=later)] == ["rejected"]
    monkeypatch.setattr(privacy_settings(), "retention_days", 1095)
    # A town's own period wins over the default.
    monkeypatch.setattr(privacy_settings(), "retention_days_by_town", {str(town.town["id"]): 30})
    assert [c["id"] for c in await due(now=later)] == [cid]
    monkeypatch.setattr(privacy_settings(), "retention_days_by_town", {})
    # --before: final before that local date, whatever the period.
    assert await due(before=clock.today() - timedelta(days=1)) == []
    assert [c["id"] for c in await due(before=clock.today() + timedelta(days=2))] == [cid]


async def test_the_nightly_entry_is_there_only_when_enabled(monkeypatch):
    from core.jobs.cron import entries
    from core.jobs.registry import job_function
    from core.privacy.settings import privacy_settings

    assert "retention" not in [e.name for e in entries()]
    monkeypatch.setattr(privacy_settings(), "retention_nightly", True)
    [entry] = [e for e in entries() if e.name == "retention"]
    assert entry.job == "retention_run" and entry.hour == frozenset({2}) and entry.minute == frozenset({30})
    assert job_function("retention_run") is not None


async def test_outbox_rows_of_an_anonymised_case(town, login):
    """Jobs may carry a person (a town's plugin queues a message with a name and a phone; an
    error quotes the number): after the run none of it is left in the outbox. A case with jobs
    still to run is deferred, untouched, until they have."""
    from core.integrations.tables import Integration, WebhookDelivery
    from core.integrations.webhooks import SEND_JOB

    desk = await login(town.users["window"])
    who, bystander = person(), person()
    cid = (await desk.post("/api/v1/cases", json=application(town, description=who["secret"], parties=[{"name": who["name"], "phone": who["phone"]}]))).json()["id"]
    await desk.act(cid, "withdraw", reason="申请人撤回")
    await jobs_long_run(cid)
    open_case = (await desk.post("/api/v1/cases", json=application(town, parties=[{"name": bystander["name"], "phone": bystander["phone"]}]))).json()["id"]

    now = datetime.now(UTC)
    sent = await enqueue("town_sms", {"case_id": cid, "name": who["name"], "phone": who["phone"]}, case_id=cid, dedupe_key=f"sms:{who['phone']}")
    refused = await enqueue("town_sms", {"case_id": cid, "party_id": 7, "to": who["phone"], "urgent": True}, case_id=cid, dedupe_key=f"sms:{who['phone']}:2")
    await OutboxJob.update({OutboxJob.status: "done", OutboxJob.done_at: now}).where(OutboxJob.id == sent)
    await OutboxJob.update({
        OutboxJob.status: "failed", OutboxJob.attempts: 5, OutboxJob.last_error: f"gateway refused {who['phone']} ({who['name']})",
    }).where(OutboxJob.id == refused)
    others = await enqueue("town_sms", {"case_id": open_case, "name": bystander["name"]}, case_id=open_case)
    await OutboxJob.update({OutboxJob.status: "done", OutboxJob.done_at: now}).where(OutboxJob.id == others)
    # Still to run: the case's own job, and a webhook send for one of its deliveries (that row
    # names only the delivery).
    waiting = await enqueue("town_sms", {"case_id": cid, "name": who["name"]}, case_id=cid)
    integration = (await Integration.insert(Integration(name="市平台", organisation=town.town["id"], url="https://example.invalid/hook", secret_nonce="n")).returning(Integration.id))[0]["id"]
    delivery = (await WebhookDelivery.insert(WebhookDelivery(integration=integration, case_id=cid, body=who["name"])).returning(WebhookDelivery.id))[0]["id"]
    send = await enqueue(SEND_JOB, {"delivery_id": delivery})
    markers = [who["name"], who["phone"], who["secret"]]
    found = await everything_about(markers)
    assert {f"outbox_job: {who['name']}", f"outbox_job: {who['phone']}", f"party: {who['name']}", f"webhook_delivery: {who['name']}"} <= set(found)

    later = now + timedelta(days=4 * 365)
    first = await retention.run(town_id=town.town["id"], now=later)
    assert first.anonymised == [] and first.failed == []
    assert first.deferred == [{"id": cid, "number": first.candidates[0]["number"], "jobs": [SEND_JOB, "town_sms"]}]
    assert not await AnonymisedCase.exists().where(AnonymisedCase.case_id == cid)
    assert (await Party.select(Party.name).where(Party.case == cid).first())["name"] == who["name"]

    # Both ran; the next run takes the case.
    await OutboxJob.update({OutboxJob.status: "done", OutboxJob.done_at: now}).where(OutboxJob.id.is_in([waiting, send]))
    second = await retention.run(town_id=town.town["id"], now=later)
    assert second.anonymised == [cid] and second.deferred == [] and second.failed == []
    assert await everything_about(markers) == []

    # Done rows are gone; the failed one stays for the operator, with its numbers only.
    assert not await OutboxJob.exists().where(OutboxJob.id.is_in([sent, waiting]))
    [kept] = await OutboxJob.select().where((OutboxJob.case_id == cid) & (OutboxJob.status == "failed")).output(load_json=True)
    assert kept["id"] == refused and kept["payload"] == {"case_id": cid, "party_id": 7, "urgent": True}
    assert kept["last_error"] == retention.REDACTED and kept["dedupe_key"] is None and kept["attempts"] == 5 and kept["job"] == "town_sms"
    # The `anonymised` event's own delivery is queued after the scrub, and waits to run.
    queued = await OutboxJob.select(OutboxJob.job, OutboxJob.status).where((OutboxJob.case_id == cid) & (OutboxJob.status == "pending"))
    assert queued == [{"job": "deliver_event", "status": "pending"}]
    summary = (await retention.retired(cid))["summary"]
    summary = summary if isinstance(summary, dict) else json.loads(summary)
    assert summary["outbox"]["scrubbed"] == 1 and summary["outbox"]["deleted"] >= 3  # the two above and the case's own jobs
    # Another case's rows are not touched.
    untouched = await OutboxJob.select(OutboxJob.payload).where(OutboxJob.id == others).output(load_json=True).first()
    assert untouched["payload"] == {"case_id": open_case, "name": bystander["name"]}
