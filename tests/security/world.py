"""Two counties for the attack suite: county A with a town full of objects (cases, parties,
evidence, an agreement, documents, plugin objects, keys, reports), county B with one staff
member for every role of every organisation type. Every path parameter of every route gets a
real id of town A; town B's people must never see any of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from core import clock
from core.actors import SYSTEM
from core.auth.service import actor_for_user, start_session
from core.cases.tables import Case, CaseEvent, Party
from core.plugins.switches import set_switch
from tests.factories import Api, Town, application, make_org, make_town, make_user

PLUGINS = ("psych", "legal_aid", "industry_assoc", "judicial_confirm")
# Words that only town A's data contains: a response to town B carrying one of them leaks.
MARKER_PARTY = "甲方当事人"
MARKER_TEXT = "AUTHZ-A-SECRET"
MARKER_PHONE = "13912340077"


@dataclass
class Side:
    """One county with its town and the plugins' organisations."""

    town: Town
    admin: dict[str, Any]
    county_admin: dict[str, Any]
    grid: dict[str, Any]
    station: dict[str, Any]
    counsellor: dict[str, Any]
    centre: dict[str, Any]
    legal_aid_staff: dict[str, Any]
    association: dict[str, Any]
    association_staff: dict[str, Any]
    association_mediator: dict[str, Any]
    court: dict[str, Any]
    clerk: dict[str, Any]

    def people(self) -> dict[str, dict[str, Any]]:
        """Every role of every organisation type, one signed-in person each."""
        t = self.town
        return {
            "village_staff": t.users["village_staff"], "grid_worker": self.grid, "window_staff": t.users["window"],
            "town_supervisor": t.users["supervisor"], "town_admin": self.admin, "committee_mediator": t.users["mediator0"],
            "department_handler": t.users["handler"], "county_supervisor": t.users["county_supervisor"],
            "county_admin": self.county_admin, "counsellor": self.counsellor, "legal_aid_staff": self.legal_aid_staff,
            "association_staff": self.association_staff, "association_mediator": self.association_mediator,
            "court_clerk": self.clerk,
        }


@dataclass
class World:
    a: Side
    b: Side
    ids: dict[str, Any] = field(default_factory=dict)  # path/query parameter name -> town A's value
    a_cases: list[int] = field(default_factory=list)
    sessions: dict[str, Api] = field(default_factory=dict)  # "a:role" / "b:role" -> signed-in client
    keys: dict[str, str] = field(default_factory=dict)  # "b_all", "a_create_only" ... -> API key
    party_b: dict[str, str] = field(default_factory=dict)  # session_token, csrf_token of a town-B party
    markers: tuple[str, ...] = ()


async def _side(label: str) -> Side:
    from plugins.psych import services as psych

    town = await make_town(label)
    admin = await make_user(town.town, ["admin"], f"镇管理员{label}")
    town.users["admin"] = admin
    county_admin = await make_user(town.county, ["admin", "supervisor"], f"县管理员{label}")
    grid = await make_user(town.villages[0], ["grid_worker"], f"网格员{label}")
    station = await make_org(f"{town.town['name']}心灵驿站", "counselling_station", "town", town.town)
    counsellor = await make_user(station, ["counsellor"], f"心理咨询师{label}")
    keeper = await actor_for_user(town.users["supervisor"]["id"])
    pool = await psych.add_counsellor(keeper, station["id"], f"心理咨询师{label}", phone="13700000001", specialties=["marriage_family"], user_id=counsellor["id"])
    counsellor["pool_id"] = pool["id"]
    centre = await make_org(f"{town.county['name']}法律援助中心", "legal_aid_centre", "county", town.county)
    legal_aid_staff = await make_user(centre, ["legal_aid_staff"], f"援助中心{label}")
    association = await make_org(f"{town.town['name']}毛纺织行业协会", "association", "town", town.town)
    association_staff = await make_user(association, ["association_staff"], f"协会秘书长{label}")
    association_mediator = await make_user(association, ["mediator"], f"协会调解员{label}")
    from core.roster.tables import Mediator

    association_mediator["mediator_id"] = (await Mediator.insert(
        Mediator(user=association_mediator["id"], name=f"协会调解员{label}", organisation=association["id"], specialties=["labour"])
    ).returning(Mediator.id))[0]["id"]
    court = await make_org(f"{town.county['name']}人民法院", "court", "county", town.county)
    clerk = await make_user(court, ["court_clerk"], f"书记员{label}")
    for plugin in PLUGINS:
        await set_switch(SYSTEM, plugin, town.county["id"], True)
    return Side(town, admin, county_admin, grid, station, counsellor, centre, legal_aid_staff, association, association_staff, association_mediator, court, clerk)


