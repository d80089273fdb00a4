"""The application (司法确认申请书) through the core's document pipeline, its files, and the
package for courts whose systems take files (a ZIP of PDFs and a JSON manifest)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import filetype

from core.cases.tables import Agreement, Evidence, Party
from core.errors import Forbidden, TooLarge, UnsupportedMedia
from core.orgs.tables import Organisation
from core.roster.tables import DisputeType
from core.settings import get_settings
from plugins.judicial_confirm import services

ROLE_ZH = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"}
GENDER_ZH = {"male": "男", "female": "女"}
METHOD_ZH = {"in_person": "当面确认", "written": "书面确认", "video": "视频确认"}
KIND_ZH = {"identity": "身份证明", "property": "财产权利证明", "other": "其他材料"}
MANIFEST_FORMAT = "jiefen.judicial_confirm.package/1"


# ---------------------------------------------------------------- files


def storage_root() -> Path:
    return get_settings().data_dir / "plugins" / "judicial_confirm"


def store(case_id: int, name: str, content: bytes) -> tuple[str, str]:
    """Keep a file under the plugin's own directory; (storage key, SHA-256)."""
    key = f"{case_id}/{name}"
    path = storage_root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(content)
    tmp.replace(path)
    return key, hashlib.sha256(content).hexdigest()


def read(key: str) -> bytes:
    root = storage_root().resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise Forbidden()
    return path.read_bytes()


def check_pdf(content: bytes) -> None:
    """A PDF by its content (and starting as one: no polyglots), within the upload limit."""
    limit = get_settings().max_upload_bytes
    if len(content) > limit:
        raise TooLarge(limit=limit)
    kind = filetype.guess(content[:8192])
    if kind is None or kind.mime != "application/pdf" or not content.startswith(b"%PDF-"):
        raise UnsupportedMedia()


def safe_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    return (re.sub(r"[^\w.\-]+", "_", name).strip("._") or "file")[:120]


# ---------------------------------------------------------------- the application


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _party(p: dict[str, Any], year: int) -> dict[str, Any]:
    """A party as the application names it: full particulars (it goes to the court)."""
    ctx: dict[str, Any] = {
        "name": p["name"], "role": "申请人", "kind": "organization" if p.get("kind") == "company" else "person",
        "original_role": ROLE_ZH.get(p.get("role", ""), ""),
    }
    for key in ("id_number", "address", "phone"):
        if p.get(key):
            ctx[key] = p[key]
    if p.get("gender") in GENDER_ZH:
        ctx["gender"] = GENDER_ZH[p["gender"]]
    if p.get("birth_year"):
        ctx["age"] = year - int(p["birth_year"])
    if (p.get("represented_count") or 1) > 1:
        ctx["name"] = f"{p['name']}（代表{p['represented_count']}人）"
    return ctx


def _term(t: dict[str, Any]) -> dict[str, Any]:
    term = {"obligor": t["obligor"], "obligee": t.get("obligee") or "", "action": t["what"], "by_when": None}
    for src, dst in (("amount", "amount"), ("how", "how"), ("where", "where"), ("due_date", "by_when")):
        if t.get(src) not in (None, ""):
            term[dst] = t[src]
    return term


async def agreement_content(app: dict[str, Any]) -> dict[str, Any]:
    """The agreement as it took effect: the frozen snapshot of a written one, else the row of an
    oral one; with the issued PDF's record when there is one."""
    from core.agreements.tables import AgreementSnapshot, DocumentRecord

    row = await Agreement.select().where(Agreement.id == app["agreement_id"]).output(load_json=True).first()
    snapshot = await AgreementSnapshot.select(AgreementSnapshot.content).where(AgreementSnapshot.agreement == app["agreement_id"]).first()
    content = _load(snapshot["content"]) if snapshot else {}
    text = {k: content.get(k, row[k]) for k in ("facts", "matters", "responsibilities", "terms", "performance")}
    record = await DocumentRecord.select().where(
        (DocumentRecord.kind == "agreement") & (DocumentRecord.source_id == app["agreement_id"])
    ).first()
    return {
        **text, "terms": _load(text["terms"]) or [], "form": "written" if snapshot else "oral", "revision": row["revision"],
        "content_sha256": row["content_sha256"], "effective_at": row["effective_at"], "parties": content.get("parties"),
        "record": record,
    }


async def context(app: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    from core.agreements import codes

    zone = get_settings().zone
    orgs = {o["id"]: o for o in await Organisation.select().where(
        Organisation.id.is_in([i for i in (app["committee_org_id"], app["court_org_id"], case["org"]) if i])
    )}
    committee = orgs.get(app["committee_org_id"]) or orgs[case["org"]]
    court = orgs.get(app["court_org_id"]) or {"name": ""}
    agreement = await agreement_content(app)
    required = await services.required_parties(case)
    frozen = {p["id"]: p for p in agreement["parties"] or []}
    # The particulars as frozen in the agreement where there is one, else as the case holds them.
    people = [{**p, **frozen.get(p["id"], {})} for p in required]
    year = datetime.now(UTC).astimezone(zone).year
    applicants = [_party(p, year) for p in people]
    given = {c["party_id"]: c for c in await services.consents(app["id"])}
    dtype = await DisputeType.select(DisputeType.label_zh).where(DisputeType.code == case["dispute_type"]).first()
    record = agreement["record"]
    listed = [{"name": "人民调解协议书" + ("（原件）" if agreement["form"] == "written" else "（口头协议记录）"), "copies": 1,
               "note": f"核验码 {codes.display(record['verification_code'])}" if record else ""}]
    for p in people:
        company = p.get("kind") == "company"
        listed.append({
            "name": f"{p['name']}的" + ("营业执照副本复印件及法定代表人身份证明" if company else "居民身份证复印件"), "copies": 1, "note": "身份证明",
        })
    names = {p["id"]: p["name"] for p in people}
    for item in await services.materials(app["id"]):
        who = f"{names[item['party_id']]}的" if item["party_id"] in names else ""
        listed.append({"name": who + item["title"], "copies": item["copies"], "note": KIND_ZH.get(item["kind"], "") + (f";{item['note']}" if item["note"] else "")})
    return {
        "committee": {"name": committee["name"], "address": committee.get("address") or "", "phone": committee.get("phone") or ""},
        "case_no": case["number"], "court": {"name": court["name"]},
        "dispute_type": dtype["label_zh"] if dtype else case["dispute_type"],
        "applicants": applicants,
        "agreement": {
            "signed_on": agreement["effective_at"].astimezone(zone).date(), "facts": agreement["facts"], "matters": agreement["matters"],
            "responsibilities": agreement["responsibilities"], "terms": [_term(t) for t in agreement["terms"]],
            "performance": agreement["performance"], "code": codes.display(record["verification_code"]) if record else "",
        },
        "materials": listed,
        "contacts": [{"name": a["name"], "phone": a.get("phone", ""), "address": a.get("address", "")} for a in applicants],
        "consents": [
            {"name": p["name"], "method": METHOD_ZH.get(given[p["id"]]["method"], ""), "on": given[p["id"]]["consented_at"].astimezone(zone).date()}
            for p in people if p["id"] in given
        ],
        "issued_on": datetime.now(UTC).astimezone(zone).date(),
    }


async def render_application(app: dict[str, Any], case: dict[str, Any]) -> bytes:
    """The PDF, rendered by the core's pipeline from the plugin's own template."""
    from core.documents import render_pdf_async

    return await render_pdf_async("judicial_confirm/application", await context(app, case))


# ---------------------------------------------------------------- the package


async def package(app: dict[str, Any], case: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """One ZIP: the application, the agreement's signed PDF (a written one), the ruling when
    attached, the case's evidence files listed as materials, and ``manifest.json``."""
    from core.agreements.documents import download

    files: list[tuple[str, bytes, str]] = [("application.pdf", read(app["document_key"]), "application")]
    agreement = await agreement_content(app)
    if agreement["record"]:
        pdf, _name = await download(agreement["record"]["id"], services.actor())
        files.append(("agreement.pdf", pdf, "agreement"))
    if app["ruling_key"]:
        files.append(("ruling.pdf", read(app["ruling_key"]), "ruling"))
    items = await services.materials(app["id"])
    evidence_ids = [m["evidence_id"] for m in items if m["evidence_id"]]
    if evidence_ids:
        from core.cases.evidence import read_evidence

        for row in await Evidence.select().where(Evidence.id.is_in(evidence_ids) & (Evidence.case == case["id"])):
            files.append((f"materials/{row['id']}-{safe_name(row['filename'])}", read_evidence(row), "material"))
    court = await Organisation.select(Organisation.name).where(Organisation.id == (app["court_org_id"] or -1)).first()
    committee = await Organisation.select(Organisation.name).where(Organisation.id == (app["committee_org_id"] or -1)).first()
    parties = {p["id"]: p for p in await Party.select().where(Party.case == case["id"])}
    given = {c["party_id"]: c for c in await services.consents(app["id"])}
    required = await services.required_parties(case)
    dtype = await DisputeType.select(DisputeType.label_zh).where(DisputeType.code == case["dispute_type"]).first()
    manifest = {
        "format": MANIFEST_FORMAT,
        "generated_at": datetime.now(UTC).isoformat(),
        "application": {
            "id": app["id"], "status": app["status"], "submitted_at": _iso(app["submitted_at"]),
            "window_closes_at": _iso(app["window_closes_at"]), "court": court["name"] if court else "",
            "court_case_number": app["court_case_number"], "accepted_at": _iso(app["accepted_at"]),
            "accepted_late": app["accepted_late"], "ruled_at": _iso(app["ruled_at"]),
            "ruling": app["status"] if app["status"] in ("confirmed", "rejected") else None, "next_step": app["next_step"] or None,
        },
        "case": {"number": case["number"], "dispute_type": case["dispute_type"], "dispute_type_label": dtype["label_zh"] if dtype else ""},
        "committee": committee["name"] if committee else "",
        "agreement": {
            "id": app["agreement_id"], "form": agreement["form"], "revision": agreement["revision"],
            "effective_at": _iso(agreement["effective_at"]), "content_sha256": agreement["content_sha256"] or None,
            "verification_code": agreement["record"]["verification_code"] if agreement["record"] else None,
            "terms": agreement["terms"],
        },
        "applicants": [
            {
                "party_id": p["id"], "role": p["role"], "kind": p["kind"], "name": p["name"],
                "id_type": "统一社会信用代码" if p["kind"] == "company" else "居民身份证", "id_number": p["id_number"],
                "phone": p["phone"], "address": p["address"],
                "consent": {"method": given[p["id"]]["method"], "at": _iso(given[p["id"]]["consented_at"])} if p["id"] in given else None,
            }
            for p in (parties[r["id"]] for r in required)
        ],
        "materials": [
            {"kind": m["kind"], "title": m["title"], "copies": m["copies"], "party_id": m["party_id"], "evidence_id": m["evidence_id"], "note": m["note"]}
            for m in items
        ],
        "files": [{"name": name, "kind": kind, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data, kind in files],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, _kind in files:
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return buffer.getvalue(), manifest


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None

