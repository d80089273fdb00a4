"""The public pages: ``/apply`` (the online application) and ``/track/{token}`` (a party's
case). Plain forms that work without JavaScript; the script only adds a code countdown and
shrinks photos before upload."""

from __future__ import annotations

import re
import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, UploadFile
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from core.errors import JiefenError, ValidationFailed
from core.i18n import gettext
from core.parties import apply, feedback, otp, roster, signing, tracking
from core.parties.auth import COOKIE, client_ip, party_context, throttle
from core.parties.render import HEADERS, STATIC, html
from core.parties.settings import party_settings
from core.parties.view import case_view
from core.settings import get_settings


def _message(exc: JiefenError) -> str:
    """The error in Chinese, naming the form fields it is about."""
    text = gettext(exc.message, "zh_CN", **exc.params)
    named = []
    for error in getattr(exc, "errors", None) or []:
        found = re.search(r"at `([^`]+)`", str(error.get("message", "")))
        name = FIELD_NAMES.get(found.group(1) if found else str(error.get("field", "")), "")
        if name and name not in named:
            named.append(name)
    return f"{text}({'、'.join(named)})" if named else text


FIELD_NAMES = {
    "$.applicant.name": "申请人姓名", "$.applicant.phone": "申请人手机号", "$.respondent.name": "对方姓名",
    "$.respondent.phone": "对方电话", "$.description": "事情经过", "$.dispute_type": "纠纷类型", "$.code": "验证码",
    "$.amount": "涉及金额", "phone": "手机号", "agree_privacy": "同意个人信息处理说明", "mediator_id": "调解员",
}


async def _apply_context(request: Request[Any, Any, Any], values: dict[str, Any]) -> dict[str, Any]:
    centres = await roster.centres()
    wanted = values.get("centre_id") or request.query_params.get("centre")
    centre = next((c for c in centres if str(c["id"]) == str(wanted)), centres[0] if len(centres) == 1 else None)
    return {
        "centres": centres, "centre": centre, "values": values, "types": await roster.dispute_types(centre_path=centre["path"] if centre else None),
        "mediators": await roster.mediator_cards(centre) if centre else [],
        "places": await roster.places(centre) if centre else [],
        "idem": values.get("idem") or secrets.token_urlsafe(18), "max_photos": party_settings().max_photos,
    }


def _form_values(form: Any) -> dict[str, Any]:
    return {k: form.get(k, "") for k in (
        "centre_id", "dispute_type", "description", "applicant_name", "applicant_phone", "respondent_name",
        "respondent_phone", "respondent_kind", "mediator_id", "place_id", "preferred_time", "preferred_mode",
        "preferred_place", "amount", "code", "agree_privacy", "idem",
    )}


def _application(values: dict[str, Any]) -> apply.ApplicationIn:
    def num(value: Any) -> int | None:
        return int(value) if str(value or "").isdecimal() else None  # isdigit() takes "²", int() does not

    return apply.parse({
        "centre_id": num(values["centre_id"]) or 0, "dispute_type": values["dispute_type"],
        "description": values["description"], "code": values["code"].strip(),
        "applicant": {"name": values["applicant_name"], "phone": values["applicant_phone"]},
        "respondent": {"name": values["respondent_name"], "phone": values["respondent_phone"],
                       "kind": "company" if values["respondent_kind"] == "company" else "person"},
        "mediator_id": num(values["mediator_id"]), "place_id": num(values["place_id"]),
        "preferred_time": values["preferred_time"].replace("T", " "), "preferred_mode": values["preferred_mode"],
        "preferred_place": values["preferred_place"], "amount": values["amount"].strip(),
        "agree_privacy": values["agree_privacy"] in ("on", "1", "true"),
    })


def _cookie(token: str) -> Cookie:
    return Cookie(
        key=COOKIE, value=token, max_age=party_settings().session_minutes * 60, httponly=True, samesite="lax",
        secure=get_settings().base_url.startswith("https://"), path="/",
    )