async def login(client: httpx.AsyncClient, user: dict[str, Any]) -> Api:
    """A session as the sign-in makes it, without its argon2 check (slow on purpose, and thirty
    people sign in here); test_session.py signs in through the form and the API."""
    token, csrf = await start_session(user["id"], "127.0.0.1", "authz-suite")
    return Api(client, token, csrf, user)


async def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, (str(resp.request.url), resp.status_code, resp.text[:500])
    return resp.json() if resp.headers.get("content-type", "").startswith("application/json") else resp


def _body(town: Town, marked: bool = True, **over: Any) -> dict[str, Any]:
    if not marked:  # town B's own case: its party must see it, and it must not look like town A's
        return application(town, accept_now=True, rights_notified=True, consent=True, **over)
    body = application(town, accept_now=True, rights_notified=True, consent=True, description=f"{MARKER_TEXT} 拖欠工资", **over)
    body["parties"][0].update(name=MARKER_PARTY, phone=MARKER_PHONE)
    return body


async def _case_in_mediation(desk: Api, mediator: Api, town: Town, marked: bool = True, **over: Any) -> int:
    cid = (await _ok(await desk.post("/api/v1/cases", json=_body(town, marked, **over)), 201))["id"]
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"])
    await mediator.act(cid, "take")
    return cid


async def _party(case_id: int, role: str = "applicant") -> int:
    return (await Party.select(Party.id).where((Party.case == case_id) & (Party.role == role)).first())["id"]


async def run_jobs(case_id: int, *, documents: bool = False) -> None:
    """Run the outbox for one case only: each event's fan-out and each PDF takes a good part of a
    second, and the other cases' jobs add nothing to what this suite checks."""
    from core.jobs.runner import drain
    from core.jobs.tables import OutboxJob

    while True:
        skip = (OutboxJob.case_id != case_id) | OutboxJob.case_id.is_null() | (OutboxJob.job == "render_case_file")
        skip = skip | (OutboxJob.job != "render_document") if documents else skip | (OutboxJob.job == "render_document")
        await OutboxJob.update({OutboxJob.status: "done", OutboxJob.last_error: "skipped by the authz suite"}).where(
            (OutboxJob.status == "pending") & skip
        )
        if not await drain():
            return


