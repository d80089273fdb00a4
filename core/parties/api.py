"""The party API (``/api/v1/party``) for mini-programs and apps: the same operations as the
pages. Authentication is a party session (``Authorization: Bearer jp_…``) opened by a code."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from msgspec import Meta, Struct

from core.actors import Actor
from core.api.deps import current_actor
from core.api.responses import LabelledTypes, MediatorCards, NamedList
from core.errors import Forbidden, NotFound
from core.parties import apply, feedback, roster, signing, tracking
from core.parties.auth import bearer, client_ip, party_context, throttle
from core.parties.view import case_view


class CodeSent(TypedDict):
    sent: bool
    expires_in: int  # seconds
    resend_after: int  # seconds


class TrackingCodeSent(CodeSent):
    phone: str  # masked


class PartySession(TypedDict):
    session_token: str
    csrf_token: str
    expires_at: datetime


class Applied(PartySession):
    case_id: int
    number: str
    state: str
    replayed: bool
    tracking_token: str
    tracking_url: str


class NextStep(TypedDict):
    text: str
    kind: str | None
    due_at: datetime | None


class CaseMediator(TypedDict):
    name: str
    phone: str
    organisation: str


class PartyOnCase(TypedDict):
    role: str
    role_label: str
    name: str  # masked unless it is the caller or a company
    phone: str  # masked
    own: bool


class PartySessionItem(TypedDict):
    id: int
    scheduled_at: datetime
    place: str
    mode: str
    status: str
    mode_label: str
    status_label: str


class PartyAgreement(TypedDict):
    status: str
    text: str
    sign_url: str | None
    signed: bool
    pdf_available: bool


class GivenRating(TypedDict):
    rating: int
    created_at: datetime


class PartyMessageOut(TypedDict):
    id: int
    body: str
    created_at: datetime


class MessageLeft(TypedDict):
    id: int
    created_at: datetime


class PartyCase(TypedDict):
    # The application reference until the centre registers the case, then its official number.
    number: str
    number_is_official: bool
    state: str
    state_label: str
    plain: str
    dispute_type: str
    description: str
    submitted_at: datetime
    updated_at: datetime
    preferred_time: str
    preferred_mode: str
    preferred_mode_label: str
    preferred_place: str
    failure_advice: str
    next_step: NextStep | None
    mediator: CaseMediator | None
    parties: list[PartyOnCase]
    sessions: list[PartySessionItem]
    agreement: PartyAgreement | None
    rating: GivenRating | None
    can_rate: bool
    ask_performed: bool
    can_withdraw: bool
    can_message: bool
    can_upload: bool
    photos: int
    messages: list[PartyMessageOut]


class PhotoAdded(TypedDict):
    id: int
    filename: str
    content_type: str
    size: int


class PhotosAdded(TypedDict):
    items: list[PhotoAdded]


class Rated(TypedDict):
    rating: int
    performed: bool | None
    follow_up_id: int


class Withdrawn(TypedDict):
    state: str


class TrackingLinkIssued(TypedDict):
    tracking_token: str  # shown once
    tracking_url: str


class CodeIn(Struct, kw_only=True, forbid_unknown_fields=True):
    phone: Annotated[str, Meta(min_length=5, max_length=40)]
    purpose: Literal["apply"] = "apply"


class TrackCodeIn(Struct, kw_only=True, forbid_unknown_fields=True):
    token: Annotated[str, Meta(min_length=1, max_length=100)]


class TrackVerifyIn(Struct, kw_only=True, forbid_unknown_fields=True):
    token: Annotated[str, Meta(min_length=1, max_length=100)]
    code: Annotated[str, Meta(max_length=10)]


async def uploaded(data: dict[str, Any], name: str = "photos") -> list[tuple[str, bytes]]:
    value = data.get(name)
    files = value if isinstance(value, list) else [value]
    return [(f.filename or "photo", await f.read()) for f in files if isinstance(f, UploadFile) and f.filename]


class PartyController(Controller):
    path = "/api/v1/party"
    tags = ["party"]

    @get("/centres", summary="Mediation centres one can apply to")
    async def centres(self) -> NamedList:
        return {"items": [{"id": c["id"], "name": c["name"]} for c in await roster.centres()]}

    @get("/dispute-types", summary="Dispute types")
    async def dispute_types(self, lang: FromQuery[str] = "zh_CN") -> LabelledTypes:
        return {"items": await roster.dispute_types(lang)}

    @get("/centres/{centre_id:int}/mediators", summary="Mediator cards to choose from (点单): specialties, organisation, grade, rating, load")
    async def mediators(self, centre_id: FromPath[int], lang: FromQuery[str] = "zh_CN") -> MediatorCards:
        centre = await roster.centre(centre_id)
        if centre is None:
            raise NotFound("Unknown organisation.")
        return {"items": await roster.mediator_cards(centre, lang)}

    @get("/centres/{centre_id:int}/places", summary="Villages and communities under a centre")
    async def places(self, centre_id: FromPath[int]) -> NamedList:
        centre = await roster.centre(centre_id)
        if centre is None:
            raise NotFound("Unknown organisation.")
        return {"items": await roster.places(centre)}

    @post("/codes", summary="Send a one-time code to the applicant's phone", status_code=202)
    async def send_code(self, data: JSONBody[CodeIn], request: Request[Any, Any, Any]) -> CodeSent:
        await throttle(request)
        from core.parties import otp

        return await otp.issue(data.phone, data.purpose, ip=client_ip(request))

    @post("/applications", summary="Apply for mediation with the code (send an Idempotency-Key)", status_code=201)
    async def apply(self, data: JSONBody[apply.ApplicationIn], request: Request[Any, Any, Any]) -> Applied:
        await throttle(request)
        return await apply.submit(data, ip=client_ip(request), idempotency_key=request.headers.get("idempotency-key", ""))

    @post("/tracking/code", summary="Send a code to the phone of a tracking link's party", status_code=202)
    async def tracking_code(self, data: JSONBody[TrackCodeIn], request: Request[Any, Any, Any]) -> TrackingCodeSent:
        await throttle(request)
        return await tracking.send_code(data.token, client_ip(request))

    @post("/tracking/session", summary="Open a party session with the tracking token and the code", status_code=201)
    async def open_session(self, data: JSONBody[TrackVerifyIn], request: Request[Any, Any, Any]) -> PartySession:
        await throttle(request)
        return await tracking.verify_code(data.token, data.code, client_ip(request))

    @delete("/session", summary="End the party session", status_code=204)
    async def end_session(self, request: Request[Any, Any, Any]) -> None:
        token = bearer(request)
        if token:
            await tracking.end_session(token)

    @get("/case", summary="My case: state in plain words, next step and deadline, mediator, sessions, agreement")
    async def case(self, request: Request[Any, Any, Any]) -> PartyCase:
        return await case_view(await party_context(request))

    @get("/case/sessions/{session_id:int}/ics", summary="A session as an iCalendar file", media_type="text/calendar")
    async def ics(self, session_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await feedback.session_ics(await party_context(request), session_id)
        return Response(body, media_type="text/calendar", headers={"Content-Disposition": f'attachment; filename="session-{session_id}.ics"'})

    @post("/case/evidence", summary="Add photos (multipart, field `photos`)", status_code=201)
    async def evidence(
        self, request: Request[Any, Any, Any], data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> PhotosAdded:
        ctx = await party_context(request)
        return {"items": await feedback.add_photos(ctx, await uploaded(data))}

    @post("/case/rating", summary="Rate the service (评单) and answer the follow-up", status_code=201)
    async def rating(self, data: JSONBody[feedback.RatingIn], request: Request[Any, Any, Any]) -> Rated:
        return await feedback.rate(await party_context(request), data)

    @post("/case/messages", summary="Leave a question for the mediator", status_code=201)
    async def message(self, data: JSONBody[feedback.MessageIn], request: Request[Any, Any, Any]) -> MessageLeft:
        return await feedback.leave_message(await party_context(request), data)

    @post("/case/withdraw", summary="Withdraw the application", status_code=200)
    async def withdraw(self, data: JSONBody[feedback.WithdrawIn], request: Request[Any, Any, Any]) -> Withdrawn:
        return await feedback.withdraw(await party_context(request), data)

    @get("/case/agreement.pdf", summary="The agreement as PDF, once issued", media_type="application/pdf")
    async def agreement_pdf(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        ctx = await party_context(request)
        pdf = await signing.agreement_pdf(ctx.case_id)
        if pdf is None:
            raise NotFound()
        return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": 'attachment; filename="agreement.pdf"'})


class StaffLinkController(Controller):
    """Staff hand a party (a respondent, or an applicant who lost the link) a new tracking link."""

    path = "/api/v1/cases/{case_id:int}/parties/{party_id:int}/tracking-link"
    tags = ["party"]
    dependencies = {"actor": Provide(current_actor)}

    @post("/", summary="A new tracking link for a party (shown once; earlier links of the party stop working)", status_code=201)
    async def issue(self, case_id: FromPath[int], party_id: FromPath[int], actor: NamedDependency[Actor]) -> TrackingLinkIssued:
        from core.cases.access import may_reveal
        from core.cases.service import get_case
        from core.cases.tables import Party

        case = await get_case(case_id, actor)
        if not may_reveal(actor, case):
            raise Forbidden()
        party = await Party.select(Party.id, Party.phone).where((Party.id == party_id) & (Party.case == case_id)).first()
        if party is None:
            raise NotFound("No such party on this case.")
        token = await tracking.new_link(case_id, party_id, replace=True)
        return {"tracking_token": token, "tracking_url": tracking.tracking_url(token)}
