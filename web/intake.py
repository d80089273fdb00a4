"""Intake at the window or on the phone: register a case in one go, warn of a likely
repeat while the phone is typed, attach evidence, then print the acceptance receipt."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from core.actors import Actor
from core.api.cases import _log_view
from core.cases import schemas as s
from core.cases.evidence import add_evidence, sniff
from core.cases.lifecycle import DESK, INTAKE
from core.cases.service import create_case, get_case, likely_duplicates
from core.cases.tables import CHANNELS, RISK_LEVELS, Party
from core.errors import Forbidden, JiefenError, TooLarge
from core.orgs.tables import Organisation
from core.settings import get_settings
from web import queries
from web.deps import web_actor
from web.forms import (
    PARTY_FIELDS,
    FormError,
    checked,
    convert,
    flat,
    is_blank,
    message_for,
    optional_int,
    party_data,
    row_op,
    rows,
)
from web.render import hx_target, page, redirect, translator

BLANK_PARTY = {"role": "applicant", "kind": "person", "name": "", "phone": "", "id_number": "", "address": "", "represented_count": ""}


def _default_parties() -> list[dict[str, str]]:
    return [dict(BLANK_PARTY), {**BLANK_PARTY, "role": "respondent"}]


async def _context(actor: Actor, values: dict[str, str], parties: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    types = await queries.dispute_types(offered_at=actor.org_path)
    return {
        "v": values, "parties": parties, "types": types, "type_label": queries.type_label(types, actor.locale),
        "channels": CHANNELS, "risks": RISK_LEVELS, "places": await queries.subtree(actor, tree_only=True),
        "accepts": actor.has_any(DESK), "duplicates": extra.pop("duplicates", []), "error": "", "error_field": "",
        "max_mb": get_settings().max_upload_bytes // (1024 * 1024), **extra,
    }


class IntakePages(Controller):
    path = "/intake"
    dependencies = {"actor": Provide(web_actor)}

    @get("/", name="intake")
    async def form(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        if not actor.has_any(INTAKE):
            raise Forbidden()
        channel = request.query_params.get("channel") or "walk_in"
        values = {"channel": channel if channel in CHANNELS else "walk_in", "risk_level": "low"}
        return page(request, actor, "intake.html", await _context(actor, values, _default_parties()))

    @get("/duplicates", name="intake_duplicates")
    async def duplicates(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        values = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
        parties = rows(values, "party", PARTY_FIELDS)
        found = await _duplicates(parties, values.get("dispute_type", ""), actor)
        return page(request, actor, "intake.html", {**await _context(actor, values, parties), "duplicates": found}, block="intake_duplicates")

    @post("/", name="intake_submit")
    async def submit(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        if not actor.has_any(INTAKE):
            raise Forbidden()
        form = await request.form()
        values = flat(form)
        parties = rows(values, "party", PARTY_FIELDS) or _default_parties()
        op = values.get("_op", "submit")
        changed = row_op(op, parties, "party", {**BLANK_PARTY, "role": "respondent"})
        if changed is not None:
            ctx = await _context(actor, values, changed, focus_party=len(changed) - 1 if op.startswith("add") else None)
            return _form(request, actor, ctx)
        _ = translator(actor.locale)
        try:
            data = _case_in(values, parties, actor)
            files = await _files(form)
            found = await _duplicates(parties, data.dispute_type, actor)
            if found and not checked(values, "ack_duplicates"):
                ctx = await _context(actor, values, parties, duplicates=found, must_ack=True,
                                     error=_("This may repeat an earlier case. Check the cases below, then confirm to register anyway."))
                return _form(request, actor, ctx, status=409)
            created = await create_case(data, actor)
        except JiefenError as exc:
            message, field = message_for(exc, _)
            ctx = await _context(actor, values, parties, error=message, error_field=field)
            return _form(request, actor, ctx, status=exc.status_code if exc.status_code != 400 else 422)
        failed = []
        for name, content in files:
            try:
                await add_evidence(created["id"], actor, name, content)
            except JiefenError:
                failed.append(name)
        suffix = "?new=1" + ("&failed=" + str(len(failed)) if failed else "")
        return redirect(request, f"/admin/cases/{created['id']}/receipt{suffix}")


def _form(request: Request[Any, Any, Any], actor: Actor, ctx: dict[str, Any], status: int = 200) -> Any:
    """The form again (with the user's input): just the form's block for HTMX."""
    block = "intake_form" if hx_target(request) == "intake_form" else None
    return page(request, actor, "intake.html", ctx, block=block, status=status)


def _case_in(values: dict[str, str], parties: list[dict[str, str]], actor: Actor) -> s.CaseIn:
    kept = [p for p in parties if not is_blank(p)]
    if not kept:
        raise FormError("Enter at least one party.", "parties")
    accept = actor.has_any(DESK)
    if accept and not (checked(values, "rights_notified") and checked(values, "consent")):
        raise FormError("Record that the parties were told their rights and consented to mediation.", "rights_notified")
    body: dict[str, Any] = {
        "channel": values.get("channel") or "walk_in", "dispute_type": values.get("dispute_type", ""),
        "title": values.get("title", "").strip(), "description": values.get("description", "").strip(),
        "risk_level": values.get("risk_level") or "low", "parties": [party_data(p) for p in kept],
        "accept_now": accept, "rights_notified": accept and checked(values, "rights_notified"),
        "consent": accept and checked(values, "consent"),
    }
    if values.get("amount", "").strip():
        body["amount"] = values["amount"].strip().replace(",", "")
    place = optional_int(values.get("place_id"), "place_id")
    if place is not None:
        body["place_id"] = place
    if not body["dispute_type"]:
        raise FormError("{field} is required.", "dispute_type", field=_label("Dispute type", actor))
    return convert(body, s.CaseIn)


def _label(message: str, actor: Actor) -> str:
    return translator(actor.locale)(message)


async def _files(form: Any) -> list[tuple[str, bytes]]:
    """The chosen files, checked before the case is written (type from content, size)."""
    limit = get_settings().max_upload_bytes
    out = []
    for upload in form.getall("evidence", []):
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        content = await upload.read()
        if not content:
            continue
        if len(content) > limit:
            raise TooLarge(limit=limit)
        sniff(content)
        out.append((upload.filename, content))
    return out


async def _duplicates(parties: list[dict[str, str]], dispute_type: str, actor: Actor) -> list[dict[str, Any]]:
    phones = [p.get("phone", "").strip() for p in parties if len(p.get("phone", "").strip()) >= 7]
    ids = [p.get("id_number", "").strip().upper() for p in parties if len(p.get("id_number", "").strip()) >= 15]
    return await likely_duplicates(phones, ids, dispute_type, actor)


class ReceiptPage(Controller):
    path = "/cases/{case_id:int}/receipt"
    dependencies = {"actor": Provide(web_actor)}

    @get("/", name="receipt")
    async def receipt(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Any:
        case = await get_case(case_id, actor)
        parties = await Party.select().where(Party.case == case_id).order_by(Party.id)
        org = await Organisation.select().where(Organisation.id == case["org"]).first()
        types = await queries.dispute_types(active_only=False)
        # The receipt names the parties in full: it is handed to them. Recorded like a reveal.
        await _log_view(actor, case_id, None, "case.receipt", request.client.host if request.client else "")
        return page(request, actor, "receipt.html", {
            "case": case, "parties": parties, "org": org, "type_label": queries.type_label(types, actor.locale),
            "new": request.query_params.get("new") == "1", "failed": request.query_params.get("failed", ""),
        })
