"""The handoff's API (JSON, PDF) and admin fragments and pages (HTML, HTMX). The host puts
both behind a guard that answers 404 where the plugin is off for the requester's town — for
centre staff, the centre's own node must have it on (a county administrator switches it there).

Centre staff reach cases only through ``/centre/…``, filtered by the handoffs made to their
centre; the ``/cases/{id}`` endpoints go through ``get_case`` (the core's subtree check)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, TypedDict
from urllib.parse import quote

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from markupsafe import Markup

from core.errors import BadRequest, JiefenError, NotFound
from core.plugins import Actor, check_amount, current_actor, form_int, get_case, gettext
from core.plugins.host import translator
from core.plugins.web import form_result, is_htmx, page
from plugins.legal_aid import services, views
from plugins.legal_aid.services import PLUGIN

_MOST = Decimal("999999999999.99")  # the amounts' columns are numeric(14, 2)

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class ScreeningView(TypedDict):
    id: int
    party_id: int | None
    name: str  # masked on the case side
    phone: str
    id_number: str
    claim_amount: str | None  # a decimal, as text
    answers: dict[str, Any]  # the questionnaire as answered; its keys follow the screening form
    result: str
    basis: str
    reason_code: str
    reason: str
    threshold: str | None  # a decimal, as text
    income_per_member: str | None  # a decimal, as text
    screened_at: datetime


class _ApplicantFields(TypedDict):
    screening_id: int
    name: str
    phone: str
    id_number: str
    claim_amount: str | None  # a decimal, as text


class HandoffApplicant(_ApplicantFields, total=False):
    basis: str  # the centre's view only
    reason: str


class CentreRef(TypedDict):
    id: int
    name: str


class Lawyer(TypedDict):
    name: str
    phone: str
    firm: str
    at: datetime | None


class HandoffView(TypedDict):
    id: int
    case_id: int
    centre: CentreRef
    status: str
    paused_case: bool
    note: str
    sent_at: datetime
    due_at: datetime
    urged_at: datetime | None
    returned_at: datetime | None
    decided_at: datetime | None
    decline_reason: str
    lawyer: Lawyer | None
    route: str | None
    outcome: str | None
    outcome_amount: str | None  # a decimal, as text
    outcome_note: str
    concluded_at: datetime | None
    applicants: list[HandoffApplicant]


class CaseLegalAid(TypedDict):
    screenings: list[ScreeningView]
    handoffs: list[HandoffView]
    may_screen: bool
    may_hand_off: bool
    centres: list[CentreRef]


class CentreListItem(TypedDict):
    id: int
    case_id: int
    case_number: str
    status: str
    sent_at: datetime
    due_at: datetime
    urged_at: datetime | None
    lawyer_name: str
    route: str | None
    outcome: str | None


class Respondent(TypedDict):
    name: str
    phone: str


class HandedCase(TypedDict):
    number: str
    dispute_type: str
    title: str
    description: str
    amount: str | None  # a decimal, as text
    is_collective: bool
    respondents: list[Respondent]


class CentreHandoff(HandoffView):
    case: HandedCase
    package_sha256: str


class ApplicantIn(msgspec.Struct, forbid_unknown_fields=True):
    party_id: int | None = None
    name: Annotated[str, msgspec.Meta(max_length=120)] = ""
    id_number: Annotated[str, msgspec.Meta(max_length=40)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    claim_amount: Decimal | None = None
    answers: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        check_amount(self.claim_amount, _MOST)


class ScreenIn(msgspec.Struct, forbid_unknown_fields=True):
    applicants: Annotated[list[ApplicantIn], msgspec.Meta(min_length=1, max_length=1000)]
    # {"matter", "exempt_category", "household_size", "household_monthly_income"}
    answers: dict[str, Any]


class HandoffIn(msgspec.Struct, forbid_unknown_fields=True):
    centre_id: int
    screening_ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=1000)]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    pause: bool = True


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text


class LawyerIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    firm: Annotated[str, msgspec.Meta(max_length=120)] = ""


class RouteIn(msgspec.Struct, forbid_unknown_fields=True):
    route: Literal["arbitration", "litigation", "payment_order", "other"]


class OutcomeIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Literal["won", "settled", "partly", "lost", "withdrawn", "other"]
    amount: Decimal | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""

    def __post_init__(self) -> None:
        check_amount(self.amount, _MOST)


def _pdf(content: bytes, number: str) -> Response[bytes]:
    name = quote(f"法律援助转交函-{number}.pdf")
    return Response(content, media_type="application/pdf", headers={"Content-Disposition": f"inline; filename*=UTF-8''{name}"})


class LegalAidApi(Controller):
    path = "/api/v1/plugins/legal_aid"
    tags = ["legal_aid"]
    dependencies = {"actor": Provide(current_actor)}

    # the case side

    @get("/cases/{case_id:int}")
    async def case_view(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> CaseLegalAid:
        return await views.for_case(await get_case(case_id, actor), actor)

    @post("/cases/{case_id:int}/screenings", status_code=201)
    async def screen(self, actor: NamedDependency[Actor], case_id: FromPath[int], data: JSONBody[ScreenIn]) -> list[ScreeningView]:
        case = await get_case(case_id, actor)
        await services.screen(case, actor, [msgspec.structs.asdict(a) for a in data.applicants], data.answers)
        return (await views.for_case(case, actor))["screenings"]

    @post("/cases/{case_id:int}/handoffs", status_code=201)
    async def hand_off(self, actor: NamedDependency[Actor], case_id: FromPath[int], data: JSONBody[HandoffIn]) -> HandoffView:
        case = await get_case(case_id, actor)
        row = await services.hand_off(case, actor, centre_id=data.centre_id, screening_ids=data.screening_ids, note=data.note, pause=data.pause)
        return next(h for h in (await views.for_case(case, actor))["handoffs"] if h["id"] == row["id"])

    @get("/cases/{case_id:int}/handoffs/{handoff_id:int}/package.pdf", media_type="application/pdf")
    async def case_package(self, actor: NamedDependency[Actor], case_id: FromPath[int], handoff_id: FromPath[int]) -> Response[bytes]:
        case = await get_case(case_id, actor)
        row = await services.handoff(handoff_id)
        if row["case_id"] != case["id"]:
            raise NotFound()
        return _pdf((await services.package_of(handoff_id))["pdf"], case["number"])

    # the centre

    @get("/centre/handoffs")
    async def centre_list(self, actor: NamedDependency[Actor], status: FromQuery[str | None] = None) -> list[CentreListItem]:
        return [
            {k: h[k] for k in ("id", "case_id", "case_number", "status", "sent_at", "due_at", "urged_at", "lawyer_name", "route", "outcome")}
            for h in await services.centre_handoffs(actor, status)
        ]

    @get("/centre/handoffs/{handoff_id:int}")
    async def centre_view(self, actor: NamedDependency[Actor], handoff_id: FromPath[int]) -> CentreHandoff:
        return await views.for_centre(handoff_id, actor)

    @get("/centre/handoffs/{handoff_id:int}/package.pdf", media_type="application/pdf")
    async def centre_package(self, actor: NamedDependency[Actor], handoff_id: FromPath[int]) -> Response[bytes]:
        _row, case = await services.for_centre(handoff_id, actor)
        return _pdf((await services.package_of(handoff_id))["pdf"], case["number"])

    @post("/centre/handoffs/{handoff_id:int}/accept", status_code=200)
    async def accept(self, actor: NamedDependency[Actor], handoff_id: FromPath[int]) -> CentreHandoff:
        await services.accept(handoff_id, actor)
        return await views.for_centre(handoff_id, actor)

    @post("/centre/handoffs/{handoff_id:int}/decline", status_code=200)
    async def decline(self, actor: NamedDependency[Actor], handoff_id: FromPath[int], data: JSONBody[ReasonIn]) -> CentreHandoff:
        await services.decline(handoff_id, actor, data.reason)
        return await views.for_centre(handoff_id, actor)

    @post("/centre/handoffs/{handoff_id:int}/lawyer", status_code=200)
    async def lawyer(self, actor: NamedDependency[Actor], handoff_id: FromPath[int], data: JSONBody[LawyerIn]) -> CentreHandoff:
        await services.assign_lawyer(handoff_id, actor, name=data.name, phone=data.phone, firm=data.firm)
        return await views.for_centre(handoff_id, actor)

    @post("/centre/handoffs/{handoff_id:int}/route", status_code=200)
    async def route(self, actor: NamedDependency[Actor], handoff_id: FromPath[int], data: JSONBody[RouteIn]) -> CentreHandoff:
        await services.report_route(handoff_id, actor, data.route)
        return await views.for_centre(handoff_id, actor)

    @post("/centre/handoffs/{handoff_id:int}/outcome", status_code=200)
    async def outcome(self, actor: NamedDependency[Actor], handoff_id: FromPath[int], data: JSONBody[OutcomeIn]) -> CentreHandoff:
        await services.report_outcome(handoff_id, actor, outcome=data.outcome, amount=data.amount, note=data.note)
        return await views.for_centre(handoff_id, actor)


# ---------------------------------------------------------------- admin (HTML)


def _message(exc: JiefenError, actor: Actor) -> str:
    return gettext(exc.message, actor.locale, **exc.params)




def _amount(text: str) -> Decimal | None:
    """A sum typed in a form, None when blank. ``InvalidOperation`` for words, and for what
    ``Decimal`` takes but no sum is (NaN, Infinity, below zero, past the column)."""
    if not text:
        return None
    amount = Decimal(text)
    if not amount.is_finite() or not 0 <= amount <= _MOST:
        raise InvalidOperation(text)
    return amount


def _workers(text: str) -> list[dict[str, Any]]:
    """``姓名,身份证号码,电话,请求金额`` per line (commas, Chinese commas or tabs)."""
    found = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.replace(",", ",").replace("\t", ",").split(",")]
        if not cells or not cells[0]:
            continue
        cells += [""] * (4 - len(cells))
        try:
            amount = _amount(cells[3])
        except InvalidOperation:
            raise BadRequest("The claimed amount of {name} is not a number.", name=cells[0]) from None
        found.append({"name": cells[0][:120], "id_number": cells[1][:40], "phone": cells[2][:40], "claim_amount": amount})
    return found


class LegalAidAdmin(Controller):
    path = "/admin/plugins/legal_aid"
    include_in_schema = False
    dependencies = {"actor": Provide(current_actor)}

    @get("/cases/{case_id:int}/panel", media_type=MediaType.HTML)
    async def panel(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> str:
        return (await views.panel(await get_case(case_id, actor), actor))["html"]

    @get("/cases/{case_id:int}/screen", media_type=MediaType.HTML)
    async def screen_form(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Response[str]:
        """The case page's button: the panel with the screening form in it. The button targets
        ``#legal-aid-panel``; the answer is that element whole, so it replaces it. Followed as
        a plain link, it is a page of its own."""
        case = await get_case(case_id, actor)
        if not services.may_screen(case, actor):
            raise NotFound()
        html = (await views.panel(case, actor, form=await views.screen_form(case, actor)))["html"]
        if not is_htmx(request):
            return await page(request, actor, "plugin/form.html", fragment_html=Markup(html), back=f"/admin/cases/{case_id}")
        return Response(html, media_type=MediaType.HTML, headers={"HX-Reswap": "outerHTML"})

    @post("/cases/{case_id:int}/screen", media_type=MediaType.HTML, status_code=200)
    async def screen(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Response[str]:
        case = await get_case(case_id, actor)
        form = await request.form()
        try:
            applicants = _workers(str(form.get("workers") or ""))
            if form.get("party_id"):
                applicants.insert(0, {"party_id": form_int(form.get("party_id"))})
            answers = {k: str(form.get(k) or "") for k in ("matter", "exempt_category", "household_size", "household_monthly_income")}
            await services.screen(case, actor, applicants, answers)
        except JiefenError as exc:
            error = _message(exc, actor)
            html = (await views.panel(case, actor, form=await views.screen_form(case, actor, error)))["html"]
            return await form_result(request, actor, html, case_id=case_id, error=error, status=exc.status_code)
        html = (await views.panel(case, actor))["html"]
        done = translator(PLUGIN, actor.locale)("The screening was recorded.")
        return await form_result(request, actor, html, case_id=case_id, done=done, anchor="legal_aid")

    @get("/cases/{case_id:int}/handoff", media_type=MediaType.HTML)
    async def handoff_form(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Response[str]:
        case = await get_case(case_id, actor)
        if not services.may_screen(case, actor):
            raise NotFound()
        html = (await views.panel(case, actor, form=await views.handoff_form(case, actor)))["html"]
        if not is_htmx(request):
            return await page(request, actor, "plugin/form.html", fragment_html=Markup(html), back=f"/admin/cases/{case_id}")
        return Response(html, media_type=MediaType.HTML)

    @post("/cases/{case_id:int}/handoff", media_type=MediaType.HTML, status_code=200)
    async def hand_off(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Response[str]:
        case = await get_case(case_id, actor)
        form = await request.form()
        try:
            chosen = [form_int(v) for v in form.getall("screening_id")] if "screening_id" in form else []
            await services.hand_off(
                case, actor, centre_id=form_int(form.get("centre_id")) or 0, screening_ids=[i for i in chosen if i is not None],
                note=str(form.get("note") or ""), pause=form.get("pause") == "1",
            )
        except JiefenError as exc:
            error = _message(exc, actor)
            html = (await views.panel(case, actor, form=await views.handoff_form(case, actor, error)))["html"]
            return await form_result(request, actor, html, case_id=case_id, error=error, status=exc.status_code)
        html = (await views.panel(await get_case(case_id, actor), actor))["html"]
        done = translator(PLUGIN, actor.locale)("Handed over to the legal-aid centre.")
        return await form_result(request, actor, html, case_id=case_id, done=done, anchor="legal_aid")

    @get("/centre", media_type=MediaType.HTML)
    async def centre(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[str]:
        return await views.centre_page(request, actor)

    @get("/centre/handoffs/{handoff_id:int}", media_type=MediaType.HTML)
    async def handoff(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], handoff_id: FromPath[int]) -> Response[str]:
        return await views.handoff_page(request, handoff_id, actor)

    @post("/centre/handoffs/{handoff_id:int}/{step:str}", media_type=MediaType.HTML, status_code=200)
    async def step(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], handoff_id: FromPath[int], step: FromPath[str]) -> Response[str]:
        """accept, decline, lawyer, route, outcome — the page's forms."""
        form = {k: str(v).strip() for k, v in (await request.form()).items() if isinstance(v, str)}
        await services.for_centre(handoff_id, actor)  # 404 before anything else for a stranger
        error = ""
        try:
            if step == "accept":
                await services.accept(handoff_id, actor)
            elif step == "decline":
                if not form.get("reason"):
                    raise BadRequest("Give the reason for declining.")
                await services.decline(handoff_id, actor, form["reason"])
            elif step == "lawyer":
                if not form.get("name"):
                    raise BadRequest("Give the lawyer's name.")
                await services.assign_lawyer(handoff_id, actor, name=form["name"][:60], phone=form.get("phone", "")[:40], firm=form.get("firm", "")[:120])
            elif step == "route":
                await services.report_route(handoff_id, actor, form.get("route", ""))
            elif step == "outcome":
                try:
                    amount = _amount(form.get("amount", ""))
                except InvalidOperation:
                    raise BadRequest("The amount is not a number.") from None
                await services.report_outcome(handoff_id, actor, outcome=form.get("outcome", ""), amount=amount, note=form.get("note", "")[:2000])
            else:
                raise NotFound()
        except BadRequest as exc:
            error = _message(exc, actor)
        except JiefenError as exc:
            if isinstance(exc, NotFound):
                raise
            error = _message(exc, actor)
        if error or is_htmx(request):
            return await views.handoff_page(request, handoff_id, actor, error=error)
        back = f"/admin/plugins/legal_aid/centre/handoffs/{handoff_id}"
        return await form_result(request, actor, "", back=back, done=translator(PLUGIN, actor.locale)("Saved."))


ROUTES = [LegalAidApi, LegalAidAdmin]