class ApplyPages(Controller):
    path = "/apply"
    include_in_schema = False

    @get("/")
    async def form(self, request: Request[Any, Any, Any]) -> Response[str]:
        return html("parties/apply.html", **await _apply_context(request, {}))

    @post("/code")
    async def code(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Without JavaScript: send the code and show the form again, filled in."""
        form = await request.form()
        values = _form_values(form)
        notice, error, status = "", "", 200
        try:
            await throttle(request)
            await otp.issue(values["applicant_phone"], "apply", ip=client_ip(request))
            notice = "验证码已发送,10分钟内有效。"
        except JiefenError as exc:
            error, status = _message(exc), exc.status_code
        return html("parties/apply.html", status=status, notice=notice, error=error, **await _apply_context(request, values))

    @post("/", request_max_body_size=64 * 1024 * 1024)
    async def submit(self, request: Request[Any, Any, Any]) -> Response[str]:
        form = await request.form()
        values = _form_values(form)
        try:
            await throttle(request)
            photos = [(f.filename or "photo", await f.read()) for f in form.getall("photos", []) if isinstance(f, UploadFile) and f.filename]
            result = await apply.submit(_application(values), ip=client_ip(request), idempotency_key=values["idem"], photos=photos)
        except JiefenError as exc:
            values["code"] = ""
            return html("parties/apply.html", status=exc.status_code, error=_message(exc), **await _apply_context(request, values))
        return html("parties/applied.html", status=201, cookies=[_cookie(result["session_token"])], result=result)


class TrackPages(Controller):
    path = "/track/{token:str}"
    include_in_schema = False

    async def _ctx(self, request: Request[Any, Any, Any], token: str, form_csrf: str | None = None) -> tracking.PartyContext | None:
        try:
            return await party_context(request, link_token=token, form_csrf=form_csrf)
        except JiefenError:
            return None

    @get("/")
    async def show(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
        ctx = await self._ctx(request, token)
        if ctx is None:
            return await _verify_page(token)
        return html("parties/track.html", token=token, csrf=ctx.csrf, case=await case_view(ctx), done=request.query_params.get("done", ""))

    @post("/code")
    async def send_code(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
        try:
            await throttle(request)
            sent = await tracking.send_code(token, client_ip(request))
        except JiefenError as exc:
            return await _verify_page(token, error=_message(exc), status=exc.status_code)
        return await _verify_page(token, notice=f"验证码已发送至 {sent['phone']},10分钟内有效。", sent=True)

    @post("/verify")
    async def verify(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
        form = await request.form()
        try:
            await throttle(request)
            session = await tracking.verify_code(token, str(form.get("code", "")).strip(), client_ip(request))
        except JiefenError as exc:
            return await _verify_page(token, error=_message(exc), status=exc.status_code, sent=True)
        return Redirect(f"/track/{token}", status_code=303, cookies=[_cookie(session["session_token"])], headers=HEADERS)

    @post("/{action:str}", request_max_body_size=64 * 1024 * 1024)
    async def act(self, request: Request[Any, Any, Any], token: FromPath[str], action: FromPath[str]) -> Response[Any]:
        form = await request.form()
        ctx = await self._ctx(request, token, form_csrf=str(form.get("csrf", "")))
        if ctx is None:
            return await _verify_page(token, error="请重新验证手机号后再操作。", status=401)
        try:
            done = await _do(action, ctx, form)
        except JiefenError as exc:
            return html("parties/track.html", status=exc.status_code, token=token, csrf=ctx.csrf, case=await case_view(ctx), error=_message(exc))
        if action == "logout":
            return Redirect(f"/track/{token}", status_code=303, cookies=[Cookie(key=COOKIE, value="", max_age=0, path="/")], headers=HEADERS)
        return Redirect(f"/track/{token}?done={done}#{done}", status_code=303, headers=HEADERS)

    @get("/sessions/{session_id:int}/calendar.ics")
    async def ics(self, request: Request[Any, Any, Any], token: FromPath[str], session_id: FromPath[int]) -> Response[Any]:
        ctx = await self._ctx(request, token)
        if ctx is None:
            return Redirect(f"/track/{token}", status_code=303)
        body = await feedback.session_ics(ctx, session_id)
        return Response(body, media_type="text/calendar", headers={**HEADERS, "Content-Disposition": f'attachment; filename="session-{session_id}.ics"'})

    @get("/agreement.pdf")
    async def pdf(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
        ctx = await self._ctx(request, token)
        if ctx is None:
            return Redirect(f"/track/{token}", status_code=303)
        body = await signing.agreement_pdf(ctx.case_id)
        if body is None:
            return html("parties/error.html", status=404, message="协议文件尚未生成。")
        return Response(body, media_type="application/pdf", headers={**HEADERS, "Content-Disposition": 'attachment; filename="agreement.pdf"'})


async def _do(action: str, ctx: tracking.PartyContext, form: Any) -> str:
    """A form's action on the case; returns the section to come back to."""
    import msgspec

    def parse(struct: Any, raw: dict[str, Any]) -> Any:
        try:
            return msgspec.convert(raw, struct, strict=False)
        except msgspec.ValidationError as exc:
            raise ValidationFailed(errors=[{"message": str(exc)}]) from exc

    if action == "rating":
        performed = {"yes": True, "no": False}.get(str(form.get("performed", "")))
        rating = int(form.get("rating")) if str(form.get("rating", "")).isdecimal() else 0
        await feedback.rate(ctx, parse(feedback.RatingIn, {"rating": rating, "comment": form.get("comment", ""), "performed": performed}))
        return "rating"
    if action == "messages":
        await feedback.leave_message(ctx, parse(feedback.MessageIn, {"text": form.get("text", "")}))
        return "messages"
    if action == "photos":
        photos = [(f.filename or "photo", await f.read()) for f in form.getall("photos", []) if isinstance(f, UploadFile) and f.filename]
        if not photos:
            raise ValidationFailed("Choose at least one photo.")
        await feedback.add_photos(ctx, photos)
        return "application"
    if action == "withdraw":
        await feedback.withdraw(ctx, parse(feedback.WithdrawIn, {"reason": form.get("reason", "")}))
        return "status"
    if action == "logout":
        await tracking.end_session_by_id(ctx.session_id)
        return ""
    from core.errors import NotFound

    raise NotFound()


async def _verify_page(token: str, *, error: str = "", notice: str = "", status: int = 200, sent: bool = False) -> Response[str]:
    link = await tracking.find_link(token)
    if link is None:
        return html("parties/error.html", status=404, message="链接无效或已失效。请使用申请成功后获得的查询链接,或致电调解中心。")
    from core.cases.access import mask_phone

    return html("parties/verify.html", status=status, token=token, phone=mask_phone(link["phone"]), error=error, notice=notice, sent=sent)


static = create_static_files_router(path="/parties/static", directories=[STATIC], name="parties-static", include_in_schema=False)
