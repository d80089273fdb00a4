"""Judicial confirmation (司法确认), testable without HTTP.

::

    agree (the agreement takes effect) ─▶ open: the 30-day window runs (reminders 7 and 2 days
        before it closes); each party's consent to apply jointly; materials
    open ─submit (window open, every consent)─▶ submitted: the application PDF, to the court
        of the committee's area; the court decides within 3 days whether to accept
    open ─window closes─▶ lapsed (no application any more …)
    submitted | lapsed ─clerk: accepted (调确字 number)─▶ accepted (… unless the court accepts anyway)
    submitted | lapsed ─clerk: not accepted─▶ not_accepted
    accepted ─clerk: ruling─▶ confirmed (enforceable) | rejected (reopen → mediation, or sue)

People's steps are plugin events on the case's timeline (payloads hold ids and numbers only);
the only state change, the reopen after a rejection, goes through the lifecycle as the plugin.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

from core.cases.access import mask_name
from core.cases.tables import Agreement, Case, Party
from core.deadlines.calendar import add_calendar_days, local_date
from core.errors import BadRequest, Conflict, Forbidden, JiefenError, NotFound
from core.orgs.tables import Organisation
from core.plugins import (
    Actor,
    enabled_for_path,
    enqueue,
    get_case,
    gettext,
    plugin_actor,
    plugin_settings,
    record_action,
    transition,
    write_transaction,
)
from plugins.judicial_confirm.registry import CLERK_ROLE, NAME, court_for_path, is_clerk
from plugins.judicial_confirm.tables import Application, Consent, Material

log = logging.getLogger("jiefen.plugins.judicial_confirm")

S = Application.Status
PREPARERS = frozenset({"window_staff", "mediator", "handler", "supervisor", "admin"})
# Before the court rules, the application is pending there.
AT_COURT = (S.submitted, S.accepted)
CLERK_SEES = (S.submitted, S.accepted, S.not_accepted, S.confirmed, S.rejected, S.lapsed)
# （2026）粤1972民特123号, (2015)浦民调确字第118号 …
CASE_NUMBER = re.compile(r"（\d{4}）\S{0,40}?(民特|调确)\S{0,10}?\d{1,8}号")
REMIND_HOUR = time(9, 0)


def actor() -> Actor:
    return plugin_actor(NAME)


def settings() -> Any:
    return plugin_settings(NAME)


def may_prepare(case: dict[str, Any], who: Actor) -> bool:
    """The case's worker, or staff of the level responsible for it."""
    if who.kind not in ("staff", "api_key"):
        return False
    if who.user_id is not None and case.get("assignee") == who.user_id:
        return True
    return who.has_any(PREPARERS) and who.covers(case.get("org_path"))


def window_open(app: dict[str, Any], now: datetime | None = None) -> bool:
    return (now or datetime.now(UTC)) <= app["window_closes_at"]


def closing_day_left(app: dict[str, Any], now: datetime | None = None) -> int:
    """Whole days from today (local) to the day the window closes."""
    return (local_date(app["window_closes_at"]) - local_date(now or datetime.now(UTC))).days


def normalise_number(number: str) -> str:
    return number.strip().replace("(", "（").replace(")", "）").replace(" ", "")


# ---------------------------------------------------------------- reads


async def current(case_id: int) -> dict[str, Any] | None:
    return await Application.select().where(Application.case_id == case_id).order_by(Application.id, ascending=False).first()


async def get(application_id: int) -> dict[str, Any]:
    row = await Application.select().where(Application.id == application_id).output(load_json=True).first()
    if row is None:
        raise NotFound()
    return row


async def effective_agreement(case_id: int) -> dict[str, Any] | None:
    return await Agreement.select().where((Agreement.case == case_id) & (Agreement.status == "effective")).order_by(
        Agreement.id, ascending=False
    ).output(load_json=True).first()


async def required_parties(case: dict[str, Any]) -> list[dict[str, Any]]:
    """Who applies jointly: every party (in a collective case, per side, its representatives)."""
    parties = await Party.select().where((Party.case == case["id"]) & (Party.anonymised == False)).order_by(Party.id)  # noqa: E712
    order = {"applicant": 0, "respondent": 1, "third_party": 2}
    chosen = []
    for role in order:
        side = [p for p in parties if p["role"] == role]
        if case.get("is_collective") and any(p["is_representative"] for p in side):
            side = [p for p in side if p["is_representative"]]
        chosen += side
    return chosen


