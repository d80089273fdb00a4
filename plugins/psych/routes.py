"""The referral's API (JSON) and admin fragments and pages (HTML, HTMX). The host puts both
behind a guard that answers 404 where the plugin is off for the requester's town."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

import msgspec
from litestar import Controller, MediaType, Request, Response, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from markupsafe import Markup

from core.errors import JiefenError, NotFound
from core.plugins import Actor, current_actor, get_case, gettext
from core.plugins.host import translator
from core.plugins.web import form_int, form_result, form_values, is_htmx, page
from plugins.psych import services, views
from plugins.psych.services import PLUGIN

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Grade = Literal["green", "yellow", "red"]


class CounsellorOut(TypedDict):
    id: int
    user_id: int | None
    station_id: int
    station_path: str
    name: str
    phone: str
    specialties: list[str]
    available: bool
    max_load: int
    active: bool
    created_at: datetime
    load: int  # open referrals now


class Candidate(TypedDict):
    id: int
    name: str
    station_id: int
    specialties: list[str]
    load: int
    max_load: int


class CounsellorRef(TypedDict):
    id: int
    name: str
    phone: str


class StationRef(TypedDict):
    id: int
    name: str


class Override(TypedDict):
    at: datetime
    by: int | None
    reason: str


class _SessionFields(TypedDict):
    id: int
    held_at: datetime
    mode: str
    minutes: int


class SessionView(_SessionFields, total=False):
    notes: str  # the counselling side only


class _FollowUpFields(TypedDict):
    id: int
    due_at: datetime
    status: str
    done_at: datetime | None


class FollowUpView(_FollowUpFields, total=False):
    notes: str  # the counselling side only


class GradingView(TypedDict):
    grade: str
    at: datetime
    side: str
    reason: str | None  # a counselling-side reason only for the counselling side


class _ReferralFields(TypedDict):
    id: int
    case_id: int
    party_id: int
    party_role: str
    party_name: str  # masked for the case side
    party_phone: str  # masked for the case side
    counsellor: CounsellorRef
    station: StationRef
    status: str
    paused_case: bool
    grade: str
    graded_at: datetime
    reason: str
    consent_method: str
    consent_at: datetime
    referred_at: datetime
    next_follow_up_at: datetime | None
    result: str | None
    ended_at: datetime | None
    override: Override | None
    blocks_close: bool
    sessions: list[SessionView]
    follow_ups: list[FollowUpView]
    gradings: list[GradingView]
    confidential: bool


class ReferralView(_ReferralFields, total=False):
    result_note: str  # the counselling side only
    case_number: str  # the counselling side's views
    dispute_type: str
    due_follow_ups: int  # the queue only


class CaseReferrals(TypedDict):
    referrals: list[ReferralView]
    may_refer: bool
    candidates: list[Candidate]


class SessionRecorded(TypedDict):
    id: int
    referral_id: int
    held_at: datetime
    mode: str
    minutes: int


class FollowUpDone(TypedDict):
    id: int
    status: str
    done_at: datetime


class CounsellorIn(msgspec.Struct, forbid_unknown_fields=True):
    station_id: int
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    specialties: list[str] = msgspec.field(default_factory=list)
    user_id: int | None = None
    max_load: Annotated[int, msgspec.Meta(ge=1, le=100)] = 8
    available: bool = True


class CounsellorPatch(msgspec.Struct, forbid_unknown_fields=True):
    available: bool | None = None
    max_load: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    specialties: list[str] | None = None
    active: bool | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class ReferIn(msgspec.Struct, forbid_unknown_fields=True):
    party_id: int
    consent: bool
    grade: Grade
    reason: Text
    consent_method: Literal["written", "oral", "guardian"] = "written"
    consent_note: Annotated[str, msgspec.Meta(max_length=200)] = ""
    counsellor_id: int | None = None
    # Pause the mediation while counselling (the case waits in "referred").
    pause: bool = True


class GradeIn(msgspec.Struct, forbid_unknown_fields=True):
    grade: Grade
    reason: Text


class SessionIn(msgspec.Struct, forbid_unknown_fields=True):
    held_at: Annotated[datetime, msgspec.Meta(tz=True)]
    mode: Literal["in_person", "phone", "video", "home_visit"] = "in_person"
    minutes: Annotated[int, msgspec.Meta(ge=1, le=600)] = 50
    notes: Annotated[str, msgspec.Meta(max_length=20000)] = ""


class EndIn(msgspec.Struct, forbid_unknown_fields=True):
    result: Literal["improved", "stable", "medical", "declined", "other"] | None = None
    note: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    # Back to mediation while the counselling goes on beside the case.
    keep_open: bool = False


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text


class FollowUpIn(msgspec.Struct, forbid_unknown_fields=True):
    notes: Annotated[str, msgspec.Meta(max_length=4000)] = ""


async def _visible_referral(referral_id: int, actor: Actor) -> dict[str, Any]:
    """The referral as the actor may see it: the counselling side in full, the case's staff
    without the confidential parts, anyone else 404."""
    ref = await services.referral(referral_id)
    if services.is_counselling_side(actor, ref):
        return await views.for_counselling_side(referral_id, actor)
    await get_case(ref["case_id"], actor)  # 404 unless the actor may see the case
    [view] = await views.describe([ref], actor)
    return view


class PsychApi(Controller):
    path = "/api/v1/plugins/psych"
    tags = ["psych"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/counsellors")
    async def counsellors(self, actor: NamedDependency[Actor], station_id: FromQuery[int | None] = None) -> list[CounsellorOut]:
        return await services.list_counsellors(actor, station_id)

    @post("/counsellors", status_code=201)
    async def add_counsellor(self, actor: NamedDependency[Actor], data: JSONBody[CounsellorIn]) -> CounsellorOut:
        return await services.add_counsellor(
            actor, data.station_id, data.name, phone=data.phone, specialties=data.specialties, user_id=data.user_id,
            max_load=data.max_load, available=data.available,
        )

    @patch("/counsellors/{counsellor_id:int}")
    async def update_counsellor(self, actor: NamedDependency[Actor], counsellor_id: FromPath[int], data: JSONBody[CounsellorPatch]) -> CounsellorOut:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        return await services.update_counsellor(actor, counsellor_id, changes)

    @get("/cases/{case_id:int}")
    async def case_referrals(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> CaseReferrals:
        case = await get_case(case_id, actor)
        may = services.may_refer(case, actor)
        return {
            "referrals": await views.for_case(case, actor), "may_refer": may,
            "candidates": [{k: c[k] for k in ("id", "name", "station_id", "specialties", "load", "max_load")} for c in await services.candidates(case)] if may else [],
        }

    @post("/cases/{case_id:int}/referrals", status_code=201)
    async def refer(self, actor: NamedDependency[Actor], case_id: FromPath[int], data: JSONBody[ReferIn]) -> ReferralView:
        case = await get_case(case_id, actor)
        ref = await services.refer(
            case, actor, party_id=data.party_id, consent=data.consent, grade=data.grade, reason=data.reason,
            consent_method=data.consent_method, consent_note=data.consent_note, counsellor_id=data.counsellor_id, pause=data.pause,
        )
        [view] = await views.describe([ref], actor)
        return view

    @get("/queue")
    async def queue(self, actor: NamedDependency[Actor], include_ended: FromQuery[bool] = False) -> list[ReferralView]:
        return await views.queue(actor, include_ended)

    @get("/referrals/{referral_id:int}")
    async def referral(self, actor: NamedDependency[Actor], referral_id: FromPath[int]) -> ReferralView:
        return await _visible_referral(referral_id, actor)

    @post("/referrals/{referral_id:int}/grade", status_code=200)
    async def grade(self, actor: NamedDependency[Actor], referral_id: FromPath[int], data: JSONBody[GradeIn]) -> ReferralView:
        await services.regrade(referral_id, actor, data.grade, data.reason)
        return await _visible_referral(referral_id, actor)

    @post("/referrals/{referral_id:int}/sessions", status_code=201)
    async def session(self, actor: NamedDependency[Actor], referral_id: FromPath[int], data: JSONBody[SessionIn]) -> SessionRecorded:
        return await services.record_session(referral_id, actor, held_at=data.held_at, mode=data.mode, minutes=data.minutes, notes=data.notes)

    @post("/referrals/{referral_id:int}/end", status_code=200)
    async def end(self, actor: NamedDependency[Actor], referral_id: FromPath[int], data: JSONBody[EndIn]) -> ReferralView:
        await services.end(referral_id, actor, result=data.result, note=data.note, keep_open=data.keep_open)
        return await _visible_referral(referral_id, actor)

    @post("/referrals/{referral_id:int}/override", status_code=200)
    async def override(self, actor: NamedDependency[Actor], referral_id: FromPath[int], data: JSONBody[ReasonIn]) -> ReferralView:
        await services.override_close(referral_id, actor, data.reason)
        return await _visible_referral(referral_id, actor)

    @post("/follow_ups/{follow_up_id:int}/done", status_code=200)
    async def follow_up_done(self, actor: NamedDependency[Actor], follow_up_id: FromPath[int], data: JSONBody[FollowUpIn]) -> FollowUpDone:
        return await services.complete_follow_up(follow_up_id, actor, data.notes)


# ---------------------------------------------------------------- admin (HTML)


def _message(exc: JiefenError, actor: Actor) -> str:
    return gettext(exc.message, actor.locale, **exc.params)


async def _refusal(actor: Actor, action: Awaitable[Any]) -> str:
    """Run a form's action: "" when it went through, else the refusal in the actor's language
    (the form is then shown again with it)."""
    try:
        await action
    except JiefenError as exc:
        return _message(exc, actor)
    return ""


async def _panel_after(request: Request[Any, Any, Any], actor: Actor, case: dict[str, Any], error: str, done: str) -> Response[str]:
    """The case side's answer: the case page's panel, with ``error`` in it, or ``done`` as the
    flash of a plain post."""
    html = (await views.panel(case, actor, error=error))["html"]
    done = translator(PLUGIN, actor.locale)(done)
    return await form_result(request, actor, html, case_id=case["id"], error=error, done=done, anchor="psych")


def _local_time(value: str) -> datetime:
    from core.settings import get_settings

    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=get_settings().zone)


class PsychAdmin(Controller):
    """Forms work with JavaScript off too: the host's guard reads a plain form's ``_csrf``, and
    :func:`core.plugins.web.form_result` answers HTMX with the fragment, a plain post with a
    redirect to the case page and a flash (or, on an error, the form again with it)."""

    path = "/admin/plugins/psych"
    include_in_schema = False
    dependencies = {"actor": Provide(current_actor)}

    @get("/cases/{case_id:int}/panel", media_type=MediaType.HTML)
    async def panel(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> str:
        return (await views.panel(await get_case(case_id, actor), actor))["html"]

    @get("/cases/{case_id:int}/refer", media_type=MediaType.HTML)
    async def refer_form(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Response[str]:
        """The case page's button: the panel with the referral form in it. The button targets
        ``#psych-panel``; the answer is that element whole, so it replaces it. Followed as a
        plain link, it is a page of its own."""
        case = await get_case(case_id, actor)
        if not services.may_refer(case, actor):
            raise NotFound()
        html = (await views.panel(case, actor, form=await views.refer_form(case, actor)))["html"]
        if not is_htmx(request):
            return await page(request, actor, "plugin/form.html", fragment_html=Markup(html), back=f"/admin/cases/{case_id}")
        return Response(html, media_type=MediaType.HTML, headers={"HX-Reswap": "outerHTML"})

    @post("/cases/{case_id:int}/refer", media_type=MediaType.HTML, status_code=200)
    async def refer(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Response[str]:
        case = await get_case(case_id, actor)
        form = await form_values(request)
        try:
            await services.refer(
                case, actor, party_id=form_int(form.get("party_id")) or 0, consent=form.get("consent") == "1",
                grade=form.get("grade", "green"), reason=form.get("reason", ""), consent_method=form.get("consent_method", "written"),
                consent_note=form.get("consent_note", ""), counsellor_id=form_int(form.get("counsellor_id")),
                pause=form.get("pause") == "1",
            )
        except JiefenError as exc:
            fresh = await get_case(case_id, actor)
            error = _message(exc, actor)
            html = (await views.panel(fresh, actor, form=await views.refer_form(fresh, actor, error, form)))["html"]
            return await form_result(request, actor, html, case_id=case_id, error=error, status=exc.status_code)
        return await _panel_after(request, actor, await get_case(case_id, actor), "", "Referred for counselling.")

    @post("/referrals/{referral_id:int}/grade", media_type=MediaType.HTML, status_code=200)
    async def grade(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], referral_id: FromPath[int]) -> Response[str]:
        form = await form_values(request)
        ref = await services.referral(referral_id)
        error = await _refusal(actor, services.regrade(referral_id, actor, form.get("grade", ""), form.get("reason", "")))
        if services.is_counselling_side(actor, ref):
            return await self._referral_after(request, actor, referral_id, error, "The grade was updated.")
        return await _panel_after(request, actor, await get_case(ref["case_id"], actor), error, "The grade was updated.")

    @post("/referrals/{referral_id:int}/override", media_type=MediaType.HTML, status_code=200)
    async def override(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], referral_id: FromPath[int]) -> Response[str]:
        form = await form_values(request)
        ref = await services.referral(referral_id)
        case = await get_case(ref["case_id"], actor)
        error = await _refusal(actor, services.override_close(referral_id, actor, form.get("reason", "")))
        return await _panel_after(request, actor, case, error, "Closing is allowed.")

    @get("/queue", media_type=MediaType.HTML)
    async def queue(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[str]:
        return await views.queue_page(request, actor)

    @get("/referrals/{referral_id:int}", media_type=MediaType.HTML)
    async def referral(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], referral_id: FromPath[int]) -> Response[str]:
        return await views.referral_page(request, referral_id, actor)

    async def _referral_after(self, request: Request[Any, Any, Any], actor: Actor, referral_id: int, error: str, done: str) -> Response[str]:
        """The counselling side's page: HTMX and errors get it again; a plain post that worked
        goes back to it with a flash."""
        if error or is_htmx(request):
            return await views.referral_page(request, referral_id, actor, error=error)
        url = f"/admin/plugins/psych/referrals/{referral_id}"
        return await form_result(request, actor, "", back=url, done=translator(PLUGIN, actor.locale)(done))

    @post("/referrals/{referral_id:int}/sessions", media_type=MediaType.HTML, status_code=200)
    async def session(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], referral_id: FromPath[int]) -> Response[str]:
        form = await form_values(request)
        error = ""
        try:
            await services.record_session(
                referral_id, actor, held_at=_local_time(form.get("held_at", "")), mode=form.get("mode", "in_person"),
                minutes=form_int(form.get("minutes")) or 50, notes=form.get("notes", ""),
            )
        except ValueError:
            error = gettext("Give the date and time of the session.", actor.locale)
        except JiefenError as exc:
            error = _message(exc, actor)
        return await self._referral_after(request, actor, referral_id, error, "The session was recorded.")

    @post("/referrals/{referral_id:int}/end", media_type=MediaType.HTML, status_code=200)
    async def end(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], referral_id: FromPath[int]) -> Response[str]:
        form = await form_values(request)
        error = await _refusal(actor, services.end(
            referral_id, actor, result=form.get("result") or None, note=form.get("note", ""), keep_open=form.get("keep_open") == "1",
        ))
        return await self._referral_after(request, actor, referral_id, error, "Saved.")

    @post("/follow_ups/{follow_up_id:int}/done", media_type=MediaType.HTML, status_code=200)
    async def follow_up_done(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], follow_up_id: FromPath[int]) -> Response[str]:
        form = await form_values(request)
        from plugins.psych.tables import FollowUp

        row = await FollowUp.select(FollowUp.referral).where(FollowUp.id == follow_up_id).first()
        if row is None:
            raise NotFound()
        error = await _refusal(actor, services.complete_follow_up(follow_up_id, actor, form.get("notes", "")))
        return await self._referral_after(request, actor, row["referral"], error, "The follow-up was recorded.")


ROUTES = [PsychApi, PsychAdmin]
