"""Issued documents for staff: the list, the download (recorded in the access log), and
case-file exports started as jobs."""

from __future__ import annotations

from typing import Any

from core.actors import Actor
from core.agreements import codes
from core.agreements.contexts import TITLES
from core.agreements.issue import read_document
from core.agreements.tables import CaseFileExport, DocumentRecord
from core.audit.tables import AccessLog
from core.cases.access import ensure_can_see
from core.cases.tables import Case
from core.db import write_transaction
from core.errors import Forbidden, NotFound
from core.jobs.outbox import enqueue

STAFF = frozenset({"staff"})


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "case_id": row["case"], "kind": row["kind"], "title": TITLES.get(row["kind"], row["kind"]),
        "source_id": row["source_id"], "revision": row["revision"], "sha256": row["sha256"], "size": row["size"],
        "verification_code": codes.display(row["verification_code"]), "verify_url": codes.verify_url(row["verification_code"]),
        "signer_name": row["signer_name"], "signed_at": row["signed_at"], "has_archive": bool(row["archive_key"]),
    }


async def _case_for_staff(case_id: int, actor: Actor) -> dict[str, Any]:
    if actor.kind not in STAFF and not actor.is_system:
        raise Forbidden()
    case = await Case.select().where(Case.id == case_id).first()
    if case is None:
        raise NotFound()
    ensure_can_see(actor, case)
    from core.privacy.sensitive import ensure_handles

    ensure_handles(actor, case)
    return case


async def list_for_case(case_id: int, actor: Actor) -> list[dict[str, Any]]:
    await _case_for_staff(case_id, actor)
    rows = await DocumentRecord.select().where(DocumentRecord.case == case_id).order_by(DocumentRecord.id)
    return [public(r) for r in rows]


async def download(document_id: int, actor: Actor, *, archive: bool = False, ip: str = "") -> tuple[bytes, str]:
    row = await DocumentRecord.select().where(DocumentRecord.id == document_id).first()
    if row is None:
        raise NotFound()
    case = await _case_for_staff(row["case"], actor)
    key = row["archive_key"] if archive else row["storage_key"]
    if not key:
        raise NotFound()
    await AccessLog.insert(AccessLog(
        user=actor.user_id, actor_label=actor.label, case_id=case["id"], what=f"document.{row['id']}{'.archive' if archive else ''}", ip=ip[:64],
    ))
    name = f"{TITLES.get(row['kind'], row['kind'])}-{case['number']}-{codes.display(row['verification_code'])}{'-PDFA' if archive else ''}.pdf"
    return read_document(key), name


async def request_case_file(case_id: int, actor: Actor) -> dict[str, Any]:
    await _case_for_staff(case_id, actor)
    async with write_transaction():
        row = (await CaseFileExport.insert(CaseFileExport(case=case_id, requested_by=actor.user_id)).returning(*CaseFileExport.all_columns()))[0]
        await enqueue("render_case_file", {"export_id": row["id"], "case_id": case_id}, case_id=case_id, dedupe_key=f"case_file:{row['id']}")
    from core.plugins.host import after_commit

    await after_commit({})
    return export_public(row)


def export_public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "case_id": row["case"], "status": row["status"], "document_id": row["document_id"],
        "error": row["error"], "created_at": row["created_at"], "finished_at": row["finished_at"],
    }


async def export_status(export_id: int, actor: Actor) -> dict[str, Any]:
    row = await CaseFileExport.select().where(CaseFileExport.id == export_id).first()
    if row is None:
        raise NotFound()
    await _case_for_staff(row["case"], actor)
    return export_public(row)