async def consents(application_id: int) -> list[dict[str, Any]]:
    return await Consent.select().where(Consent.application == application_id).order_by(Consent.id)


async def materials(application_id: int) -> list[dict[str, Any]]:
    return await Material.select().where(Material.application == application_id).order_by(Material.id)


async def _case(case_id: int) -> dict[str, Any]:
    case = await Case.select().where(Case.id == case_id).first()
    if case is None:
        raise NotFound()
    return case


async def for_staff(who: Actor, application_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(application, case) for the case's staff or the court's clerks; 404 for anyone else."""
    app = await get(application_id)
    case = await _case(app["case_id"])
    if CLERK_ROLE in who.roles and app["court_org_id"]:
        court = await Organisation.select(Organisation.path).where(Organisation.id == app["court_org_id"]).first()
        if court and is_clerk(who, court["path"]) and app["status"] in CLERK_SEES:
            return app, case
    await get_case(case["id"], who)  # 404 unless the actor sees the case
    return app, case


# ---------------------------------------------------------------- the window


async def ensure_for_case(case: dict[str, Any], who: Actor | None = None) -> dict[str, Any] | None:
    """Track the window of the case's effective agreement (once per agreement)."""
    agreement = await effective_agreement(case["id"])
    if agreement is None or agreement["effective_at"] is None:
        return None
    existing = await Application.select().where(Application.agreement_id == agreement["id"]).first()
    if existing:
        return existing
    committee = await _committee(case, agreement["id"])
    court = await court_for_path(committee["path"] if committee else case["org_path"])
    closes = add_calendar_days(agreement["effective_at"], settings().window_days)
    now = datetime.now(UTC)
    status = S.open if now <= closes else S.lapsed
    try:
        async with write_transaction():
            rows = await Application.insert(
                Application(
                    case_id=case["id"], agreement_id=agreement["id"], committee_org_id=committee["id"] if committee else None,
                    court_org_id=court["court_org_id"] if court else None, status=status,
                    effective_at=agreement["effective_at"], window_closes_at=closes,
                )
            ).returning(Application.id)
            app_id = rows[0]["id"]
            await record_action(case["id"], "judicial_confirm.window_opened", who or actor(), {
                "application_id": app_id, "agreement_id": agreement["id"], "closes_at": closes,
                "court_org_id": court["court_org_id"] if court else None,
            })
            if status == S.open:
                for days in settings().reminder_days:
                    at = remind_at(closes, days)
                    if at > now:
                        await enqueue("judicial_confirm_remind", {"case_id": case["id"], "application_id": app_id, "days": days},
                                      case_id=case["id"], dedupe_key=f"judicial_confirm:remind:{app_id}:{days}", available_at=at)
    except Exception as exc:
        # Two observers racing for the same agreement: the unique index keeps one.
        if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
            return await Application.select().where(Application.agreement_id == agreement["id"]).first()
        raise
    return await get(app_id)


async def _committee(case: dict[str, Any], agreement_id: int) -> dict[str, Any] | None:
    """The committee under whose seal the agreement was made (its snapshot's), else the issuer."""
    from core.agreements.content import issuing_committee
    from core.agreements.tables import AgreementSnapshot

    snapshot = await AgreementSnapshot.select(AgreementSnapshot.organisation).where(AgreementSnapshot.agreement == agreement_id).first()
    if snapshot:
        return await Organisation.select().where(Organisation.id == snapshot["organisation"]).first()
    return await issuing_committee(case)


def remind_at(closes: datetime, days: int) -> datetime:
    """09:00 local on the day ``days`` days before the window's last day."""
    from core.settings import get_settings

    zone = get_settings().zone
    day = local_date(closes, zone) - timedelta(days=days)
    return datetime.combine(day, REMIND_HOUR, tzinfo=zone).astimezone(UTC)


async def remind(application_id: int, now: datetime | None = None) -> bool:
    """One reminder for the marks now reached (7, 2 … days before the close), once each."""
    now = now or datetime.now(UTC)
    app = await get(application_id)
    if app["status"] != S.open or not window_open(app, now):
        return False
    left = closing_day_left(app, now)
    due = [d for d in settings().reminder_days if left <= d and d not in (app["reminders"] or [])]
    if not due:
        return False
    async with write_transaction():
        rows = await Application.update({Application.reminders: sorted({*(app["reminders"] or []), *due}, reverse=True)}).where(
            (Application.id == application_id) & (Application.status == S.open)
        ).returning(Application.id)
        if not rows:
            return False
        await record_action(app["case_id"], "judicial_confirm.window_reminder", actor(), {
            "application_id": application_id, "days_left": left, "closes_at": app["window_closes_at"],
        })
    return True


async def sweep(now: datetime | None = None) -> dict[str, int]:
    """The hourly cron: reminders not yet given, windows that closed, courts late to accept.
    Covers every town; towns where the plugin is off are skipped."""
    now = now or datetime.now(UTC)
    done = {"reminded": 0, "lapsed": 0, "overdue": 0}
    rows = await Application.select().where(Application.status.is_in([S.open, S.submitted])).output(load_json=True)
    for app in rows:
        case = await Case.select(Case.id, Case.org_path).where(Case.id == app["case_id"]).first()
        if case is None or not await enabled_for_path(NAME, case["org_path"]):
            continue
        if app["status"] == S.open and not window_open(app, now):
            async with write_transaction():
                moved = await Application.update({Application.status: S.lapsed}).where(
                    (Application.id == app["id"]) & (Application.status == S.open)
                ).returning(Application.id)
                if moved:
                    await record_action(case["id"], "judicial_confirm.window_closed", actor(), {"application_id": app["id"]})
                    done["lapsed"] += 1
        elif app["status"] == S.open:
            done["reminded"] += int(await remind(app["id"], now))
        elif app["accept_due_at"] and app["accept_due_at"] < now and not app["acceptance_overdue_noted"]:
            async with write_transaction():
                moved = await Application.update({Application.acceptance_overdue_noted: True}).where(
                    (Application.id == app["id"]) & (Application.status == S.submitted) & (Application.acceptance_overdue_noted == False)  # noqa: E712
                ).returning(Application.id)
                if moved:
                    await record_action(case["id"], "judicial_confirm.acceptance_overdue", actor(), {"application_id": app["id"]})
                    done["overdue"] += 1
    return done


# ---------------------------------------------------------------- preparing the application


async def _open_for(who: Actor, application_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    app, case = await for_staff(who, application_id)
    if not may_prepare(case, who):
        raise Forbidden()
    if app["status"] == S.lapsed or (app["status"] == S.open and not window_open(app)):
        raise Conflict(WINDOW_CLOSED, days=settings().window_days)
    if app["status"] != S.open:
        raise Conflict("The application has already been submitted.")
    return app, case


WINDOW_CLOSED = "The {days} days for applying have passed; only the court's clerk can record that the court accepts it anyway."


async def record_consent(who: Actor, application_id: int, party_id: int, method: str = "in_person", note: str = "") -> dict[str, Any]:
    app, case = await _open_for(who, application_id)
    if party_id not in {p["id"] for p in await required_parties(case)}:
        raise BadRequest("This party does not apply for the confirmation of this agreement.")
    if method not in set(Consent.Method):
        raise BadRequest("Unknown way of consenting: {method}", method=method)
    try:
        async with write_transaction():
            rows = await Consent.insert(
                Consent(application=application_id, party_id=party_id, method=method, note=note, recorded_by=who.user_id)
            ).returning(Consent.id)
            await record_action(case["id"], "judicial_confirm.consented", who, {
                "application_id": application_id, "party_id": party_id, "consent_id": rows[0]["id"], "method": method,
            })
    except Exception as exc:
        if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
            raise Conflict("This party's consent is already recorded.") from None
        raise
    return await summary(application_id)


async def withdraw_consent(who: Actor, application_id: int, party_id: int) -> dict[str, Any]:
    app, case = await _open_for(who, application_id)
    async with write_transaction():
        rows = await Consent.delete().where((Consent.application == application_id) & (Consent.party_id == party_id)).returning(Consent.id)
        if not rows:
            raise NotFound()
        await record_action(case["id"], "judicial_confirm.consent_withdrawn", who, {"application_id": application_id, "party_id": party_id})
    return await summary(application_id)


async def add_material(
    who: Actor, application_id: int, *, kind: str, title: str, party_id: int | None = None, copies: int = 1,
    evidence_id: int | None = None, note: str = "",
) -> dict[str, Any]:
    app, case = await _open_for(who, application_id)
    if kind not in set(Material.Kind):
        raise BadRequest("Unknown kind of material: {kind}", kind=kind)
    if not title.strip():
        raise BadRequest("Name the material.")
    if party_id is not None and party_id not in {p["id"] for p in await required_parties(case)}:
        raise BadRequest("This party does not apply for the confirmation of this agreement.")
    if evidence_id is not None:
        from core.cases.tables import Evidence

        if not await Evidence.exists().where((Evidence.id == evidence_id) & (Evidence.case == case["id"])):
            raise BadRequest("The evidence file is not one of this case's.")
    await Material.insert(Material(
        application=application_id, kind=kind, title=title.strip(), party_id=party_id, copies=max(1, copies),
        evidence_id=evidence_id, note=note, added_by=who.user_id,
    ))
    return await summary(application_id)


async def remove_material(who: Actor, application_id: int, material_id: int) -> dict[str, Any]:
    await _open_for(who, application_id)
    rows = await Material.delete().where((Material.id == material_id) & (Material.application == application_id)).returning(Material.id)
    if not rows:
        raise NotFound()
    return await summary(application_id)


async def submit(who: Actor, application_id: int) -> dict[str, Any]:
    """Apply: every party consented, the window is open (the veto), a court is registered;
    the application PDF is rendered, kept and its SHA-256 put on the timeline."""
    from plugins.judicial_confirm import document

    app, case = await _open_for(who, application_id)
    required = await required_parties(case)
    given = {c["party_id"] for c in await consents(application_id)}
    missing = [p for p in required if p["id"] not in given]
    if missing:
        raise Conflict("{count} party(ies) have not yet consented to apply.", count=len(missing))
    court_org_id = app["court_org_id"]
    if court_org_id is None:
        committee = await Organisation.select().where(Organisation.id == (app["committee_org_id"] or -1)).first()
        court = await court_for_path(committee["path"] if committee else case["org_path"])
        if court is None:
            raise Conflict("No court is registered for the committee's area: ask an administrator to add it to the court registry.")
        court_org_id = court["court_org_id"]
    app = {**app, "court_org_id": court_org_id}
    pdf = await document.render_application(app, case)
    key, digest = document.store(case["id"], f"application-{application_id}.pdf", pdf)
    now = datetime.now(UTC)
    async with write_transaction():
        moved = await Application.update({
            Application.status: S.submitted, Application.court_org_id: court_org_id, Application.submitted_by: who.user_id,
            Application.submitted_at: now, Application.accept_due_at: add_calendar_days(now, settings().acceptance_days),
            Application.document_key: key, Application.document_sha256: digest, Application.document_size: len(pdf),
        }).where((Application.id == application_id) & (Application.status == S.open)).returning(Application.id)
        if not moved:
            raise Conflict("The application has already been submitted.")
        await record_action(case["id"], "judicial_confirm.applied", who, {
            "application_id": application_id, "court_org_id": court_org_id, "sha256": digest,
        })
    return await summary(application_id)


# ---------------------------------------------------------------- the court's side


async def _for_clerk(who: Actor, application_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    app = await get(application_id)
    court = await Organisation.select(Organisation.path).where(Organisation.id == (app["court_org_id"] or -1)).first()
    if court is None or not (who.is_system or is_clerk(who, court["path"])) or app["status"] not in CLERK_SEES:
        raise NotFound()
    return app, await _case(app["case_id"])


async def clerk_list(who: Actor, status: str | None = None) -> list[dict[str, Any]]:
    """Applications to the clerk's court (and its tribunals), newest first."""
    courts = await Organisation.select(Organisation.id, Organisation.path).where(Organisation.type_code == "court")
    mine = [c["id"] for c in courts if who.is_system or is_clerk(who, c["path"])]
    if not mine:
        return []
    query = Application.select().where(Application.court_org_id.is_in(mine) & Application.status.is_in(list(CLERK_SEES)))
    if status:
        query = query.where(Application.status == status)
    rows = await query.order_by(Application.id, ascending=False).output(load_json=True)
    return [await summary(r["id"], row=r) for r in rows]


async def record_acceptance(who: Actor, application_id: int, court_case_number: str) -> dict[str, Any]:
    """The court accepted: its case number (（2026）粤1972民特123号). A clerk may record it for an
    application whose window had closed: the court accepts it anyway (kept as ``accepted_late``)."""
    app, case = await _for_clerk(who, application_id)
    number = normalise_number(court_case_number)
    if not CASE_NUMBER.fullmatch(number):
        raise BadRequest("Not a court case number like （2026）粤1972民特123号.")
    if app["status"] not in (S.submitted, S.lapsed):
        raise Conflict("The court's acceptance is already recorded.")
    late = app["status"] == S.lapsed or (app["submitted_at"] is not None and app["submitted_at"] > app["window_closes_at"])
    async with write_transaction():
        moved = await Application.update({
            Application.status: S.accepted, Application.court_case_number: number, Application.accepted_by: who.user_id,
            Application.accepted_at: datetime.now(UTC), Application.accepted_late: late,
        }).where((Application.id == application_id) & Application.status.is_in([S.submitted, S.lapsed])).returning(Application.id)
        if not moved:
            raise Conflict("The court's acceptance is already recorded.")
        await record_action(case["id"], "judicial_confirm.accepted", who, {
            "application_id": application_id, "court_case_number": number, "late": late,
        })
    return await summary(application_id)


async def record_not_accepted(who: Actor, application_id: int, reason: str) -> dict[str, Any]:
    app, case = await _for_clerk(who, application_id)
    if not reason.strip():
        raise BadRequest("Give a reason.")
    async with write_transaction():
        moved = await Application.update({
            Application.status: S.not_accepted, Application.not_accepted_reason: reason, Application.accepted_by: who.user_id,
            Application.accepted_at: datetime.now(UTC),
        }).where((Application.id == application_id) & (Application.status == S.submitted)).returning(Application.id)
        if not moved:
            raise Conflict("Only an application waiting for the court's acceptance can be refused.")
        await record_action(case["id"], "judicial_confirm.not_accepted", who, {"application_id": application_id})
    return await summary(application_id)


async def record_ruling(who: Actor, application_id: int, ruling: str, next_step: str = "", note: str = "") -> dict[str, Any]:
    """The ruling: ``confirmed`` (the agreement is enforceable) or ``rejected`` with what follows:
    ``remediate`` (the case goes back to mediation) or ``sue`` (the parties were told to sue)."""
    app, case = await _for_clerk(who, application_id)
    if app["status"] != S.accepted:
        raise Conflict("Record the court's acceptance before its ruling.")
    if ruling not in (S.confirmed, S.rejected):
        raise BadRequest("The ruling is confirmed or rejected.")
    if ruling == S.rejected and next_step not in set(Application.NextStep):
        raise BadRequest("Say what follows the rejection: mediation again, or a lawsuit.")
    if ruling == S.confirmed:
        next_step = ""
    now = datetime.now(UTC)
    async with write_transaction():
        moved = await Application.update({
            Application.status: ruling, Application.ruled_by: who.user_id, Application.ruled_at: now,
            Application.ruling_note: note, Application.next_step: next_step,
        }).where((Application.id == application_id) & (Application.status == S.accepted)).returning(Application.id)
        if not moved:
            raise Conflict("The ruling is already recorded.")
        payload: dict[str, Any] = {"application_id": application_id, "court_case_number": app["court_case_number"]}
        if ruling == S.rejected:
            payload["next_step"] = next_step
        await record_action(case["id"], f"judicial_confirm.{ruling}", who, payload)
        if ruling == S.rejected and next_step == Application.NextStep.remediate:
            fresh = await _case(case["id"])
            if fresh["state"] == "agreed":
                await _reopen(case["id"], application_id, now)
    return await summary(application_id)


async def request_material(who: Actor, application_id: int, kind: str) -> dict[str, Any]:
    """The court asks the committee for more material (an identity document, a property proof,
    other) before it accepts or rules; the kind goes on the timeline, never a free text."""
    app, case = await _for_clerk(who, application_id)
    if app["status"] not in (S.submitted, S.accepted):
        raise Conflict("The court can ask for material only while the application is before it.")
    if kind not in set(Material.Kind):
        raise BadRequest("Unknown kind of material: {kind}", kind=kind)
    async with write_transaction():
        await record_action(case["id"], "judicial_confirm.material_requested", who, {"application_id": application_id, "kind": kind})
    return await summary(application_id)


# The court's answers, told to whoever applied and the case's handler (after commit, once each).
NOTICES = {f"{NAME}.{what}": f"{NAME}_{what}" for what in ("confirmed", "rejected", "material_requested")}
MATERIAL_EN = {"identity": "identity documents", "property": "proof of property", "other": "other material"}
NEXT_STEP_EN = {"remediate": "the case goes back to mediation", "sue": "the parties were told they may sue"}


async def tell_committee(case: dict[str, Any], event: dict[str, Any]) -> None:
    from core.i18n import dgettext
    from core.plugins import notify

    payload = event.get("payload") or {}
    app = await Application.select(Application.id, Application.submitted_by).where(Application.id == (payload.get("application_id") or -1)).first()
    if app is None:
        return
    current = await Case.select(Case.assignee).where(Case.id == case["id"]).first()
    recipients = {u for u in (app["submitted_by"], current["assignee"] if current else None) if u}

    def params(locale: str) -> dict[str, Any]:
        return {
            "number": case["number"], "court_case_number": payload.get("court_case_number") or "",
            "material": dgettext(NAME, MATERIAL_EN.get(payload.get("kind", ""), "other material"), locale),
            "next_step": dgettext(NAME, NEXT_STEP_EN[payload["next_step"]], locale) if payload.get("next_step") in NEXT_STEP_EN else "",
        }

    for user_id in sorted(recipients):
        await notify(
            key=f"{NAME}:{event['name']}:{app['id']}:{event.get('seq', '')}", kind=NOTICES[event["name"]], case=case, params=params,
            user_id=user_id, link=f"/admin/cases/{case['id']}",
        )


async def attach_ruling(who: Actor, application_id: int, filename: str, content: bytes) -> dict[str, Any]:
    """The ruling's PDF (裁定书), type sniffed from the content, never the name."""
    from plugins.judicial_confirm import document

    app, case = await _for_clerk(who, application_id)
    if app["status"] not in (S.confirmed, S.rejected):
        raise Conflict("Record the ruling before attaching its document.")
    document.check_pdf(content)
    key, digest = document.store(case["id"], f"ruling-{application_id}-{digest_prefix(content)}.pdf", content)
    async with write_transaction():
        await Application.update({
            Application.ruling_key: key, Application.ruling_sha256: digest, Application.ruling_size: len(content),
            Application.ruling_filename: document.safe_name(filename),
        }).where(Application.id == application_id)
        await record_action(case["id"], "judicial_confirm.ruling_attached", who, {"application_id": application_id, "sha256": digest})
    return await summary(application_id)


async def _reopen(case_id: int, application_id: int, now: datetime) -> None:
    """The lifecycle's reopen, as the plugin; its ``reopen_ground`` lets it past the core's guard.
    Refused (e.g. the case's town has the plugin off), the ruling stands and staff reopen later."""
    try:
        await transition(case_id, "reopen", actor(), {
            "reason": gettext("The court refused to confirm the agreement; mediation resumes.", "zh_CN"),
        })
    except JiefenError as exc:
        log.warning("judicial_confirm: case %s not reopened after the rejection: %s", case_id, exc)
        return
    await Application.update({Application.reopened_at: now}).where(Application.id == application_id)


def digest_prefix(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()[:12]


async def export(who: Actor, application_id: int) -> tuple[bytes, str]:
    """The package for the court's system: (ZIP bytes, file name). The case's staff and the
    court's clerks may take it once the application exists; each export is on the timeline."""
    from plugins.judicial_confirm import document

    app, case = await for_staff(who, application_id)
    if not app["document_key"]:
        raise Conflict("The application has not been submitted yet.")
    data, _manifest = await document.package(app, case)
    import hashlib

    await record_action(case["id"], "judicial_confirm.exported", who, {
        "application_id": application_id, "sha256": hashlib.sha256(data).hexdigest(),
    })
    return data, f"司法确认申请-{case['number']}.zip"


async def file_of(who: Actor, application_id: int, which: str) -> tuple[bytes, str]:
    """The application's PDF or the ruling's, for the case's staff and the court's clerks."""
    from plugins.judicial_confirm import document

    app, case = await for_staff(who, application_id)
    key = app["document_key"] if which == "application" else app["ruling_key"]
    if not key:
        raise NotFound()
    title = "司法确认申请书" if which == "application" else "司法确认裁定书"
    return document.read(key), f"{title}-{case['number']}.pdf"


# ---------------------------------------------------------------- summaries


async def summary(application_id: int, row: dict[str, Any] | None = None) -> dict[str, Any]:
    """The application with its case number, court, parties' consents and materials."""
    app = row or await get(application_id)
    case = await Case.select(Case.id, Case.number, Case.is_collective, Case.dispute_type).where(Case.id == app["case_id"]).first()
    orgs = {o["id"]: o for o in await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.id.is_in([i for i in (app["court_org_id"], app["committee_org_id"]) if i] or [-1])
    )}
    given = {c["party_id"]: c for c in await consents(app["id"])}
    parties = await required_parties({"id": app["case_id"], "is_collective": case["is_collective"]})
    now = datetime.now(UTC)
    return {
        **{k: v for k, v in app.items() if k not in ("document_key", "ruling_key")},
        "case_number": case["number"],
        "court_name": orgs.get(app["court_org_id"], {}).get("name", ""),
        "committee_name": orgs.get(app["committee_org_id"], {}).get("name", ""),
        "window_open": app["status"] == S.open and window_open(app, now),
        "days_left": closing_day_left(app, now) if app["status"] == S.open else None,
        "has_document": bool(app["document_key"]), "has_ruling": bool(app["ruling_key"]),
        "enforceable": app["status"] == S.confirmed,
        "parties": [
            # Names masked as everywhere on screen (the application itself, for the court, is in full).
            {"party_id": p["id"], "name": p["name"] if p["kind"] == "company" else mask_name(p["name"]), "role": p["role"],
             "consented": p["id"] in given,
             "method": given[p["id"]]["method"] if p["id"] in given else None,
             "consented_at": given[p["id"]]["consented_at"] if p["id"] in given else None}
            for p in parties
        ],
        "materials": await materials(app["id"]),
    }


# ---------------------------------------------------------------- hooks' work


async def on_event(case: dict[str, Any], event: dict[str, Any]) -> None:
    """The observer: an agreement that takes effect opens its window; a reopen ends an open one
    (that agreement will not be confirmed) and uses up a rejection's ground to reopen."""
    if event["name"] in NOTICES:
        await tell_committee(case, event)
    elif event["name"] == "agree":
        await ensure_for_case(case)
    elif event["name"] == "reopen":
        now = datetime.now(UTC)
        async with write_transaction():
            await Application.update({Application.reopened_at: now}).where(
                (Application.case_id == case["id"]) & (Application.status == S.rejected) & Application.reopened_at.is_null()
            )
            rows = await Application.update({Application.status: S.cancelled}).where(
                (Application.case_id == case["id"]) & (Application.status == S.open)
            ).returning(Application.id)
            for r in rows:
                await record_action(case["id"], "judicial_confirm.cancelled", actor(), {"application_id": r["id"]})


async def veto(case: dict[str, Any], event: str, who: Any) -> str | None:
    if event not in ("close", "reopen"):
        return None
    pending = await Application.exists().where((Application.case_id == case["id"]) & Application.status.is_in(list(AT_COURT)))
    if not pending:
        return None
    locale = getattr(who, "locale", None)
    if event == "close":
        return gettext("The court is examining the application for judicial confirmation; close the case after its ruling.", locale)
    return gettext("The court is examining the application for judicial confirmation; mediation can resume after its ruling.", locale)


async def reopen_ground(case: dict[str, Any]) -> str | None:
    app = await current(case["id"])
    if app and app["status"] == S.rejected and app["next_step"] == Application.NextStep.remediate and app["reopened_at"] is None:
        return gettext("The court refused to confirm the agreement ({number}).", "zh_CN", number=app["court_case_number"])
    return None


async def anonymise(case_id: int) -> dict[str, Any]:
    """Retention: applications keep the court's case number, dates and ruling; the generated
    application and the uploaded ruling are deleted (their SHA-256 stays), notes and material
    titles go. Returns the files for the caller to delete after its commit."""
    from plugins.judicial_confirm.document import storage_root

    apps = await Application.select(Application.id, Application.document_key, Application.ruling_key).where(Application.case_id == case_id)
    if not apps:
        return {"rows": 0, "files": []}
    root = storage_root().resolve()
    files = []
    for app in apps:
        for key in (app["document_key"], app["ruling_key"]):
            path = (root / key).resolve() if key else None
            if path is not None and root in path.parents:
                files.append(str(path))
    ids = [a["id"] for a in apps]
    await Application.update({
        Application.document_key: "", Application.ruling_key: "", Application.ruling_filename: "",
        Application.not_accepted_reason: "", Application.ruling_note: "",
    }).where(Application.id.is_in(ids))
    await Consent.update({Consent.note: ""}).where(Consent.application.is_in(ids))
    await Material.update({Material.title: "", Material.note: ""}).where(Material.application.is_in(ids))
    return {"rows": len(ids), "files": files}
