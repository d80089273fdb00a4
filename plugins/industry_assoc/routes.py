"""The plugin's API (JSON, under /api/v1/plugins/industry_assoc/) and admin pages and fragments
(HTML, under /admin/plugins/industry_assoc/). The host answers 404 where the plugin is off for
the requester's town; the services check who may do what."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, TypedDict

import msgspec
from litestar import Controller, MediaType, Request, Response, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from markupsafe import Markup

from core.errors import JiefenError, NotFound
from core.plugins import Actor, current_actor, get_case, gettext
from core.plugins.host import translator
from core.plugins.web import form_int, form_result, form_values, is_htmx, page
from plugins.industry_assoc import registry, services, views
from plugins.industry_assoc.registry import NAME

Text500 = Annotated[str, msgspec.Meta(max_length=500)]
Text4000 = Annotated[str, msgspec.Meta(max_length=4000)]



def _in_reach(actor: Actor, association: dict[str, Any]) -> bool:
    """An association is seen by those above or inside it and by those in an area it serves (or
    above that area); another town's registry does not exist for them."""
    if actor.is_system:
        return True
    paths = [association["path"], *(c["area_path"] for c in association["coverage"])]
    own = actor.org_path or ""
    return any(p and own and (p.startswith(own) or own.startswith(p)) for p in paths)

class CoverageView(TypedDict):
    dispute_type: str
    dispute_type_label: str
    area_org_id: int
    area_name: str
    area_path: str


class AssociationMediator(TypedDict):
    id: int
    user_id: int | None
    name: str
    specialties: list[str]
    active: bool


class AssociationView(TypedDict):
    id: int
    organisation_id: int
    answer_working_days: int | None
    contact: str
    note: str
    active: bool
    registered_by: int | None
    created_at: datetime
    name: str
    short_name: str
    path: str
    phone: str
    address: str
    coverage: list[CoverageView]
    mediators: list[AssociationMediator]


class MediatorAdded(TypedDict):
    id: int
    user_id: int
    name: str
    association_id: int


class TransferView(TypedDict):
    id: int
    case_id: int
    association: int
    status: str
    reason: str
    transferred_by: int | None
    transferred_at: datetime
    due_at: datetime
    previous_assignee: int | None
    previous_org: int | None
    answered_by: int | None
    answered_at: datetime | None
    answer_note: str
    mediator_id: int | None
    outcome: str
    outcome_at: datetime | None
    report: str
    reported_by: int | None
    reported_at: datetime | None
    association_id: int
    association_name: str
    association_path: str
    mediator_name: str
    overdue: bool


class Suggestion(TypedDict):
    association_id: int
    name: str
    organisation_id: int
    score: float
    reasons: list[str]
    pending: int
    acceptance_rate: float | None
    mediators: int  # active mediators with an account


class CaseTransfers(TypedDict):
    transfers: list[TransferView]
    may_transfer: bool
    suggestions: list[Suggestion]


class TransferredCase(TypedDict):
    id: int
    number: str
    dispute_type: str
    dispute_type_label: str
    title: str
    description: str
    amount: str | None  # a decimal, as text
    state: str
    place_name: str | None
    org_name: str | None


class MaskedCaseParty(TypedDict):
    role: str
    name: str  # masked unless a company
    kind: str
    represented_count: int


class TransferForAssociation(TransferView):
    case: TransferredCase
    parties: list[MaskedCaseParty]
    mediators: list[AssociationMediator]


class TransferCounts(TypedDict):
    transfers: int
    pending: int
    accepted: int
    declined: int
    timed_out: int
    cancelled: int
    returned: int
    mediating: int
    concluded: int
    agreed: int
    failed: int
    acceptance_rate: float | None
    success_rate: float | None


class AssociationCounts(TransferCounts):
    association_id: int
    name: str


class TransferStats(TypedDict):
    since: datetime | None
    until: datetime | None
    associations: list[AssociationCounts]
    total: TransferCounts


class CoverageIn(msgspec.Struct):
    dispute_type: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]  # a type code, or "*"
    area_org_id: int


class AssociationIn(msgspec.Struct):
    organisation_id: int
    coverage: list[CoverageIn]
    contact: Annotated[str, msgspec.Meta(max_length=120)] = ""
    note: Text4000 = ""
    answer_working_days: Annotated[int, msgspec.Meta(ge=1, le=30)] | None = None


class AssociationPatch(msgspec.Struct):
    coverage: list[CoverageIn] | None = None
    contact: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    note: Text4000 | None = None
    active: bool | None = None
    answer_working_days: Annotated[int, msgspec.Meta(ge=1, le=30)] | None | msgspec.UnsetType = msgspec.UNSET


class MediatorIn(msgspec.Struct):
    user_id: int
    name: Annotated[str, msgspec.Meta(max_length=60)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    specialties: list[str] = msgspec.field(default_factory=list)


class TransferIn(msgspec.Struct):
    association_id: int
    reason: Text4000 = ""


class AcceptIn(msgspec.Struct):
    mediator_id: int | None = None  # None: the association's pool, a mediator of it takes the case
    note: Text4000 = ""


class ReasonIn(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class ReportIn(msgspec.Struct):
    report: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


def _pairs(coverage: list[CoverageIn]) -> list[tuple[str, int]]:
    return [(c.dispute_type, c.area_org_id) for c in coverage]


def _day_start(day: date | None) -> datetime | None:
    if day is None:
        return None
    from core.settings import get_settings

    return datetime.combine(day, time.min, tzinfo=get_settings().zone)


class IndustryAssocApi(Controller):
    path = "/api/v1/plugins/industry_assoc"
    tags = ["industry_assoc"]
    dependencies = {"actor": Provide(current_actor)}

    # ---- the registry

    @get("/associations", summary="Registered industry associations, what they take and their mediators")
    async def list_associations(self, actor: NamedDependency[Actor]) -> list[AssociationView]:
        return [a for a in await registry.list_associations() if _in_reach(actor, a)]

    @post("/associations", status_code=201, summary="Register an association (organisation of type association)")
    async def register(self, actor: NamedDependency[Actor], data: JSONBody[AssociationIn]) -> AssociationView:
        return await registry.register(
            actor, data.organisation_id, _pairs(data.coverage), contact=data.contact, note=data.note,
            answer_working_days=data.answer_working_days,
        )

    @get("/associations/{association_id:int}", summary="One association")
    async def association(self, actor: NamedDependency[Actor], association_id: FromPath[int]) -> AssociationView:
        found = await registry.detail(association_id)
        if not _in_reach(actor, found):
            raise NotFound("Unknown association.")
        return found

    @patch("/associations/{association_id:int}", summary="Change what an association takes, its contact or whether it is active")
    async def update(self, actor: NamedDependency[Actor], association_id: FromPath[int], data: JSONBody[AssociationPatch]) -> AssociationView:
        days: Any = False if data.answer_working_days is msgspec.UNSET else data.answer_working_days
        return await registry.update(
            actor, association_id, coverage=_pairs(data.coverage) if data.coverage is not None else None,
            contact=data.contact, note=data.note, active=data.active, answer_working_days=days,
        )

    @post("/associations/{association_id:int}/mediators", status_code=201, summary="Put a staff member of the association on the roster")
    async def add_mediator(self, actor: NamedDependency[Actor], association_id: FromPath[int], data: JSONBody[MediatorIn]) -> MediatorAdded:
        return await registry.add_mediator(actor, association_id, data.user_id, data.name, data.phone, data.specialties)

    # ---- a case

    @get("/cases/{case_id:int}", summary="A case's transfers, and suggested associations when it may be transferred")
    async def case_transfers(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> CaseTransfers:
        case = await get_case(case_id, actor)
        may = services.may_transfer(case, actor) and not await services.open_transfer(case_id)
        return {
            "transfers": await services.transfers_of_case(case_id), "may_transfer": may,
            "suggestions": await registry.suggest(case, actor.locale) if may else [],
        }

    @get("/cases/{case_id:int}/suggestions", summary="Associations for this case, best first, with reasons")
    async def suggestions(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> list[Suggestion]:
        return await registry.suggest(await get_case(case_id, actor), actor.locale)

    @post("/cases/{case_id:int}/transfers", status_code=201, summary="Transfer the case to an association")
    async def transfer(self, actor: NamedDependency[Actor], case_id: FromPath[int], data: JSONBody[TransferIn]) -> TransferView:
        return await services.transfer(await get_case(case_id, actor), actor, data.association_id, data.reason)

    # ---- transfers

    @get("/transfers", summary="Transfers you may see (an association's staff: only theirs)")
    async def transfers(self, actor: NamedDependency[Actor], status: FromQuery[str | None] = None) -> list[TransferView]:
        return await services.list_transfers(actor, status)

    @get("/transfers/{transfer_id:int}", summary="A transfer as the association sees it")
    async def transfer_detail(self, actor: NamedDependency[Actor], transfer_id: FromPath[int]) -> TransferForAssociation:
        return await services.for_association(actor, transfer_id)

    @post("/transfers/{transfer_id:int}/accept", status_code=200, summary="The association accepts (within the deadline)")
    async def accept(self, actor: NamedDependency[Actor], transfer_id: FromPath[int], data: JSONBody[AcceptIn]) -> TransferForAssociation:
        return await services.accept(actor, transfer_id, data.mediator_id, data.note)

    @post("/transfers/{transfer_id:int}/decline", status_code=200, summary="The association declines, with a reason")
    async def decline(self, actor: NamedDependency[Actor], transfer_id: FromPath[int], data: JSONBody[ReasonIn]) -> TransferForAssociation:
        return await services.decline(actor, transfer_id, data.reason)

    @post("/transfers/{transfer_id:int}/cancel", status_code=200, summary="The centre takes a pending transfer back")
    async def cancel(self, actor: NamedDependency[Actor], transfer_id: FromPath[int]) -> TransferView:
        return await services.cancel(actor, transfer_id)

    @post("/transfers/{transfer_id:int}/return", status_code=200, summary="The association hands an accepted case back unresolved")
    async def give_back(self, actor: NamedDependency[Actor], transfer_id: FromPath[int], data: JSONBody[ReasonIn]) -> TransferForAssociation:
        return await services.give_back(actor, transfer_id, data.reason)

    @post("/transfers/{transfer_id:int}/report", status_code=200, summary="The association's report on its mediation")
    async def report(self, actor: NamedDependency[Actor], transfer_id: FromPath[int], data: JSONBody[ReportIn]) -> TransferForAssociation:
        return await services.report(actor, transfer_id, data.report)

    @get("/stats", summary="Per association: transfers, accepted, declined, timed out, agreed")
    async def stats(self, actor: NamedDependency[Actor], since: FromQuery[date | None] = None, until: FromQuery[date | None] = None) -> TransferStats:
        return await views.stats(actor, _day_start(since), _day_start(until))


def _html(content: str, status_code: int = 200) -> Response[str]:
    return Response(content, media_type=MediaType.HTML, status_code=status_code)


def _message(exc: JiefenError, actor: Actor) -> str:
    return gettext(exc.message, actor.locale, **exc.params)



class IndustryAssocAdmin(Controller):
    """Forms work with JavaScript off too (the host's guard reads a plain form's ``_csrf``):
    HTMX gets the fragment, a plain post a redirect with a flash, or the form again on an error."""

    path = "/admin/plugins/industry_assoc"
    include_in_schema = False
    dependencies = {"actor": Provide(current_actor)}

    @get("/cases/{case_id:int}/panel", media_type=MediaType.HTML)
    async def panel(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> str:
        return await views.panel_html(await get_case(case_id, actor), actor)

    @get("/cases/{case_id:int}/transfer-form", media_type=MediaType.HTML)
    async def transfer_form(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Response[str]:
        """The case page's button: the panel with the suggested associations to choose from
        (a page of its own when followed as a plain link)."""
        case = await get_case(case_id, actor)
        if not is_htmx(request):
            html = await views.panel_html(case, actor, form=True)
            return await page(request, actor, "plugin/form.html", fragment_html=Markup(html), back=f"/admin/cases/{case_id}")
        return _html(await views.panel_html(case, actor, form=True, wrap=False))

    @post("/cases/{case_id:int}/transfer", media_type=MediaType.HTML, status_code=200)
    async def transfer(self, actor: NamedDependency[Actor], case_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        case = await get_case(case_id, actor)
        form = await form_values(request)
        _ = translator(NAME, actor.locale)
        try:
            await services.transfer(case, actor, form_int(form.get("association_id")) or 0, form.get("reason", "")[:4000])
        except JiefenError as exc:
            error = _message(exc, actor)
            html = await views.panel_html(case, actor, form=True, error=error, wrap=not is_htmx(request))
            return await form_result(request, actor, html, case_id=case_id, error=error, status=exc.status_code)
        html = await views.panel_html(await get_case(case_id, actor), actor, wrap=False)
        return await form_result(request, actor, html, case_id=case_id, done=_("Transferred to the association."), anchor="industry_assoc")

    @post("/transfers/{transfer_id:int}/cancel", media_type=MediaType.HTML, status_code=200)
    async def cancel(self, actor: NamedDependency[Actor], transfer_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        transfer = await services.cancel(actor, transfer_id)
        html = await views.panel_html(await get_case(transfer["case_id"], actor), actor, wrap=False)
        done = translator(NAME, actor.locale)("The transfer was taken back.")
        return await form_result(request, actor, html, case_id=transfer["case_id"], done=done, anchor="industry_assoc")

    @get("/inbox", media_type=MediaType.HTML)
    async def inbox(self, actor: NamedDependency[Actor], request: Request[Any, Any, Any]) -> Response[str]:
        """The association's transfers: accept (choosing its mediator) or decline each."""
        return await views.inbox_page(request, actor)

    @post("/transfers/{transfer_id:int}/accept", media_type=MediaType.HTML, status_code=200)
    async def accept(self, actor: NamedDependency[Actor], transfer_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        form = await form_values(request)

        async def action() -> Any:  # the number read inside, so a bad one is refused like the service's refusals
            return await services.accept(actor, transfer_id, form_int(form.get("mediator_id")), form.get("note", ""))

        return await self._answer(actor, request, action(), "Accepted; the case went to the association's mediator.")

    @post("/transfers/{transfer_id:int}/decline", media_type=MediaType.HTML, status_code=200)
    async def decline(self, actor: NamedDependency[Actor], transfer_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        form = await form_values(request)
        action = services.decline(actor, transfer_id, form.get("reason", "")[:4000])
        return await self._answer(actor, request, action, "Declined; the case went back to the centre.")

    async def _answer(self, actor: Actor, request: Request[Any, Any, Any], action: Any, done: str) -> Response[str]:
        try:
            await action
        except JiefenError as exc:
            return await views.inbox_page(request, actor, message=_message(exc, actor), status=exc.status_code)
        said = translator(NAME, actor.locale)(done)
        if is_htmx(request):
            return await views.inbox_page(request, actor, message=said)
        return await form_result(request, actor, "", back="/admin/plugins/industry_assoc/inbox", done=said)

    @get("/stats", media_type=MediaType.HTML)
    async def stats(self, actor: NamedDependency[Actor], request: Request[Any, Any, Any]) -> Response[str]:
        return await views.stats_page(request, actor)


ROUTES = [IndustryAssocApi, IndustryAssocAdmin]
