"""RFC 9457 problem details, in the requester's language."""

from __future__ import annotations

import logging
from typing import Any, TypedDict

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

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
    headers = {"Retry-After": "60"} if status == 429 else ({"Retry-After": "5"} if status == 503 else None)
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
    503: "The service is briefly unavailable. Please try again in a moment.",
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
    if exc.status_code == 413:  # the body is over request_max_body_size: say so in the user's words
        from core.settings import get_settings

        return problem(request, 413, code, gettext("The file is larger than {limit} bytes.", locale, limit=get_settings().max_upload_bytes))
    return problem(request, exc.status_code, code, str(exc.detail))


def out_of_range(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # A number or text the database cannot hold (an id past 64 bits, a NUL in text) is bad
    # input, not a server fault: SQLite raises OverflowError, asyncpg a DataError.
    locale = request_locale(request)
    return problem(
        request, 422, "validation_failed", gettext("Some fields are missing or wrong.", locale),
        errors=[{"message": "A number or a text is outside what can be stored."}],
    )


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    from core.db import unavailable

    if unavailable(exc):
        # The database restarts or is gone for a moment: say so, and that a retry will do.
        log.warning("database unavailable on %s: %s: %s", request.url.path, type(exc).__name__, exc)
        return problem(request, 503, "unavailable", gettext("The service is briefly unavailable. Please try again in a moment.", request_locale(request)))
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem(request, 500, "internal_error", "服务器内部错误,请稍后再试。" if request_locale(request) != "en" else "Internal error. Please try again later.")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    JiefenError: jiefen_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    OverflowError: out_of_range,
    500: internal_error,
}
try:
    import asyncpg.exceptions as _pg

    _BAD_INPUT = (_pg.NumericValueOutOfRangeError, _pg.CharacterNotInRepertoireError, _pg.UntranslatableCharacterError)

    def postgres_data_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        # asyncpg raises DataError both for an argument it cannot encode (an id past int32/int64)
        # and for other data exceptions; only the input's own faults are the client's.
        if isinstance(exc, _BAD_INPUT) or "invalid input for query argument" in str(exc):
            return out_of_range(request, exc)
        return internal_error(request, exc)

    EXCEPTION_HANDLERS[_pg.DataError] = postgres_data_error
except ImportError:  # SQLite-only installs
    pass


class _ProblemFields(TypedDict):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str


class Problem(_ProblemFields, total=False):
    """An RFC 9457 problem as every error response carries it (``code`` is ours, stable);
    ``errors`` lists the fields that failed validation."""

    errors: list[dict[str, Any]]


_PROBLEM_DESCRIPTIONS = {
    400: "Bad request: a parameter or the body cannot be used",
    401: "Not signed in (no or expired session, unknown API key)",
    403: "Signed in but not allowed, or the CSRF token is missing",
    404: "No such object, or not visible to you",
    409: "Conflict: stale version, or the action is not allowed in the case's state",
    413: "The upload is too large",
    415: "The file type is not accepted",
    422: "Some fields are missing or wrong (see errors)",
    429: "Too many requests; retry after the Retry-After seconds",
}
# Operations anyone may call without signing in (they still refuse bad input).
_ANONYMOUS_PREFIXES = (
    "/api/v1/public/", "/open311/v2/discovery", "/open311/v2/services", "/api/v1/party/centres", "/api/v1/party/dispute-types",
    "/api/v1/notifications/ics/",
)


class Open311Error(TypedDict):
    code: int
    description: str


def problem_statuses(path: str, method: str, has_body: bool) -> list[int]:
    statuses = [400, 404, 422, 429]
    if not (method == "GET" and path.startswith(_ANONYMOUS_PREFIXES)):
        statuses += [401, 403, 409]  # 409: a stale version, or not in this state
    if has_body:
        statuses += [413, 415]
    return sorted(statuses)


def _problem_spec(path: str, status: int) -> ResponseSpec:
    if path.startswith("/open311/"):
        # GeoReport v2 answers errors with its own array, as its clients expect.
        return ResponseSpec(list[Open311Error], description=_PROBLEM_DESCRIPTIONS[status], generate_examples=False)
    return ResponseSpec(Problem, description=_PROBLEM_DESCRIPTIONS[status], media_type=PROBLEM_JSON, generate_examples=False)


def document_problems(app: Any) -> None:
    """Declare the problem responses of every operation in the OpenAPI document, with their
    media type; the handlers' own ``responses`` win where they name a status."""
    from litestar.routes import HTTPRoute

    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            has_body = "data" in handler.parsed_fn_signature.parameters
            for method in handler.http_methods:
                specs = {status: _problem_spec(route.path, status) for status in problem_statuses(route.path, method, has_body)}
                handler.responses = {**specs, **(handler.responses or {})}
