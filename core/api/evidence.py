"""Evidence upload and download."""

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body

from core.actors import Actor
from core.api.cases import _log_view
from core.api.deps import current_actor
from core.auth.service import require_scope
from core.cases.evidence import add_evidence, read_evidence
from core.cases.service import get_case
from core.cases.tables import Evidence
from core.errors import NotFound


class EvidenceController(Controller):
    path = "/api/v1"
    tags = ["evidence"]
    dependencies = {"actor": Provide(current_actor)}

    @post("/cases/{case_id:int}/evidence", summary="Attach an evidence file (type sniffed from content)", status_code=201)
    async def upload(
        self, case_id: int, actor: Actor,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> dict[str, Any]:
        require_scope(actor, "cases:add_evidence")
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            from core.errors import ValidationFailed

            raise ValidationFailed(errors=[{"field": "file", "message": "required"}])
        content = await upload.read()
        row = await add_evidence(case_id, actor, upload.filename or "file", content, str(data.get("description", "")))
        return {k: row[k] for k in ("id", "filename", "content_type", "size", "sha256")}

    @get("/cases/{case_id:int}/evidence", summary="Evidence files of a case")
    async def list_evidence(self, case_id: int, actor: Actor) -> dict[str, Any]:
        require_scope(actor, "cases:read")
        await get_case(case_id, actor)
        rows = await Evidence.select(Evidence.id, Evidence.filename, Evidence.content_type, Evidence.size, Evidence.uploaded_at, Evidence.description).where(Evidence.case == case_id)
        return {"items": rows}

    @get("/evidence/{evidence_id:int}", summary="Download an evidence file", media_type="application/octet-stream")
    async def download(self, evidence_id: int, actor: Actor) -> Response[bytes]:
        require_scope(actor, "cases:read")
        row = await Evidence.select().where(Evidence.id == evidence_id).first()
        if row is None:
            raise NotFound()
        await get_case(row["case"], actor)
        await _log_view(actor, row["case"], None, f"evidence.{row['id']}")
        from urllib.parse import quote

        return Response(
            read_evidence(row), media_type=row["content_type"],
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row['filename'])}",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )
