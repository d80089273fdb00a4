"""HTML pages: the signature pad for a party (``/sign/{token}``, no login: the token is the
credential), the staff's agreement page (``/admin/cases/{id}/agreement``, in the admin's layout
when it is installed) and the public verification page (``/verify``)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect

from core.actors import Actor
from core.agreements import codes, images, signatures, tokens, verification
from core.agreements.api import limit_verify, origin, read_upload
from core.agreements.contexts import ROLE_ZH
from core.agreements.effects import snapshot_of
from core.api.deps import optional_actor
from core.cases.access import mask_id_number, mask_phone
from core.cases.tables import Agreement, Case
from core.errors import JiefenError, NotFound, ValidationFailed
from core.i18n import gettext
from core.settings import get_settings

HERE = Path(__file__).parent
PAD_JS = HERE / "static" / "pad.js"
ADMIN_LAYOUT = "base.html"  # web/templates/base.html, when the admin is installed
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
SIGNER_ZH = {**ROLE_ZH, "mediator": "人民调解员", "committee": "调解委员会印章"}


@functools.cache
def environment() -> Environment:
    loaders = [FileSystemLoader(HERE / "templates")]
    try:
        from web import TEMPLATE_DIR

        loaders.append(FileSystemLoader(TEMPLATE_DIR))
    except ImportError:  # the admin is not installed: standalone pages only
        pass
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["mask_phone"], env.filters["mask_id"] = mask_phone, mask_id_number
    return env


def has_admin_layout() -> bool:
    try:
        environment().get_template(ADMIN_LAYOUT)
        return True
    except Exception:
        return False


def html(template: str, context: dict[str, Any], status: int = 200) -> Response[str]:
    ctx = {
        "layout": "agreements/standalone.html", "_": lambda m, **p: gettext(m, "zh_CN", **p), "locale": "zh_CN",
        "tz": get_settings().zone, **context,
    }
    return Response(environment().get_template(template).render(ctx), media_type="text/html", status_code=status, headers=HEADERS)


def text_view(content: dict[str, Any]) -> dict[str, Any]:
    """The frozen text for a screen: names and roles, contact details masked."""
    parties = [
        {"role": ROLE_ZH.get(p["role"], p["role"]), "name": p["name"], "phone": mask_phone(p.get("phone") or ""), "id_number": mask_id_number(p.get("id_number") or "")}
        for p in content["parties"]
    ]
    return {**content, "parties": parties}


async def _final(agreement_id: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    agreement = await Agreement.select().where(Agreement.id == agreement_id).first()
    snapshot = await snapshot_of(agreement_id)
    if agreement is None or snapshot is None:
        raise NotFound()
    case = await Case.select(Case.id, Case.number, Case.state).where(Case.id == agreement["case"]).first()
    return agreement, snapshot, case


def _party_actor(case_id: int) -> Actor:
    return Actor(kind="party", roles=frozenset({"party"}), case_id=case_id, name="party")


@get("/sign/pad.js", include_in_schema=False, media_type="text/javascript")
async def pad_js() -> Response[bytes]:
    return Response(PAD_JS.read_bytes(), media_type="text/javascript", headers={"Cache-Control": "max-age=300"})


@get("/sign/{token:str}", include_in_schema=False)
async def sign_page(token: FromPath[str]) -> Response[str]:
    try:
        link = tokens.read(token)
        agreement, snapshot, case = await _final(link.agreement_id)
    except NotFound as exc:
        return html("agreements/message.html", {"title": "签字链接无效", "message": gettext(exc.message, "zh_CN")}, 404)
    signer = next((s for s in snapshot["required"] if s["key"] == f"party:{link.party_id}"), None)
    if signer is None:
        return html("agreements/message.html", {"title": "签字链接无效", "message": "该链接不适用于本协议。"}, 404)
    state = await signatures.status(agreement["id"], _party_actor(case["id"]))
    done = any(r["key"] == signer["key"] and r["signed"] for r in state["required"])
    return html("agreements/sign.html", {
        "mode": "party", "case": case, "agreement": agreement, "text": text_view(snapshot["content"]), "signer": signer,
        "signer_role": SIGNER_ZH.get(signer["role"], signer["role"]), "done": done, "open": agreement["status"] == "final",
        "post_url": f"/sign/{token}", "method": link.method,
    })


class PadIn(msgspec.Struct, forbid_unknown_fields=True):
    image: str
    consent: bool = False


@post("/sign/{token:str}", include_in_schema=False, status_code=201)
async def sign_submit(token: FromPath[str], data: JSONBody[PadIn], request: Request[Any, Any, Any]) -> dict[str, Any]:
    link = tokens.read(token)
    if not data.consent:
        raise ValidationFailed("Confirm that you have read the agreement and agree to it.")
    agreement = await Agreement.select(Agreement.id, Agreement.case).where(Agreement.id == link.agreement_id).first()
    if agreement is None:
        raise NotFound()
    result = await signatures.add_signature(
        agreement["id"], _party_actor(agreement["case"]), signer_key=f"party:{link.party_id}", method=link.method,
        image=images.from_data_url(data.image), origin=origin(request),
    )
    return {k: result[k] for k in ("collected", "required", "effective")}


@get("/admin/cases/{case_id:int}/agreement", include_in_schema=False)
async def admin_page(case_id: FromPath[int], request: Request[Any, Any, Any]) -> Response[Any]:
    """The agreement's signatures for staff: the mediator's pad, links for the parties, the seal."""
    actor = await optional_actor(request)
    if actor is None or actor.kind != "staff":
        return Redirect(f"/admin/login?next=/admin/cases/{case_id}/agreement")
    case = await Case.select().where(Case.id == case_id).first()
    from core.cases.access import can_see

    if case is None or not can_see(actor, case):
        raise NotFound()
    agreement = await Agreement.select().where(Agreement.case == case_id).order_by(Agreement.revision, ascending=False).first()
    snapshot = await snapshot_of(agreement["id"]) if agreement else None
    state = await signatures.status(agreement["id"], actor) if agreement else None
    context: dict[str, Any] = {
        "mode": "staff", "case": case, "agreement": agreement, "text": text_view(snapshot["content"]) if snapshot else None,
        "state": state, "signer_zh": SIGNER_ZH, "me": actor.user_id, "open": bool(agreement and agreement["status"] == "final"),
        "csrf": request.scope.get("jiefen_csrf", ""),  # type: ignore[call-overload]
    }
    if has_admin_layout():
        try:
            from web.render import base_context

            context = {**base_context(request, actor), **context, "layout": ADMIN_LAYOUT}
        except Exception:  # the admin's helpers changed: fall back to the standalone frame
            pass
    return html("agreements/sign.html", context)


@get("/verify", include_in_schema=False)
async def verify_form(request: Request[Any, Any, Any], code: FromQuery[str] = "") -> Response[str]:
    if code.strip():
        return await _verify_code(code, request)
    return html("agreements/verify.html", {"result": None})


@get("/verify/{code:str}", include_in_schema=False)
async def verify_code_page(code: FromPath[str], request: Request[Any, Any, Any]) -> Response[str]:
    return await _verify_code(code, request)


async def _verify_code(code: str, request: Request[Any, Any, Any]) -> Response[str]:
    await limit_verify(request)
    return html("agreements/verify.html", {"result": await verification.by_code(code), "code": codes.normalise(code) or code[:20], "by": "code"})


@post("/verify", include_in_schema=False, status_code=200)
async def verify_upload_page(request: Request[Any, Any, Any]) -> Response[str]:
    await limit_verify(request)
    try:
        result = await verification.by_file(await read_upload(request))
    except JiefenError as exc:
        return html("agreements/verify.html", {"result": None, "error": gettext(exc.message, "zh_CN", **exc.params)}, exc.status_code)
    return html("agreements/verify.html", {"result": {"found": True, **result}, "by": "file"})


PAGES = [pad_js, sign_page, sign_submit, admin_page, verify_form, verify_code_page, verify_upload_page]
