"""JSON API of the agreements area: revisions, signatures, seals, sign links, documents,
case-file exports, and the public verification endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Meta

from core.actors import Actor
from core.agreements import documents, images, seals, signatures, tokens, verification
from core.agreements.content import load_json
from core.agreements.effects import snapshot_of
from core.agreements.settings import document_settings
from core.api.deps import current_actor
from core.api.responses import (
    AgreementDetail,
    AgreementRevisions,
    CaseFileExport,
    IssuedDocuments,
    SealInfo,
    SignatureAdded,
    SignatureStatus,
    SignLink,
    Verification,
)
from core.auth.service import require_scope
from core.cases.service import get_case
from core.cases.tables import Agreement
from core.errors import BadRequest, Forbidden, NotFound, TooLarge, ValidationFailed
from core.ratelimit import hit
from core.settings import get_settings

DataUrl = Annotated[str, Meta(min_length=30, max_length=12_000_000)]


class SignatureIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    signer: Literal["party", "mediator"]
    party_id: int | None = None
    method: Literal["pad", "kiosk", "scanned_paper", "fingerprint"] = "pad"
    image: DataUrl  # data:image/png;base64,… (JPEG too for a scanned page)


class SealIn(msgspec.Struct, forbid_unknown_fields=True):
    image: DataUrl


class SignLinkIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    party_id: int
    method: Literal["kiosk", "pad"] = "pad"
    minutes: Annotated[int, Meta(ge=1, le=24 * 60)] | None = None


def origin(request: Request[Any, Any, Any]) -> signatures.Origin:
    return signatures.Origin(ip=request.client.host if request.client else "", user_agent=request.headers.get("user-agent", ""))


def agreement_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "case_id": row["case"], "revision": row["revision"], "status": row["status"],
        "facts": row["facts"], "matters": row["matters"], "responsibilities": row["responsibilities"],
        "terms": load_json(row["terms"]), "performance": row["performance"], "content_sha256": row["content_sha256"],
        "created_at": row["created_at"], "finalised_at": row["finalised_at"], "effective_at": row["effective_at"],
    }


def sign_link(agreement_id: int, party_id: int, method: str, minutes: int | None = None) -> dict[str, Any]:
    import segno

    token, expires = tokens.make(agreement_id, party_id, method, minutes)
    url = f"{get_settings().base_url.rstrip('/')}/sign/{token}"
    return {"url": url, "path": f"/sign/{token}", "expires_at": expires, "qr_svg": segno.make(url, error="m").svg_data_uri(scale=4)}


class AgreementController(Controller):
    path = "/api/v1"
    tags = ["agreements"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/cases/{case_id:int}/agreements", summary="The written agreement's revisions, newest first")
    async def revisions(self, case_id: FromPath[int], actor: NamedDependency[Actor]) -> AgreementRevisions:
        require_scope(actor, "cases:read")
        await get_case(case_id, actor)
        rows = await Agreement.select().where(Agreement.case == case_id).order_by(Agreement.revision, ascending=False)
        return {"items": [agreement_view(r) for r in rows]}

    @get("/agreements/{agreement_id:int}", summary="One revision; a final one with its frozen content and signatures")
    async def detail(self, agreement_id: FromPath[int], actor: NamedDependency[Actor]) -> AgreementDetail:
        require_scope(actor, "cases:read")
        state = await signatures.status(agreement_id, actor)
        row = await Agreement.select().where(Agreement.id == agreement_id).first()
        snapshot = await snapshot_of(agreement_id)
        return {**agreement_view(row), "content": snapshot["content"] if snapshot else None, "signatures": state}

    @get("/agreements/{agreement_id:int}/signatures", summary="Required and collected signatures")
    async def signature_status(self, agreement_id: FromPath[int], actor: NamedDependency[Actor]) -> SignatureStatus:
        require_scope(actor, "cases:read")
        return await signatures.status(agreement_id, actor)

    @post("/agreements/{agreement_id:int}/signatures", summary="Add a party's or the mediator's signature", status_code=201)
    async def add_signature(
        self, agreement_id: FromPath[int], data: JSONBody[SignatureIn], actor: NamedDependency[Actor], request: Request[Any, Any, Any],
    ) -> SignatureAdded:
        # Before anything else, so an integrator gets the reason, not a 404 for "mediator:None".
        signatures.refuse_api_key(actor)
        if data.signer == "party":
            if data.party_id is None:
                raise ValidationFailed(errors=[{"field": "party_id", "message": "required"}])
            key = f"party:{data.party_id}"
        else:
            key = f"mediator:{actor.user_id}"
        scan = data.method in ("scanned_paper", "fingerprint")
        image = images.from_data_url(data.image, allow_jpeg=scan)
        return await signatures.add_signature(agreement_id, actor, signer_key=key, method=data.method, image=image, origin=origin(request))

    @post("/agreements/{agreement_id:int}/seal", summary="Apply the committee's seal", status_code=201)
    async def apply_seal(self, agreement_id: FromPath[int], actor: NamedDependency[Actor], request: Request[Any, Any, Any]) -> SignatureAdded:
        signatures.refuse_api_key(actor)
        return await signatures.add_signature(agreement_id, actor, signer_key="seal", method="seal", image=None, origin=origin(request))

    @post("/agreements/{agreement_id:int}/sign-links", summary="A short-lived link (and QR code) for a party to sign", status_code=201)
    async def make_link(self, agreement_id: FromPath[int], data: JSONBody[SignLinkIn], actor: NamedDependency[Actor]) -> SignLink:
        signatures.refuse_api_key(actor)
        state = await signatures.status(agreement_id, actor)
        if actor.kind != "staff" or not actor.roles & signatures.CAPTURE_ROLES:
            raise Forbidden()
        signer = next((r for r in state["required"] if r["key"] == f"party:{data.party_id}"), None)
        if signer is None or state["status"] != "final":
            raise NotFound("This person is not asked to sign this agreement.")
        return sign_link(agreement_id, data.party_id, data.method, data.minutes)

    @get("/organisations/{org_id:int}/seal", summary="The committee's seal (whether set, its hash)")
    async def seal(self, org_id: FromPath[int], actor: NamedDependency[Actor]) -> SealInfo:
        require_scope(actor, "cases:read")
        await seals.committee(org_id, actor)
        return await seals.seal_info(org_id)

    @put("/organisations/{org_id:int}/seal", summary="Set the committee's seal image (PNG; administrators)")
    async def set_seal(self, org_id: FromPath[int], data: JSONBody[SealIn], actor: NamedDependency[Actor]) -> SealInfo:
        return await seals.set_seal(org_id, actor, images.from_data_url(data.image))

    @get("/organisations/{org_id:int}/seal.png", summary="The committee's seal image", media_type="image/png")
    async def seal_image(self, org_id: FromPath[int], actor: NamedDependency[Actor]) -> Response[bytes]:
        require_scope(actor, "cases:read")
        await seals.committee(org_id, actor)
        row = await seals.seal_row(org_id)
        if row is None:
            raise NotFound()
        return Response(images.read(row["storage_key"]), media_type="image/png", headers={"X-Content-Type-Options": "nosniff"})


class DocumentController(Controller):
    path = "/api/v1"
    tags = ["documents"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/cases/{case_id:int}/documents", summary="Documents issued for a case")
    async def list_documents(self, case_id: FromPath[int], actor: NamedDependency[Actor]) -> IssuedDocuments:
        return {"items": await documents.list_for_case(case_id, actor)}

    @get("/documents/{document_id:int}", summary="Download a signed document (copy=archive for the PDF/A copy)", media_type="application/pdf")
    async def download(
        self, document_id: FromPath[int], actor: NamedDependency[Actor], request: Request[Any, Any, Any], copy: FromQuery[str] = "issued",
    ) -> Response[bytes]:
        data, name = await documents.download(document_id, actor, archive=copy == "archive", ip=request.client.host if request.client else "")
        return Response(data, media_type="application/pdf", headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        })

    @post("/cases/{case_id:int}/case-file", summary="Start building the case file (卷宗); poll its status", status_code=202)
    async def case_file(self, case_id: FromPath[int], actor: NamedDependency[Actor]) -> CaseFileExport:
        return await documents.request_case_file(case_id, actor)

    @get("/case-files/{export_id:int}", summary="Status of a case-file export")
    async def case_file_status(self, export_id: FromPath[int], actor: NamedDependency[Actor]) -> CaseFileExport:
        return await documents.export_status(export_id, actor)


async def read_upload(request: Request[Any, Any, Any]) -> bytes:
    """The PDF from a multipart form (field ``file``) or a raw ``application/pdf`` body."""
    limit = get_settings().max_upload_bytes
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationFailed(errors=[{"field": "file", "message": "required"}])
        data = await upload.read()
    else:
        data = await request.body()
    if not data:
        raise BadRequest()
    if len(data) > limit:
        raise TooLarge(limit=limit)
    return data


async def limit_verify(request: Request[Any, Any, Any]) -> None:
    await hit("verify", request.client.host if request.client else "unknown", document_settings().verify_rate_limit_per_minute)


class VerifyApi(Controller):
    path = "/api/v1/public/verify"
    tags = ["public"]

    @get("/{code:str}", summary="Verify a document by its code (no login)")
    async def by_code(self, code: FromPath[str], request: Request[Any, Any, Any]) -> Verification:
        await limit_verify(request)
        return await verification.by_code(code)

    @post("/", summary="Verify an uploaded PDF (multipart field file, or application/pdf body; no login)", status_code=200)
    async def by_file(self, request: Request[Any, Any, Any]) -> Verification:
        await limit_verify(request)
        return await verification.by_file(await read_upload(request))


ROUTES = [AgreementController, DocumentController, VerifyApi]
