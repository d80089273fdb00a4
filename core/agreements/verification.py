"""Public verification: by code, or by the file itself. Answers only what a court or a party
needs to trust a document: intact or not, who signed it and when, and whether it is the file
this system recorded; of the case, only its number and the kind of document."""

from __future__ import annotations

import logging
from typing import Any

from core.agreements import codes
from core.agreements.contexts import TITLES
from core.agreements.issue import read_document
from core.agreements.keys import trust_roots
from core.agreements.tables import DocumentRecord
from core.cases.tables import Case

log = logging.getLogger("jiefen.documents")


async def _record_view(row: dict[str, Any]) -> dict[str, Any]:
    case = await Case.select(Case.number).where(Case.id == row["case"]).first()
    return {
        "case_number": case["number"] if case else "", "kind": row["kind"], "title": TITLES.get(row["kind"], row["kind"]),
        "revision": row["revision"], "verification_code": codes.display(row["verification_code"]),
        "issued_at": row["signed_at"], "signer": row["signer_name"],
    }


def _result(checked: Any) -> dict[str, Any]:
    return {
        "intact": checked.ok, "signed": checked.signed, "trusted": checked.trusted, "signer": checked.signer_name,
        "signed_at": checked.signed_at, "sha256": checked.sha256, "problems": list(checked.problems),
    }


async def by_code(text: str) -> dict[str, Any]:
    """The record a code names, with the stored file checked again (it could rot on disk)."""
    from core.documents.verify import verify_pdf

    code = codes.normalise(text)
    row = await DocumentRecord.select().where(DocumentRecord.verification_code == code).first() if code else None
    if row is None:
        return {"found": False}
    if not row["storage_key"]:
        retired = await _retired(row)
        if retired:
            return retired
    try:
        checked = await verify_pdf(read_document(row["storage_key"]), trust_roots())
    except OSError:
        log.error("document %s: stored file missing", row["id"])
        return {"found": True, "intact": False, "document": await _record_view(row), "problems": ["存档文件缺失。"]}
    result = _result(checked)
    result["intact"] = checked.ok and checked.sha256 == row["sha256"]
    return {"found": True, **result, "matches_record": checked.sha256 == row["sha256"], "document": await _record_view(row)}


async def by_file(pdf: bytes) -> dict[str, Any]:
    """Check an uploaded file: its signatures, and whether its SHA-256 is one we issued."""
    from core.documents.verify import sha256_hex, verify_pdf

    checked = await verify_pdf(pdf, trust_roots())
    digest = sha256_hex(pdf)
    row = await DocumentRecord.select().where((DocumentRecord.sha256 == digest) | (DocumentRecord.archive_sha256 == digest)).first()
    result = {**_result(checked), "matches_record": row is not None, "document": await _record_view(row) if row else None}
    if row is not None:
        result["archive_copy"] = row["archive_sha256"] == digest
        if not row["storage_key"] and (retired := await _retired(row)):
            result["retired"], result["retired_at"], result["message"] = True, retired["retired_at"], retired["message"]
    return result


async def _retired(row: dict[str, Any]) -> dict[str, Any] | None:
    """A document whose file the retention policy deleted: what was issued, and when it went."""
    from core.i18n import gettext
    from core.privacy.retention import retired

    done = await retired(row["case"])
    if done is None:
        return None
    from core.settings import get_settings

    zone = get_settings().zone
    message = gettext(
        "A document with this fingerprint was issued on {issued} and has since been retired under the retention policy (on {retired}).",
        "zh_CN", issued=f"{row['signed_at'].astimezone(zone):%Y-%m-%d}", retired=f"{done['anonymised_at'].astimezone(zone):%Y-%m-%d}",
    )
    return {
        "found": True, "retired": True, "intact": None, "retired_at": done["anonymised_at"], "message": message,
        "sha256": row["sha256"], "size": row["size"], "document": await _record_view(row), "problems": [],
    }