async def build_world(client: httpx.AsyncClient) -> World:

    from core import ratelimit
    from core.agreements.keys import create_for
    from tests.agreements.helpers import AGREEMENT, data_url, seal_png
    from tests.plugins_judicial_confirm.conftest import TERMS

    ratelimit.reset_memory()
    label = uuid.uuid4().hex[:4]
    a, b = await _side(f"甲{label}"), await _side(f"乙{label}")
    world = World(a, b)
    for side, tag in ((a, "a"), (b, "b")):
        for role, user in side.people().items():
            world.sessions[f"{tag}:{role}"] = await login(client, user)
        ratelimit.reset_memory()
    t = a.town
    desk, mediator, admin = world.sessions["a:window_staff"], world.sessions["a:committee_mediator"], world.sessions["a:town_admin"]
    ids = world.ids
    # A dispute type town A's admin added: the matrix and the CSRF sweep toggle /types/{code}
    # routes. Only town A's administrators (and the root's, when there is one root) switch it.
    from core.roster.tables import DisputeType

    ids["type_code"] = f"probe_{label}"
    await DisputeType.insert(DisputeType(code=ids["type_code"], label_zh="探针类型", label_en="Probe type", added_by="admin", organisation=t.town["id"]))

    # The registries the plugins need: the association and the court for town A (and B).
    for side, tag in ((a, "a"), (b, "b")):
        adm = world.sessions[f"{tag}:town_admin"]
        reg = await _ok(await adm.post("/api/v1/plugins/industry_assoc/associations", json={
            "organisation_id": side.association["id"], "coverage": [{"dispute_type": "labour", "area_org_id": side.town.town["id"]}],
            "contact": "0769-12345678"}), 201)
        if tag == "a":
            ids["association_id"] = reg["id"]
        await _ok(await adm.client.put("/api/v1/plugins/judicial_confirm/courts", json={
            "area_org_id": side.town.town["id"], "court_org_id": side.court["id"]}, headers=adm.headers))

    # Signing keys and a seal for the committee (sign links need them).
    create_for(t.committee)
    await _ok(await admin.client.put(f"/api/v1/organisations/{t.committee['id']}/seal", json={"image": data_url(seal_png())}, headers=admin.headers))

    # The main case: in mediation, a written agreement awaiting signatures, evidence, a session.
    main = await _case_in_mediation(desk, mediator, t)
    party = await _party(main)
    from tests.plugins_legal_aid.conftest import png_bytes

    up = await mediator.client.post(f"/api/v1/cases/{main}/evidence", files={"file": ("工资条.png", png_bytes(), "image/png")},
                                    data={"description": MARKER_TEXT}, headers=mediator.headers)
    evidence = (await _ok(up, 201))["id"]
    start = datetime.now(UTC) + timedelta(days=2)
    done = await mediator.act(main, "schedule_session", scheduled_at=start.isoformat(), place="镇调委会", note=MARKER_TEXT)
    session_id = done["event"]["payload"].get("session_id")
    drafted = await mediator.act(main, "draft_agreement", **AGREEMENT)
    agreement = drafted["event"]["payload"]["agreement_id"]
    await mediator.act(main, "finalise_agreement", agreement_id=agreement)
    sign_link = await _ok(await mediator.post(f"/api/v1/agreements/{agreement}/sign-links", json={"party_id": party, "method": "kiosk"}), 201)
    tracking = await _ok(await mediator.post(f"/api/v1/cases/{main}/parties/{party}/tracking-link"), 201)
    resp = await mediator.post(f"/api/v1/cases/{main}/case-file")
    assert resp.status_code in (200, 201, 202), resp.text
    export_id = resp.json().get("id") or resp.json().get("export_id")
    # One real PDF: the main case's receipt.
    await run_jobs(main, documents=True)
    documents = await _ok(await mediator.get(f"/api/v1/cases/{main}/documents"))
    document_id = (documents["items"] if isinstance(documents, dict) else documents)[0]["id"]

    # psych: a referral with a follow-up.
    psych_case = await _case_in_mediation(desk, mediator, t, dispute_type="marriage_family")
    ref = await _ok(await mediator.post(f"/api/v1/plugins/psych/cases/{psych_case}/referrals", json={
        "party_id": await _party(psych_case), "consent": True, "grade": "yellow", "reason": MARKER_TEXT,
        "counsellor_id": a.counsellor["pool_id"]}), 201)
    from plugins.psych.tables import FollowUp

    follow = await FollowUp.select(FollowUp.id).where(FollowUp.referral == ref["id"]).first()

    # legal_aid: a screening and a hand-off to the centre.
    aid_case = await _case_in_mediation(desk, mediator, t)
    screened = await _ok(await mediator.post(f"/api/v1/plugins/legal_aid/cases/{aid_case}/screenings", json={
        "applicants": [{"party_id": await _party(aid_case), "claim_amount": "9000"}],
        "answers": {"matter": "labour_pay", "exempt_category": "migrant_worker_wages"}}), 201)
    rows = screened if isinstance(screened, list) else screened.get("items", screened.get("screenings", [screened]))
    handoff = await _ok(await mediator.post(f"/api/v1/plugins/legal_aid/cases/{aid_case}/handoffs", json={
        "centre_id": a.centre["id"], "screening_ids": [r["id"] for r in rows], "note": MARKER_TEXT}), 201)

    # industry_assoc: a transfer waiting at the association.
    assoc_case = await _case_in_mediation(desk, mediator, t)
    transfer = await _ok(await mediator.post(f"/api/v1/plugins/industry_assoc/cases/{assoc_case}/transfers", json={
        "association_id": ids["association_id"], "reason": MARKER_TEXT}), 201)

    # judicial_confirm: an oral agreement that took effect, its application with a material.
    jc_case = await _case_in_mediation(desk, mediator, t)
    await mediator.act(jc_case, "agree", facts=MARKER_TEXT, matters="欠薪数额及支付期限。", responsibilities="被申请人负全部责任。", terms=TERMS)
    await run_jobs(jc_case)
    app = await _ok(await mediator.get(f"/api/v1/plugins/judicial_confirm/cases/{jc_case}"))
    app = app.get("application", app) if isinstance(app, dict) else app
    material = await _ok(await mediator.post(f"/api/v1/plugins/judicial_confirm/applications/{app['id']}/materials", json={
        "title": MARKER_TEXT, "kind": "property", "party_id": app["parties"][0]["party_id"]}), 201)
    for p in app["parties"]:
        await _ok(await mediator.post(f"/api/v1/plugins/judicial_confirm/applications/{app['id']}/consents", json={"party_id": p["party_id"], "method": "in_person"}), 201)
    await _ok(await mediator.post(f"/api/v1/plugins/judicial_confirm/applications/{app['id']}/submit"))
    material_id = next(m["id"] for m in material["materials"] if m["title"] == MARKER_TEXT) if "materials" in material else material["id"]

    # Keys, a webhook integration with a delivery, a deadline rule, a kept report.
    key = await _ok(await admin.post("/api/v1/integrations/keys", json={
        "name": "12345 热线", "organisation_id": t.town["id"], "scopes": ["*"], "roles": ["window_staff", "mediator"],
        "rate_limit_per_minute": 100000}), 201)
    world.keys["a_all"] = key["key"]
    integration = await _ok(await admin.post("/api/v1/integrations", json={
        "name": "区平台", "organisation_id": t.town["id"], "url": "http://127.0.0.1:9/hook", "api_key_id": key["id"]}), 201)
    pinged = await admin.post(f"/api/v1/integrations/{integration['id']}/ping")
    assert pinged.status_code < 300, pinged.text
    from core.integrations.tables import WebhookDelivery

    delivery = await WebhookDelivery.select(WebhookDelivery.id).where(WebhookDelivery.integration == integration["id"]).first()
    rule = await _ok(await admin.client.put("/api/v1/deadline-policies", json={
        "organisation_id": t.town["id"], "kind": "mediation", "duration": 20}, headers=admin.headers))
    report = await _ok(await admin.post("/api/v1/reports/compute", json={
        "organisation_id": t.town["id"], "kind": "monthly_analysis", "period_start": clock.today().replace(day=1).isoformat()}))
    from core.notifications.tables import Notification

    note = await Notification.select(Notification.id).where(Notification.recipient == a.counsellor["id"]).first()
    open311 = await client.post("/open311/v2/requests.json", headers={"Authorization": f"Bearer {key['key']}"}, data={
        "service_code": "labour", "description": MARKER_TEXT, "address_string": "东村", "phone": MARKER_PHONE, "first_name": MARKER_PARTY})
    open311_name = None
    if open311.status_code in (200, 201):
        body = open311.json()
        open311_name = (body[0] if isinstance(body, list) else body).get("service_request_id")

    from core.notifications.ics import ics_token

    ids.update({
        "case_id": main, "party_id": party, "evidence_id": evidence, "agreement_id": agreement, "export_id": export_id,
        "document_id": document_id, "org_id": t.committee["id"], "organisation_id": t.town["id"], "centre_id": t.town["id"],
        "referral_id": ref["id"], "follow_up_id": follow["id"] if follow else 0, "counsellor_id": a.counsellor["pool_id"],
        "handoff_id": handoff["id"], "transfer_id": transfer["id"], "application_id": app["id"], "material_id": material_id,
        "key_id": key["id"], "integration_id": integration["id"], "delivery_id": delivery["id"] if delivery else 0,
        "rule_id": rule.get("id") or rule.get("rule", {}).get("id"), "report_id": report.get("id"),
        "notification_id": note["id"] if note else 0, "session_id": session_id, "user_id": t.users["window"]["id"],
        "mediator_id": t.mediators[0]["id"], "area_org_id": t.town["id"], "court_org_id": a.court["id"],
        "association_org_id": a.association["id"], "place_id": t.villages[0]["id"],
        "sign_token": sign_link["path"].rsplit("/", 1)[-1], "tracking_token": tracking["tracking_token"],
        "ics_token": ics_token(session_id) if session_id else "0-0", "open311_name": f"{open311_name}.json",
        "psych_case": psych_case, "aid_case": aid_case, "assoc_case": assoc_case, "jc_case": jc_case,
    })
    world.a_cases = [main, psych_case, aid_case, assoc_case, jc_case]
    numbers = await Case.select(Case.number).where(Case.id.is_in(world.a_cases))
    world.markers = (MARKER_TEXT, MARKER_PARTY, MARKER_PHONE, t.town["name"], *[n["number"] for n in numbers])

    # Town B: API keys (all scopes; a scope that gates nothing here) and a party session.
    b_admin = world.sessions["b:town_admin"]
    for name, scopes, roles in (("b_all", ["*"], ["window_staff", "mediator", "handler", "grid_worker"]), ("b_open311", ["open311:create"], ["grid_worker"])):
        made = await _ok(await b_admin.post("/api/v1/integrations/keys", json={
            "name": name, "organisation_id": b.town.town["id"], "scopes": scopes, "roles": roles, "rate_limit_per_minute": 100000}), 201)
        world.keys[name] = made["key"]
    b_desk, b_mediator = world.sessions["b:window_staff"], world.sessions["b:committee_mediator"]
    b_case = await _case_in_mediation(b_desk, b_mediator, b.town, marked=False)
    from core.parties import tracking as party_tracking

    token = await party_tracking.new_link(b_case, await _party(b_case))
    link = await party_tracking.find_link(token)
    world.party_b = await party_tracking.start_session(link)
    world.ids["b_case"] = b_case
    return world


