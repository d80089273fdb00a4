"""What each side sees of a referral, and the panel, queue and referral pages built from it.

The confidential columns (session and follow-up notes, the result note, a counsellor's reason
for a grade, the party's phone) are added in one place, :func:`describe`, and only for the
counselling side (:func:`services.may_read_notes`). Everyone else sees that sessions happened,
when, and the grade.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from core.cases.access import mask_name, mask_phone
from core.cases.tables import Party
from core.orgs.tables import Organisation
from core.plugins import Actor, render_template
from core.plugins.host import translator
from core.plugins.web import page
from plugins.psych import services
from plugins.psych.services import PLUGIN
from plugins.psych.tables import Counsellor, FollowUp, Grading, Referral

# English message ids, shown in the user's language through the plugin's catalogue (locale/).
GRADE_LABELS = {"green": "Green", "yellow": "Yellow", "red": "Red"}
STATUS_LABELS = {"open": "In counselling (mediation paused)", "beside": "In counselling (beside mediation)", "ended": "Ended"}
RESULT_LABELS = {
    "improved": "Counselling helped", "stable": "Stable", "medical": "Referred to a medical institution",
    "declined": "The party declined to go on", "other": "Other",
}
MODE_LABELS = {"in_person": "In person", "phone": "By phone", "video": "Video", "home_visit": "Home visit"}
CONSENT_LABELS = {"written": "Written consent", "oral": "Oral consent (recorded)", "guardian": "Guardian's consent"}
SPECIALTY_LABELS = {"marriage_family": "Marriage and family", "youth": "Youth", "crisis": "Crisis intervention"}
LABELS = {
    "grade": GRADE_LABELS, "status": STATUS_LABELS, "result": RESULT_LABELS, "mode": MODE_LABELS,
    "consent": CONSENT_LABELS, "specialty": SPECIALTY_LABELS,
}


async def describe(refs: list[dict[str, Any]], actor: Actor) -> list[dict[str, Any]]:
    """Referrals as ``actor`` may see them."""
    if not refs:
        return []
    ids = [r["id"] for r in refs]
    sessions = await services.sessions_of(ids)
    follow_ups = await services.due_follow_ups(ids)
    gradings = await services.gradings_of(ids)
    counsellors = {
        c["id"]: c for c in await Counsellor.select(Counsellor.id, Counsellor.name, Counsellor.phone).where(
            Counsellor.id.is_in(list({r["counsellor"] for r in refs}))
        )
    }
    stations = {
        o["id"]: o["name"] for o in await Organisation.select(Organisation.id, Organisation.name).where(
            Organisation.id.is_in(list({r["station_id"] for r in refs}))
        )
    }
    parties = {
        p["id"]: p for p in await Party.select(Party.id, Party.name, Party.kind, Party.phone, Party.role).where(
            Party.id.is_in(list({r["party_id"] for r in refs}))
        )
    }
    out = []
    for ref in refs:
        confidential = services.may_read_notes(actor, ref)
        party = parties.get(ref["party_id"], {"name": "", "kind": "person", "phone": "", "role": ""})
        counsellor = counsellors.get(ref["counsellor"], {"name": "", "phone": ""})
        view: dict[str, Any] = {
            "id": ref["id"], "case_id": ref["case_id"], "party_id": ref["party_id"], "party_role": party["role"],
            "party_name": party["name"] if confidential or party["kind"] == "company" else mask_name(party["name"]),
            "counsellor": {"id": ref["counsellor"], "name": counsellor["name"], "phone": counsellor["phone"]},
            "station": {"id": ref["station_id"], "name": stations.get(ref["station_id"], "")},
            "status": ref["status"], "paused_case": ref["paused_case"], "grade": ref["grade"], "graded_at": ref["graded_at"],
            "reason": ref["reason"], "consent_method": ref["consent_method"], "consent_at": ref["consent_at"],
            "referred_at": ref["created_at"], "next_follow_up_at": ref["next_follow_up_at"],
            "result": ref["result"], "ended_at": ref["ended_at"],
            "override": {"at": ref["override_at"], "by": ref["override_by"], "reason": ref["override_reason"]} if ref["override_at"] else None,
            "blocks_close": ref["status"] != Referral.Status.ended and ref["grade"] == Referral.Grade.red
            and not (ref["override_at"] and ref["override_at"] >= ref["graded_at"]),
            "sessions": [
                {"id": s["id"], "held_at": s["held_at"], "mode": s["mode"], "minutes": s["minutes"]}
                for s in sessions if s["referral"] == ref["id"]
            ],
            "follow_ups": [
                {"id": f["id"], "due_at": f["due_at"], "status": f["status"], "done_at": f["done_at"]}
                for f in follow_ups if f["referral"] == ref["id"]
            ],
            "gradings": [
                {"grade": g["grade"], "at": g["at"], "side": g["side"], "reason": g["reason"] if g["side"] == Grading.Side.case else None}
                for g in gradings if g["referral"] == ref["id"]
            ],
            "confidential": confidential,
        }
        if confidential:
            # The counselling side only: what the party said and how they are.
            view["party_name"] = party["name"]
            view["party_phone"] = party["phone"]
            view["result_note"] = ref["result_note"]
            notes = {s["id"]: s["notes"] for s in sessions}
            for s in view["sessions"]:
                s["notes"] = notes.get(s["id"], "")
            follow_notes = {f["id"]: f["notes"] for f in follow_ups}
            for f in view["follow_ups"]:
                f["notes"] = follow_notes.get(f["id"], "")
            reasons = [g for g in gradings if g["referral"] == ref["id"]]
            for g, row in zip(view["gradings"], reasons, strict=True):
                g["reason"] = row["reason"]
        else:
            view["party_phone"] = mask_phone(party["phone"])
        out.append(view)
    return out


async def for_case(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    return await describe(await services.referrals_of_case(case["id"]), actor)


async def for_counselling_side(referral_id: int, actor: Actor) -> dict[str, Any]:
    """One referral for its counsellors and station supervisor, with the case's number."""
    ref = await services.referral(referral_id)
    if not services.is_counselling_side(actor, ref):
        from core.errors import NotFound

        raise NotFound()
    [view] = await describe([ref], actor)
    case = await services.case_row(ref["case_id"])
    view["case_number"] = case["number"]
    view["dispute_type"] = case["dispute_type"]
    return view


