"""The case page and its forms: every action posts here and goes through the lifecycle."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from core.actors import Actor
from core.api.cases import _log_view
from core.cases.access import may_reveal
from core.cases.evidence import add_evidence
from core.cases.lifecycle import TRANSITIONS, transition
from core.cases.service import get_case
from core.cases.tables import Party
from core.errors import Forbidden, JiefenError, NotFound
from web.actions import BLANK_TERM, action_data
from web.case_data import case_context
from web.deps import web_actor
from web.forms import TERM_FIELDS, flat, message_for, row_op, rows
from web.render import hx_target, is_htmx, page, redirect, translator


def _ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


class CasePages(Controller):
    path = "/cases/{case_id:int}"
    dependencies = {"actor": Provide(web_actor)}

    @get("/", name="case_page")
    async def show(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Any:
        done = request.query_params.get("done", "")
        ctx = await case_context(case_id, actor, done=done if done in TRANSITIONS or done == "add_evidence" else "")
        from core.privacy.sensitive import view_label

        await _log_view(actor, case_id, None, view_label(actor, ctx["case"]), _ip(request))
        block = "case_main" if hx_target(request) == "case_main" else None
        return page(request, actor, "case.html", ctx, block=block)

    @post("/act/{event:str}", name="case_act")
    async def act(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int], event: FromPath[str]) -> Any:
        if event not in TRANSITIONS:
            raise NotFound()
        values = flat(await request.form())
        op = values.get("_op", "submit")
        if event == "agree":
            changed = row_op(op, rows(values, "term", TERM_FIELDS) or [dict(BLANK_TERM)], "term", BLANK_TERM)
            if changed is not None:
                ctx = await case_context(case_id, actor, values=values, open_event="agree", terms=changed)
                return self._main(request, actor, ctx)
        _ = translator(actor.locale)
        try:
            data = await action_data(event, values)
            await transition(case_id, event, actor, data)
        except JiefenError as exc:
            message, field = message_for(exc, _)
            terms = rows(values, "term", TERM_FIELDS) if event == "agree" else None
            ctx = await case_context(
                case_id, actor, values=values, open_event=event, terms=terms,
                error={"event": event, "message": message, "field": field},
            )
            return self._main(request, actor, ctx, status=exc.status_code)
        if is_htmx(request):
            try:
                ctx = await case_context(case_id, actor, done=event)
            except NotFound:  # the action moved the case out of this user's sight
                return redirect(request, "/admin/cases")
            return self._main(request, actor, ctx, headers={"HX-Push-Url": "false"})
        return redirect(request, f"/admin/cases/{case_id}?done={event}")

    @post("/parties/{party_id:int}/reveal", name="party_reveal")
    async def reveal(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int], party_id: FromPath[int]) -> Any:
        case = await get_case(case_id, actor)
        if not may_reveal(actor, case):
            raise Forbidden()
        party = await Party.select().where((Party.id == party_id) & (Party.case == case_id)).first()
        if party is None:
            raise NotFound("No such party on this case.")
        await _log_view(actor, case_id, party_id, "party.contact", _ip(request))
        shown = {k: party[k] for k in ("name", "phone", "id_number", "address")}
        if hx_target(request) == f"party-{party_id}":
            ctx = await case_context(case_id, actor, revealed={party_id: shown})
            ctx["p"] = next(p for p in ctx["parties"] if p["id"] == party_id)
            return page(request, actor, "case.html", ctx, block="party_row")
        ctx = await case_context(case_id, actor, revealed={party_id: shown})
        return page(request, actor, "case.html", ctx)

    @post("/evidence", name="case_evidence_upload")
    async def upload(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Any:
        form = await request.form()
        upload = form.get("file")
        description = str(form.get("description", ""))[:255]
        _ = translator(actor.locale)
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                from web.forms import FormError

                raise FormError("Choose a file.", "file")
            await add_evidence(case_id, actor, upload.filename, await upload.read(), description)
        except JiefenError as exc:
            if isinstance(exc, NotFound):
                raise
            message, field = message_for(exc, _)
            ctx = await case_context(case_id, actor, open_event="add_evidence", error={"event": "add_evidence", "message": message, "field": field})
            return self._main(request, actor, ctx, status=exc.status_code)
        if is_htmx(request):
            return self._main(request, actor, await case_context(case_id, actor, done="add_evidence"))
        return redirect(request, f"/admin/cases/{case_id}?done=add_evidence")

    @staticmethod
    def _main(request: Request[Any, Any, Any], actor: Actor, ctx: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Any:
        """HTMX swaps the page's main region; a plain form gets the whole page."""
        block = "case_main" if is_htmx(request) else None
        return page(request, actor, "case.html", ctx, block=block, status=status, headers=headers)
