"""``/open311/v2``: GeoReport v2 over JSON, for 311-style reporting apps (随手拍).

Authentication is the spec's ``api_key`` parameter (query or form), mapped to a Jiefen API key
with scopes ``open311:create`` / ``open311:read``; errors are GeoReport error arrays.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from litestar import Request, Response, Router, get, post
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import FromPath

from core.errors import JiefenError, NotFound
from core.i18n import gettext
from core.integrations import open311
from core.integrations.keys import authenticate
from core.settings import get_settings


class Endpoint(TypedDict):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(TypedDict):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class GeoService(TypedDict):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class RequestFiled(TypedDict):
    service_request_id: str
    service_notice: str
    account_id: str | None


class GeoRequest(TypedDict):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str | None
    updated_datetime: str | None
    expected_datetime: str | None
    address: str
    address_id: str
    zipcode: None
    lat: float | None
    long: float | None
    media_url: str | None


async def _params(request: Request[Any, Any, Any]) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _key(request: Request[Any, Any, Any], params: dict[str, Any]) -> str | None:
    auth = request.headers.get("authorization", "")
    return params.get("api_key") or request.headers.get("x-api-key") or (auth[7:].strip() if auth.lower().startswith("bearer ") else None)


@get("/discovery.json", summary="GeoReport discovery")
async def discovery() -> Discovery:
    base = get_settings().base_url.rstrip("/")
    return {
        "changeset": "2026-11-23T00:00:00+08:00", "contact": "", "key_service": f"{base}/admin/",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": f"{base}/open311/v2",
                       "changeset": "2026-11-23T00:00:00+08:00", "type": "production", "formats": ["application/json"]}],
    }


@get("/services.json", summary="Services of a town (jurisdiction_id = organisation id, or the key's own)")
async def services(request: Request[Any, Any, Any]) -> list[GeoService]:
    params = await _params(request)
    key = _key(request, params)
    actor = await authenticate(key, "open311:read") if key else None
    org = await open311.jurisdiction(actor, params.get("jurisdiction_id"))
    return [open311.service_view(x) for x in await open311.services_for(org["path"])]


@post("/requests.json", summary="File a service request (becomes a case)", status_code=201)
async def create(request: Request[Any, Any, Any]) -> list[RequestFiled]:
    params = await _params(request)
    actor = await authenticate(_key(request, params), "open311:create")
    return [await open311.create_request(actor, params, request.headers.get("idempotency-key", ""))]


@get("/requests.json", summary="Service requests filed through Open311 that the key may see")
async def list_requests(request: Request[Any, Any, Any]) -> list[GeoRequest]:
    params = await _params(request)
    actor = await authenticate(_key(request, params), "open311:read")
    return await open311.list_requests(actor, params)


@get("/requests/{name:str}", summary="One service request: {service_request_id}.json")
async def read_request(request: Request[Any, Any, Any], name: FromPath[str]) -> list[GeoRequest]:
    if not name.endswith(".json"):
        raise NotFound()
    params = await _params(request)
    actor = await authenticate(_key(request, params), "open311:read")
    return [await open311.read_request(actor, name.removesuffix(".json"))]


def _errors(status: int, description: str) -> Response[Any]:
    headers = {"Retry-After": "60"} if status == 429 else None
    return Response([{"code": status, "description": description}], status_code=status, headers=headers)


def _jiefen_error(request: Request[Any, Any, Any], exc: JiefenError) -> Response[Any]:
    detail = gettext(exc.message, "en", **exc.params)
    errors = getattr(exc, "errors", None)
    if errors:
        detail += " " + "; ".join(f"{e.get('field', '')}: {e.get('message', '')}".strip(": ") for e in errors)
    return _errors(exc.status_code, detail)


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return _errors(400, str(exc.detail))


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return _errors(exc.status_code, str(exc.detail))


router = Router(
    path="/open311/v2", route_handlers=[discovery, services, create, list_requests, read_request], tags=["open311"],
    exception_handlers={JiefenError: _jiefen_error, ValidationException: _validation_error, HTTPException: _http_error},
)