async def queue(actor: Actor, include_ended: bool = False) -> list[dict[str, Any]]:
    """A counsellor's own referrals; a station supervisor's, the station's. Open first, red first."""
    from core.cases.tables import Case

    if "counsellor" in actor.roles:
        mine = [c["id"] for c in await Counsellor.select(Counsellor.id).where(Counsellor.user_id == (actor.user_id or -1))]
        where = Referral.counsellor.is_in(mine or [-1]) & (Referral.station_id == (actor.org_id or -1))
    elif "supervisor" in actor.roles:
        where = Referral.station_id == (actor.org_id or -1)
    else:
        return []
    if not include_ended:
        where &= Referral.status.is_in(list(services.OPEN))
    refs = await Referral.select().where(where).order_by(Referral.id)
    views = await describe(refs, actor)
    numbers = {c["id"]: c["number"] for c in await Case.select(Case.id, Case.number).where(Case.id.is_in([r["case_id"] for r in refs] or [-1]))}
    order = {"red": 0, "yellow": 1, "green": 2}
    for view in views:
        view["case_number"] = numbers.get(view["case_id"], "")
        view["due_follow_ups"] = sum(1 for f in view["follow_ups"] if f["status"] == FollowUp.Status.due)
    views.sort(key=lambda v: (v["status"] == "ended", order.get(v["grade"], 3), v["id"]))
    return views


# ---------------------------------------------------------------- HTML


def local(moment: Any, with_time: bool = False) -> str:
    """A stored UTC time as the town reads it (Asia/Shanghai by default)."""
    from datetime import datetime

    from core.settings import get_settings

    if not isinstance(moment, datetime):
        return str(moment or "")
    return moment.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _ctx(actor: Actor, **extra: Any) -> dict[str, Any]:
    _ = translator(PLUGIN, actor.locale)
    labels = {kind: {code: _(text) for code, text in values.items()} for kind, values in LABELS.items()}
    return {"labels": labels, "local": local, "_": _, "locale": actor.locale, **extra}


async def panel(case: dict[str, Any], actor: Actor, *, form: str = "", error: str = "") -> dict[str, Any]:
    referrals = await for_case(case, actor)
    html = render_template(
        "psych/panel.html", **_ctx(
            actor, case=case, referrals=referrals, crisis=[r for r in referrals if r["status"] != "ended" and r["grade"] == "red"],
            may_refer=services.may_refer(case, actor), may_grade=services.is_case_side(case, actor),
            may_override="supervisor" in actor.roles and actor.covers(case.get("org_path")),
            form=Markup(form), error=error,  # ``form`` is our own refer_form.html, already escaped
        )
    )
    return {"id": "psych", "title": translator(PLUGIN, actor.locale)("Counselling referral"), "html": html}


async def refer_form(case: dict[str, Any], actor: Actor, error: str = "", values: dict[str, str] | None = None) -> str:
    parties = await Party.select(Party.id, Party.name, Party.kind, Party.role).where(Party.case == case["id"]).order_by(Party.id)
    people = [{**p, "name": p["name"] if p["kind"] == "company" else mask_name(p["name"])} for p in parties if p["kind"] == "person"]
    pool = await services.candidates(case)
    return render_template(
        "psych/refer_form.html", **_ctx(
            actor, case=case, parties=people, counsellors=pool, may_pause=case["state"] == "in_mediation", error=error, values=values or {},
        )
    )


async def queue_page(request: Any, actor: Actor) -> Any:
    return await page(request, actor, "psych/queue.html", **_ctx(actor, referrals=await queue(actor)))


async def referral_page(request: Any, referral_id: int, actor: Actor, *, error: str = "") -> Any:
    """The whole page, or (HTMX) its ``main`` block; an error keeps the page, status 400."""
    from core.plugins.web import is_htmx

    view = await for_counselling_side(referral_id, actor)
    return await page(
        request, actor, "psych/referral.html", status=400 if error else 200,
        **_ctx(actor, r=view, fragment=is_htmx(request), error=error, may_record="counsellor" in actor.roles),
    )


async def widget(organisation: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """A dashboard's count of open referrals by grade in the organisation's subtree (no names)."""
    from core.cases.tables import Case

    refs = await Referral.select(Referral.case_id, Referral.grade).where(Referral.status.is_in(list(services.OPEN)))
    inside = {c["id"] for c in await Case.select(Case.id).where(
        Case.id.is_in([r["case_id"] for r in refs] or [-1]) & Case.org_path.like((organisation.get("path") or "") + "%")
    )}
    counts = {g: sum(1 for r in refs if r["case_id"] in inside and r["grade"] == g) for g in ("red", "yellow", "green")}
    html = render_template("psych/widget.html", **_ctx(actor, counts=counts))
    return {"id": "psych", "title": translator(PLUGIN, actor.locale)("Counselling referral"), "html": html}
