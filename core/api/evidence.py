"""Evidence upload and download."""

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath

from core.actors import Actor
from core.api.cases import _log_view
from core.api.deps import current_actor
from core.api.responses import EvidenceList, EvidenceStored
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
        self, case_id: FromPath[int], actor: NamedDependency[Actor],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> EvidenceStored:
        require_scope(actor, "cases:add_evidence")
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            from core.errors import ValidationFailed

            raise ValidationFailed(errors=[{"field": "file", "message": "required"}])
        content = await upload.read()
        row = await add_evidence(case_id, actor, upload.filename or "file", content, str(data.get("description", "")))
        return {k: row[k] for k in ("id", "filename", "content_type", "size", "sha256")}

    @get("/cases/{case_id:int}/evidence", summary="Evidence files of a case")
    async def list_evidence(self, case_id: FromPath[int], actor: NamedDependency[Actor]) -> EvidenceList:
        from core.privacy.sensitive import ensure_handles

        require_scope(actor, "cases:read")
        ensure_handles(actor, await get_case(case_id, actor))
        rows = await Evidence.select(Evidence.id, Evidence.filename, Evidence.content_type, Evidence.size, Evidence.uploaded_at, Evidence.description).where(Evidence.case == case_id)
        return {"items": rows}

    @get(
        "/evidence/{evidence_id:int}", summary="Download an evidence file", media_type="application/octet-stream",
        # Served with the type sniffed at upload (images, PDF, audio, video).
        responses={200: ResponseSpec(bytes, description="The file", media_type="*/*", generate_examples=False)},
    )
    async def download(self, evidence_id: FromPath[int], actor: NamedDependency[Actor]) -> Response[bytes]:
        require_scope(actor, "cases:read")
        row = await Evidence.select().where(Evidence.id == evidence_id).first()
        if row is None or not row["storage_key"]:  # no key: deleted under the retention policy
            raise NotFound()
        from core.privacy.sensitive import ensure_handles

        ensure_handles(actor, await get_case(row["case"], actor))
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
