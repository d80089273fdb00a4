"""The plugin's API (JSON and files, under /api/v1/plugins/judicial_confirm/) and admin pages and
fragments (HTML, under /admin/plugins/judicial_confirm/). The host answers 404 where the plugin
is off for the requester's town (for a court clerk: the court's); the services check who may
do what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypedDict
from urllib.parse import quote

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody

from core.errors import Conflict, Forbidden, JiefenError, ValidationFailed
from core.plugins import Actor, current_actor, get_case, gettext
from core.plugins.host import translator
from core.plugins.web import form_int, form_result, is_htmx
from plugins.judicial_confirm import registry, services, views
from plugins.judicial_confirm.registry import NAME

Text = Annotated[str, msgspec.Meta(max_length=4000)]


class CourtRow(TypedDict):
    area_org_id: int
    area_name: str
    area_path: str
    court_org_id: int
    court_name: str
    court_path: str
    court_address: str
    court_phone: str
    note: str


class ConsentState(TypedDict):
    party_id: int
    name: str  # masked unless a company
    role: str
    consented: bool
    method: str | None
    consented_at: datetime | None


class MaterialOut(TypedDict):
    id: int
    application: int
    kind: str
    party_id: int | None
    title: str
    copies: int
    evidence_id: int | None
    note: str
    added_by: int | None
    added_at: datetime


class ApplicationSummary(TypedDict):
    id: int
    case_id: int
    agreement_id: int
    committee_org_id: int | None
    court_org_id: int | None
    status: str
    effective_at: datetime
    window_closes_at: datetime
    reminders: list[int]  # days-before-the-close marks already reminded
    submitted_by: int | None
    submitted_at: datetime | None
    accept_due_at: datetime | None
    acceptance_overdue_noted: bool
    document_sha256: str
    document_size: int
    court_case_number: str
    accepted_by: int | None
    accepted_at: datetime | None
    accepted_late: bool
    not_accepted_reason: str
    ruled_by: int | None
    ruled_at: datetime | None
    ruling_note: str
    next_step: str
    reopened_at: datetime | None
    ruling_sha256: str
    ruling_size: int
    ruling_filename: str
    created_at: datetime
    case_number: str
    court_name: str
    committee_name: str
    window_open: bool
    days_left: int | None
    has_document: bool
    has_ruling: bool
    enforceable: bool
    parties: list[ConsentState]
    materials: list[MaterialOut]


class CaseApplication(TypedDict):
    application: ApplicationSummary | None
    agreement_effective: bool
    may_prepare: bool


class CourtIn(msgspec.Struct):
    area_org_id: int
    court_org_id: int | None  # None removes the area's row
    note: Text = ""


class ConsentIn(msgspec.Struct):
    party_id: int
    method: str = "in_person"
    note: Text = ""


class MaterialIn(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    kind: str = "property"
    party_id: int | None = None
    copies: Annotated[int, msgspec.Meta(ge=1, le=99)] = 1
    evidence_id: int | None = None
    note: Text = ""


class AcceptanceIn(msgspec.Struct):
    court_case_number: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class ReasonIn(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class MaterialRequestIn(msgspec.Struct):
    kind: str  # identity | property | other


class RulingIn(msgspec.Struct):
    ruling: str  # confirmed | rejected
    next_step: str = ""  # remediate | sue, for a rejection
    note: Text = ""


def _file(data: bytes, name: str, media_type: str) -> Response[bytes]:
    return Response(
        data, media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "X-Content-Type-Options": "nosniff"},
    )


async def _upload(data: dict[str, Any]) -> tuple[str, bytes]:
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationFailed(errors=[{"field": "file", "message": "required"}])
    return upload.filename or "ruling.pdf", await upload.read()


class JudicialConfirmApi(Controller):
    path = "/api/v1/plugins/judicial_confirm"
    tags = ["judicial_confirm"]
    dependencies = {"actor": Provide(current_actor)}

    # ---- the court registry

    @get("/courts", summary="The court registry rows bearing on your subtree")
    async def courts(self, actor: NamedDependency[Actor]) -> list[CourtRow]:
        return await registry.list_courts(actor)

    @put("/courts", summary="Set (or with court_org_id null, remove) the court for an area")
    async def set_court(self, actor: NamedDependency[Actor], data: JSONBody[CourtIn]) -> CourtRow | None:
        return await registry.set_court(actor, data.area_org_id, data.court_org_id, data.note)

    # ---- a case

    @get("/cases/{case_id:int}", summary="The case's current application (null before an agreement takes effect)")
    async def case_application(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> CaseApplication:
        case = await get_case(case_id, actor)
        app = await services.current(case_id)
        return {
            "application": await services.summary(app["id"]) if app else None,
            "agreement_effective": bool(await services.effective_agreement(case_id)),
            "may_prepare": services.may_prepare(case, actor),
        }

    @post("/cases/{case_id:int}/application", status_code=201, summary="Track the window of the case's effective agreement")
    async def start(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> ApplicationSummary:
        case = await get_case(case_id, actor)
        if not services.may_prepare(case, actor):
            raise Forbidden()
        app = await services.ensure_for_case(case, actor)
        if app is None:
            raise Conflict("The case has no agreement in effect.")
        return await services.summary(app["id"])

    # ---- an application

    @get("/applications", summary="Applications to your court (court clerks)")
    async def applications(self, actor: NamedDependency[Actor], status: FromQuery[str | None] = None) -> list[ApplicationSummary]:
        return await services.clerk_list(actor, status)

    @get("/applications/{application_id:int}", summary="One application")
    async def application(self, actor: NamedDependency[Actor], application_id: FromPath[int]) -> ApplicationSummary:
        app, _case = await services.for_staff(actor, application_id)
        return await services.summary(app["id"])

    @post("/applications/{application_id:int}/consents", status_code=201, summary="Record a party's consent to apply jointly")
    async def consent(self, actor: NamedDependency[Actor], application_id: FromPath[int], data: JSONBody[ConsentIn]) -> ApplicationSummary:
        return await services.record_consent(actor, application_id, data.party_id, data.method, data.note)

    @delete("/applications/{application_id:int}/consents/{party_id:int}", status_code=200, summary="A party withdraws consent before the application")
    async def withdraw_consent(self, actor: NamedDependency[Actor], application_id: FromPath[int], party_id: FromPath[int]) -> ApplicationSummary:
        return await services.withdraw_consent(actor, application_id, party_id)

    @post("/applications/{application_id:int}/materials", status_code=201, summary="Add a material (identity document, property proof …)")
    async def add_material(self, actor: NamedDependency[Actor], application_id: FromPath[int], data: JSONBody[MaterialIn]) -> ApplicationSummary:
        return await services.add_material(
            actor, application_id, kind=data.kind, title=data.title, party_id=data.party_id, copies=data.copies,
            evidence_id=data.evidence_id, note=data.note,
        )

    @delete("/applications/{application_id:int}/materials/{material_id:int}", status_code=200, summary="Remove a material")
    async def remove_material(self, actor: NamedDependency[Actor], application_id: FromPath[int], material_id: FromPath[int]) -> ApplicationSummary:
        return await services.remove_material(actor, application_id, material_id)

    @post("/applications/{application_id:int}/submit", status_code=200, summary="Apply: renders the application and sends it to the court")
    async def submit(self, actor: NamedDependency[Actor], application_id: FromPath[int]) -> ApplicationSummary:
        return await services.submit(actor, application_id)

    @get("/applications/{application_id:int}/application.pdf", summary="The application (司法确认申请书)", media_type="application/pdf")
    async def application_pdf(self, actor: NamedDependency[Actor], application_id: FromPath[int]) -> Response[bytes]:
        data, name = await services.file_of(actor, application_id, "application")
        return _file(data, name, "application/pdf")

    @get("/applications/{application_id:int}/ruling.pdf", summary="The ruling's document", media_type="application/pdf")
    async def ruling_pdf(self, actor: NamedDependency[Actor], application_id: FromPath[int]) -> Response[bytes]:
        data, name = await services.file_of(actor, application_id, "ruling")
        return _file(data, name, "application/pdf")

    @get("/applications/{application_id:int}/package.zip", summary="The application as one ZIP: PDFs and manifest.json", media_type="application/zip")
    async def package(self, actor: NamedDependency[Actor], application_id: FromPath[int]) -> Response[bytes]:
        data, name = await services.export(actor, application_id)
        return _file(data, name, "application/zip")

    # ---- the court's clerk

    @post("/applications/{application_id:int}/acceptance", status_code=200, summary="The court accepted: its case number")
    async def acceptance(self, actor: NamedDependency[Actor], application_id: FromPath[int], data: JSONBody[AcceptanceIn]) -> ApplicationSummary:
        return await services.record_acceptance(actor, application_id, data.court_case_number)

    @post("/applications/{application_id:int}/non-acceptance", status_code=200, summary="The court declined to accept")
    async def non_acceptance(self, actor: NamedDependency[Actor], application_id: FromPath[int], data: JSONBody[ReasonIn]) -> ApplicationSummary:
        return await services.record_not_accepted(actor, application_id, data.reason)

    @post("/applications/{application_id:int}/material-request", status_code=200, summary="The court asks for more material")
    async def material_request(self, actor: NamedDependency[Actor], application_id: FromPath[int], data: JSONBody[MaterialRequestIn]) -> ApplicationSummary:
        return await services.request_material(actor, application_id, data.kind)

    @post("/applications/{application_id:int}/ruling", status_code=200, summary="The ruling: confirmed, or rejected (remediate | sue)")
    async def ruling(self, actor: NamedDependency[Actor], application_id: FromPath[int], data: JSONBody[RulingIn]) -> ApplicationSummary:
        return await services.record_ruling(actor, application_id, data.ruling, data.next_step, data.note)

    @post("/applications/{application_id:int}/ruling-document", status_code=201, summary="Attach the ruling's PDF (type sniffed)")
    async def ruling_document(
        self, actor: NamedDependency[Actor], application_id: FromPath[int], data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> ApplicationSummary:
        filename, content = await _upload(data)
        return await services.attach_ruling(actor, application_id, filename, content)


def _html(content: str, status_code: int = 200) -> Response[str]:
    return Response(content, media_type=MediaType.HTML, status_code=status_code)


async def _form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    form = await request.form()
    return dict(form.items())


class JudicialConfirmAdmin(Controller):
    path = "/admin/plugins/judicial_confirm"
    include_in_schema = False
    dependencies = {"actor": Provide(current_actor)}

    @get("/cases/{case_id:int}/panel", media_type=MediaType.HTML)
    async def panel(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> str:
        return await views.panel_html(await get_case(case_id, actor), actor)

    async def _panel_after(self, actor: Actor, case_id: int, action: Any, request: Request[Any, Any, Any], done: str = "Saved.") -> Response[str]:
        """HTMX gets the panel's inside; a plain form (JavaScript off) goes back to the case page
        with a flash, or gets the panel again with the error."""
        case = await get_case(case_id, actor)
        try:
            await action
        except JiefenError as exc:
            error = gettext(exc.message, actor.locale, **exc.params)
            html = await views.panel_html(case, actor, error=error, wrap=not is_htmx(request))
            return await form_result(request, actor, html, case_id=case_id, error=error, status=exc.status_code)
        html = await views.panel_html(await get_case(case_id, actor), actor, wrap=False)
        return await form_result(request, actor, html, case_id=case_id, done=translator(NAME, actor.locale)(done), anchor="judicial_confirm")

    @post("/cases/{case_id:int}/application", media_type=MediaType.HTML, status_code=200)
    async def start(self, actor: NamedDependency[Actor], case_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        case = await get_case(case_id, actor)

        async def go() -> None:
            if not services.may_prepare(case, actor):
                raise Forbidden()
            await services.ensure_for_case(case, actor)

        return await self._panel_after(actor, case_id, go(), request, "The window is tracked.")

    @post("/applications/{application_id:int}/consents", media_type=MediaType.HTML, status_code=200)
    async def consent(self, actor: NamedDependency[Actor], application_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        app, case = await services.for_staff(actor, application_id)
        form = await _form(request)

        async def go() -> Any:  # numbers read inside, so a bad one is refused on the panel
            return await services.record_consent(actor, application_id, form_int(form.get("party_id")) or 0, str(form.get("method") or "in_person"))

        return await self._panel_after(actor, case["id"], go(), request, "The consent was recorded.")

    @post("/applications/{application_id:int}/materials", media_type=MediaType.HTML, status_code=200)
    async def material(self, actor: NamedDependency[Actor], application_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        app, case = await services.for_staff(actor, application_id)
        form = await _form(request)

        async def go() -> Any:  # numbers read inside, so a bad one is refused on the panel
            return await services.add_material(
                actor, application_id, kind=str(form.get("kind") or "property"), title=str(form.get("title") or "")[:200],
                party_id=form_int(form.get("party_id")), copies=form_int(form.get("copies")) or 1, evidence_id=form_int(form.get("evidence_id")),
            )

        return await self._panel_after(actor, case["id"], go(), request, "The material was added.")

    @post("/applications/{application_id:int}/submit", media_type=MediaType.HTML, status_code=200)
    async def submit(self, actor: NamedDependency[Actor], application_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        app, case = await services.for_staff(actor, application_id)
        return await self._panel_after(actor, case["id"], services.submit(actor, application_id), request, "Applied to the court.")

    # ---- the court's page

    @get("/court", media_type=MediaType.HTML)
    async def court(self, actor: NamedDependency[Actor], request: Request[Any, Any, Any]) -> Response[str]:
        """Applications to the clerk's court: acceptance with the case number, the ruling, its PDF."""
        return await views.court_page(request, actor)

    async def _court_after(self, actor: Actor, request: Request[Any, Any, Any], action: Any, done: str) -> Response[str]:
        try:
            await action
        except JiefenError as exc:
            return await views.court_page(request, actor, gettext(exc.message, actor.locale, **exc.params), exc.status_code)
        said = translator(NAME, actor.locale)(done)
        if is_htmx(request):
            return await views.court_page(request, actor, said)
        return await form_result(request, actor, "", back=f"{self.path}/court", done=said)

    @post("/applications/{application_id:int}/acceptance", media_type=MediaType.HTML, status_code=200)
    async def acceptance(self, actor: NamedDependency[Actor], application_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        form = await _form(request)
        return await self._court_after(actor, request, services.record_acceptance(actor, application_id, str(form.get("court_case_number") or "")), "The acceptance was recorded.")

    @post("/applications/{application_id:int}/non-acceptance", media_type=MediaType.HTML, status_code=200)
    async def non_acceptance(self, actor: NamedDependency[Actor], application_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        form = await _form(request)
        return await self._court_after(actor, request, services.record_not_accepted(actor, application_id, str(form.get("reason") or "")), "The refusal to accept was recorded.")

    @post("/applications/{application_id:int}/ruling", media_type=MediaType.HTML, status_code=200)
    async def ruling(self, actor: NamedDependency[Actor], application_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        form = await _form(request)
        return await self._court_after(actor, request, services.record_ruling(
            actor, application_id, str(form.get("ruling") or ""), str(form.get("next_step") or ""), str(form.get("note") or "")[:4000],
        ), "The ruling was recorded.")

    @post("/applications/{application_id:int}/material-request", media_type=MediaType.HTML, status_code=200)
    async def material_request(self, actor: NamedDependency[Actor], application_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        form = await _form(request)
        return await self._court_after(actor, request, services.request_material(actor, application_id, str(form.get("kind") or "")), "Asked the committee for the material.")

    @post("/applications/{application_id:int}/ruling-document", media_type=MediaType.HTML, status_code=200)
    async def ruling_document(self, actor: NamedDependency[Actor], application_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[str]:
        form = await _form(request)

        async def go() -> None:
            filename, content = await _upload(form)
            await services.attach_ruling(actor, application_id, filename, content)

        return await self._court_after(actor, request, go(), "The ruling was uploaded.")


ROUTES = [JudicialConfirmApi, JudicialConfirmAdmin]
