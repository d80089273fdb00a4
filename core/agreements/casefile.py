"""The case file (卷宗): an index page, the case's issued documents in order (acceptance,
records, agreement, failure notice), then the follow-ups and the timeline; concatenated with
pypdf and signed as one document with its own verification code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio.to_thread

from core.agreements import codes
from core.agreements.contexts import TITLES, Built, committee_context, issuer, local_datetime
from core.agreements.issue import NoSigner, issue, read_document, signer_for
from core.agreements.tables import CaseFileExport, DocumentRecord
from core.cases.tables import Case, CaseEvent, FollowUp
from core.db import write_transaction
from core.i18n import label

ORDER = {"receipt": 0, "record": 1, "agreement": 2, "failure_notice": 3}
METHOD_ZH = {"phone": "电话回访", "visit": "上门回访", "online": "网上回访"}


async def _set(export_id: int, **values: Any) -> None:
    async with write_transaction():
        await CaseFileExport.update({getattr(CaseFileExport, k): v for k, v in values.items()}).where(CaseFileExport.id == export_id)


async def _staff_names(ids: set[int]) -> dict[int, str]:
    from core.auth.tables import StaffUser

    if not ids:
        return {}
    return {r["id"]: r["display_name"] for r in await StaffUser.select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.is_in(list(ids)))}


async def _appendix(case: dict[str, Any]) -> dict[str, Any]:
    follow_ups = await FollowUp.select().where(FollowUp.case == case["id"]).order_by(FollowUp.at)
    events = await CaseEvent.select().where(CaseEvent.case == case["id"]).order_by(CaseEvent.seq)
    names = await _staff_names({e["actor"] for e in events if e["actor"]} | {f["by"] for f in follow_ups if f["by"]})
    return {
        "follow_ups": [
            {"at": local_datetime(f["at"]), "method": METHOD_ZH.get(f["method"], f["method"]), "result": f["result"],
             "performed": {True: "已履行", False: "未履行"}.get(f["performed"], "—"), "rating": f["rating"], "by": names.get(f["by"], "")}
            for f in follow_ups
        ],
        "events": [
            {"seq": e["seq"], "at": local_datetime(e["at"]), "name": label("event", e["name"], "zh_CN"),
             "to": label("state", e["to_state"], "zh_CN") if e["to_state"] and e["to_state"] != e["from_state"] else "",
             "by": names.get(e["actor"], "") if e["actor"] else {"party": "当事人", "system": "系统"}.get(e["actor_label"], e["actor_label"]),
             "hash": e["hash"][:16]}
            for e in events
        ],
    }


async def build_case_file(export_id: int) -> None:
    from core.agreements.pdf import concatenate, page_count, render_pdf_async

    export = await CaseFileExport.select().where(CaseFileExport.id == export_id).first()
    if export is None or export["status"] == "done":
        return
    await _set(export_id, status="running", error="")
    try:
        case = await Case.select().where(Case.id == export["case"]).first()
        org = await issuer(case)
        signer = await signer_for(org)
        if signer is None:
            raise NoSigner(organisation=org["name"], org_id=org["id"])
        records = await DocumentRecord.select().where((DocumentRecord.case == case["id"]) & (DocumentRecord.kind != "case_file"))
        records.sort(key=lambda r: (ORDER.get(r["kind"], 9), r["id"]))
        parts = [read_document(r["storage_key"]) for r in records]
        committee = await committee_context(org, "")
        common = {"committee": committee, "case_no": case["number"]}
        appendix = await render_pdf_async("agreements/case_file_appendix.html", {**common, **await _appendix(case)})
        code = codes.new_code()
        verification = {"code": codes.display(code), "url": codes.verify_url(code)}

        async def index(front_pages: int) -> bytes:
            entries, page = [], front_pages + 1
            for r, pdf in zip(records, parts, strict=True):
                n = page_count(pdf)
                entries.append({"title": TITLES.get(r["kind"], r["kind"]), "code": codes.display(r["verification_code"]), "from": page, "to": page + n - 1, "sha256": r["sha256"]})
                page += n
            entries.append({"title": "回访记录与办理记录", "code": "", "from": page, "to": page + page_count(appendix) - 1, "sha256": ""})
            return await render_pdf_async("agreements/case_file_index.html", {
                **common, "verification": verification, "entries": entries, "case": case,
                "state": label("state", case["state"], "zh_CN"), "generated_at": local_datetime(datetime.now(UTC)),
            })

        front = await index(1)
        if page_count(front) != 1:
            front = await index(page_count(front))
        bundle = await anyio.to_thread.run_sync(concatenate, [front, *parts, appendix])
        built = Built({}, org, 1, TITLES["case_file"])
        row = await issue(case, "case_file", export_id, built, signer, pdf=bundle, archive=False, code=code)
        if row is None:
            row = await DocumentRecord.select().where((DocumentRecord.kind == "case_file") & (DocumentRecord.source_id == export_id)).first()
        await _set(export_id, status="done", document_id=row["id"], finished_at=datetime.now(UTC))
    except Exception as exc:
        await _set(export_id, status="failed", error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=datetime.now(UTC))
        raise