async def snapshot(world: World) -> dict[str, Any]:
    """What town A holds: events per case, case versions and states, and the plugin tables' rows
    (a refused write must leave all of it as it was)."""
    from core.agreements.tables import AgreementSignature
    from core.auth.tables import ApiKey, StaffUser
    from core.cases.tables import Agreement, Evidence
    from core.integrations.tables import Integration
    from core.orgs.tables import Organisation, PluginSwitch
    from core.roster.tables import DisputeType, Mediator
    from plugins.industry_assoc.tables import Transfer
    from plugins.judicial_confirm.tables import Application, Material
    from plugins.legal_aid.tables import Handoff
    from plugins.psych.tables import Referral

    cases = world.a_cases
    out: dict[str, Any] = {
        "events": await CaseEvent.count().where(CaseEvent.case.is_in(cases)),
        "cases": sorted((r["id"], r["state"], r["version"]) for r in await Case.select(Case.id, Case.state, Case.version).where(Case.id.is_in(cases))),
        "parties": await Party.count().where(Party.case.is_in(cases)),
        "evidence": await Evidence.count().where(Evidence.case.is_in(cases)),
        "agreements": sorted(str(r) for r in await Agreement.select(Agreement.id, Agreement.status).where(Agreement.case.is_in(cases))),
        "signatures": await AgreementSignature.count(),
        "referrals": sorted(str(r) for r in await Referral.select().where(Referral.case_id.is_in(cases))),
        "handoffs": sorted(str(r) for r in await Handoff.select().where(Handoff.case_id.is_in(cases))),
        "transfers": sorted(str(r) for r in await Transfer.select().where(Transfer.case_id.is_in(cases))),
        "applications": sorted(str(r) for r in await Application.select().where(Application.case_id.is_in(cases))),
        "materials": await Material.count(),
        "users": sorted(str(r) for r in await StaffUser.select(StaffUser.id, StaffUser.active, StaffUser.roles, StaffUser.password_hash).where(StaffUser.organisation.path.like(world.a.town.county["path"] + "%"))),
        "orgs": sorted(str(r) for r in await Organisation.select().where(Organisation.path.like(world.a.town.county["path"] + "%"))),
        "roster": sorted(str(r) for r in await Mediator.select(Mediator.id, Mediator.active, Mediator.specialties).where(Mediator.organisation.path.like(world.a.town.county["path"] + "%"))),
        "keys": sorted(str(r) for r in await ApiKey.select(ApiKey.id, ApiKey.active).where(ApiKey.organisation.path.like(world.a.town.county["path"] + "%"))),
        "integrations": sorted(str(r) for r in await Integration.select(Integration.id, Integration.active, Integration.secret_nonce).where(Integration.organisation.path.like(world.a.town.county["path"] + "%"))),
        "switches": sorted(str(r) for r in await PluginSwitch.select(PluginSwitch.plugin, PluginSwitch.enabled).where(PluginSwitch.organisation.path.like(world.a.town.county["path"] + "%"))),
        "types": await DisputeType.select(DisputeType.active).where(DisputeType.organisation.path.like(world.a.town.county["path"] + "%")),
    }
    return out
