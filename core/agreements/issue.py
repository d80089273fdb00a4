"""Issuing a document: plugin sections, a fresh verification code, WeasyPrint in a thread,
the signer hook, a PDF/A-3b archive copy, the files on disk and a ``DocumentRecord``; the
issue is also an event on the case's timeline (its SHA-256 joins the hash chain)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from core.actors import SYSTEM
from core.agreements import codes
from core.agreements.contexts import Built
from core.agreements.settings import storage_root
from core.agreements.tables import DocumentRecord
from core.db import write_transaction
from core.errors import Conflict, Forbidden

log = logging.getLogger("jiefen.documents")
ARCHIVE_VARIANT = "pdf/a-3b"


class NoSigner(Conflict):
    message = "No signing key is installed for {organisation}: run jiefen keys create --committee {org_id}."


async def signer_for(organisation: dict[str, Any]) -> Any:
    from core.plugins.host import document_signer

    return await document_signer(organisation)


async def plugin_sections(kind: str, case: dict[str, Any]) -> list[dict[str, Any]]:
    """Sections of the plugins on for the case's town. Their ``html`` comes from an autoescaped
    template (the hook's contract), so it is trusted as markup; a raising plugin stops the issue."""
    from core.plugins.ui import document_sections

    return [{"title": str(s["title"]), "html": Markup(str(s.get("html") or ""))} for s in await document_sections(kind, case)]


def _write(key: str, data: bytes) -> None:
    path = storage_root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def read_document(key: str) -> bytes:
    root = storage_root().resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise Forbidden()
    return Path(path).read_bytes()


async def issue(
    case: dict[str, Any], kind: str, source_id: int, built: Built, signer: Any, *,
    pdf: bytes | None = None, archive: bool = True, code: str | None = None,
) -> dict[str, Any] | None:
    """Render (unless ``pdf`` is given: a bundle), sign, store and record. Returns the record,
    or None when another run recorded this document first."""
    from core.documents.render import render_pdf_async
    from core.documents.verify import sha256_hex, verify_pdf

    code = code or codes.new_code()
    org = built.organisation
    reason, place = built.title, org["name"]
    archived = b""
    if pdf is None:
        context = {
            **built.context, "extra_sections": await plugin_sections(kind, case),
            "verification": {"code": codes.display(code), "url": codes.verify_url(code)},
        }
        pdf = await render_pdf_async(kind, context)
        if archive:
            archived = await signer.sign(await render_pdf_async(kind, context, pdf_variant=ARCHIVE_VARIANT), reason=reason, location=place, name=place)
    signed = await signer.sign(pdf, reason=reason, location=place, name=place)
    from core.agreements.keys import trust_roots

    checked = await verify_pdf(signed, trust_roots())
    if not checked.signed:
        raise RuntimeError("the signer returned a document without a signature")
    if not checked.ok:  # e.g. an e-seal format this verifier cannot check: issued, but said so
        log.warning("%s of case %s: signature does not verify here: %s", kind, case["id"], checked.problems)
    key = f"documents/{case['id']}/{kind}-{source_id}-{code}.pdf"
    _write(key, signed)
    archive_key = ""
    if archived:
        archive_key = f"archive/{case['id']}/{kind}-{source_id}-{code}.pdfa.pdf"
        _write(archive_key, archived)
    digest = sha256_hex(signed)
    now = datetime.now(UTC)
    try:
        async with write_transaction():
            if await DocumentRecord.exists().where((DocumentRecord.kind == kind) & (DocumentRecord.source_id == source_id)):
                return None
            row = (await DocumentRecord.insert(
                DocumentRecord(
                    case=case["id"], kind=kind, source_id=source_id, revision=built.revision, organisation=org["id"],
                    sha256=digest, size=len(signed), verification_code=code, storage_key=key, archive_key=archive_key,
                    archive_sha256=sha256_hex(archived) if archived else "", signer_name=checked.signer_name or "",
                    signed_at=checked.signed_at or now,
                )
            ).returning(*DocumentRecord.all_columns()))[0]
            from core.cases.service import record_action

            await record_action(case["id"], "issue_document", SYSTEM, {
                "document_id": row["id"], "kind": kind, "source_id": source_id, "revision": built.revision, "sha256": digest,
            })
    except Exception as exc:
        # Two runs racing: the loser's insert hits the unique index; the winner's record stands.
        if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
            return None
        raise
    log.info("issued %s #%s of case %s (%s)", kind, row["id"], case["id"], codes.display(code))
    return row
