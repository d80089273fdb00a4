"""For the party's own page (``core.parties.signing``): the signing link and the issued PDF.

The party is already identified there (tracking link and one-time code), so a link for them
to sign on their phone is handed out directly.
"""

from __future__ import annotations

from typing import Any

from core.agreements.effects import snapshot_of
from core.agreements.issue import read_document
from core.agreements.tables import AgreementSignature, DocumentRecord
from core.agreements.tokens import make
from core.cases.tables import Agreement


async def party_signing(case_id: int, party_id: int) -> dict[str, Any] | None:
    agreement = await Agreement.select(Agreement.id, Agreement.status).where(
        (Agreement.case == case_id) & Agreement.status.is_in(["final", "effective"])
    ).order_by(Agreement.revision, ascending=False).first()
    if agreement is None:
        return None
    snapshot = await snapshot_of(agreement["id"])
    key = f"party:{party_id}"
    asked = bool(snapshot) and any(s["key"] == key for s in snapshot["required"])
    signed = await AgreementSignature.exists().where((AgreementSignature.agreement == agreement["id"]) & (AgreementSignature.signer_key == key))
    issued = await DocumentRecord.exists().where((DocumentRecord.kind == "agreement") & (DocumentRecord.source_id == agreement["id"]))
    sign_url = None
    if agreement["status"] == "final" and asked and not signed:
        sign_url = f"/sign/{make(agreement['id'], party_id, 'pad')[0]}"
    return {"sign_url": sign_url, "signed": signed, "pdf_available": issued}


async def agreement_pdf(case_id: int) -> bytes | None:
    """The signed PDF of the case's effective agreement, once issued."""
    row = await DocumentRecord.select(DocumentRecord.storage_key).where(
        (DocumentRecord.case == case_id) & (DocumentRecord.kind == "agreement")
    ).order_by(DocumentRecord.id, ascending=False).first()
    return read_document(row["storage_key"]) if row else None
