"""RFC 9457 problem details, in the requester's language."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException

from core.api.deps import request_locale
from core.errors import JiefenError
from core.i18n import gettext

log = logging.getLogger("jiefen.api")
PROBLEM_JSON = "application/problem+json"


def problem(request: Request[Any, Any, Any], status: int, code: str, detail: str, **extra: Any) -> Response[Any]:
    locale = request_locale(request)
    body = {
        "type": f"https://jiefen.invalid/problems/{code}",
        "title": gettext(_TITLES.get(status, "The request could not be processed."), locale),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
        **extra,
    }
    headers = {"Retry-After": "60"} if status == 429 else None
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_TITLES = {
    400: "The request could not be processed.",
    401: "Please sign in.",
    403: "You are not allowed to do this.",
    404: "Not found.",
    409: "Someone else changed this case first. Reload and try again.",
    413: "The file is larger than {limit} bytes.",
    422: "Some fields are missing or wrong.",
    429: "Too many requests. Please wait a minute and try again.",
}


def jiefen_error(request: Request[Any, Any, Any], exc: JiefenError) -> Response[Any]:
    locale = request_locale(request)
    detail = gettext(exc.message, locale, **exc.params)
    resp = problem(request, exc.status_code, exc.code, detail, **exc.extra())
    if exc.status_code in (409, 413):
        resp.content["title"] = detail  # type: ignore[index]
    return resp


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    locale = request_locale(request)
    errors = exc.extra if isinstance(exc.extra, list) else ([exc.extra] if exc.extra else [])
    return problem(request, 422, "validation_failed", gettext("Some fields are missing or wrong.", locale), errors=errors)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    locale = request_locale(request)
    if isinstance(exc, NotFoundException):
        return problem(request, 404, "not_found", gettext("Not found.", locale))
    code = {405: "method_not_allowed", 413: "too_large", 415: "unsupported_media", 400: "bad_request"}.get(exc.status_code, "error")
    return problem(request, exc.status_code, code, str(exc.detail))


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem(request, 500, "internal_error", "服务器内部错误,请稍后再试。" if request_locale(request) != "en" else "Internal error. Please try again later.")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    JiefenError: jiefen_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    500: internal_error,
}
