"""The agreement on the party's page: its status from the core's ``agreement`` rows, and the
signing page and PDF from ``core.agreements`` when that area is installed.

INTEGRATION POINT (core.agreements): if the module ``core.agreements.parties`` exists and has
``async def party_signing(case_id: int, party_id: int) -> dict | None`` returning
``{"sign_url": str | None, "signed": bool, "pdf_available": bool}`` and
``async def agreement_pdf(case_id: int) -> bytes | None``, the page links to the signing pad
(``/sign/{token}``) and offers the PDF. Without it the page shows the status only.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from core.cases.tables import Agreement

log = logging.getLogger("jiefen.parties")

STATUS_TEXT = {
    "draft": "调解员正在起草调解协议。",
    "final": "调解协议已定稿,等待各方签署。",
    "effective": "调解协议已生效。",
}


def _agreements() -> Any:
    try:
        return importlib.import_module("core.agreements.parties")
    except ImportError:
        return None


async def agreement_for_party(case_id: int, party_id: int) -> dict[str, Any] | None:
    row = await Agreement.select(Agreement.id, Agreement.status, Agreement.effective_at).where(
        (Agreement.case == case_id) & (Agreement.status != "superseded")
    ).order_by(Agreement.revision, ascending=False).first()
    if row is None:
        return None
    view = {"status": row["status"], "text": STATUS_TEXT.get(row["status"], ""), "sign_url": None, "signed": False, "pdf_available": False}
    module = _agreements()
    if module is not None and hasattr(module, "party_signing"):
        try:
            found = await module.party_signing(case_id, party_id)
        except Exception:  # the party's page must not break when signing does
            log.exception("core.agreements.parties.party_signing failed for case %s", case_id)
            found = None
        if found:
            view.update({k: found[k] for k in ("sign_url", "signed", "pdf_available") if k in found})
    return view


async def agreement_pdf(case_id: int) -> bytes | None:
    module = _agreements()
    if module is None or not hasattr(module, "agreement_pdf"):
        return None
    return await module.agreement_pdf(case_id)
