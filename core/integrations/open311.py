"""Open311 GeoReport v2: a town's services (codes → dispute types or a grid-issue intake),
filing a service request as a case, and reading its status back from the case."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from core.actors import Actor
from core.cases import schemas as s
from core.cases.access import can_see, visible_filter
from core.cases.service import create_case
from core.cases.tables import Case
from core.db import write_transaction
from core.errors import BadRequest, NotFound, ValidationFailed
from core.integrations.tables import Open311Request, Open311Service
from core.orgs.tables import Organisation
from core.settings import get_settings

CLOSED = frozenset({"closed", "rejected", "withdrawn"})
GRID_ISSUE = {
    "service_code": "grid_issue", "service_name": "网格事件上报", "description": "网格员或群众随手拍上报的矛盾纠纷线索",
    "group_name": "网格", "keywords": "随手拍,网格", "intake": "grid_issue", "dispute_type": "other", "channel": "grid",
}
STATUS_NOTES = {
    "submitted": "已收到,等待受理", "registered": "已受理", "rejected": "不予受理", "assigned": "已派单",
    "in_mediation": "调解中", "referred": "已转介", "agreed": "调解成功", "failed": "调解不成", "withdrawn": "已撤回",
    "closed": "已办结",
}
SERVICE_FIELDS = ("service_code", "service_name", "description", "group_name", "keywords", "intake", "dispute_type", "channel")


def ancestor_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p.isdigit()]


async def services_for(org_path: str) -> list[dict[str, Any]]:
    """The nearest organisation at or above ``org_path`` that configured services decides;
    none configured: one service per dispute type plus the grid-issue intake."""
    ids = ancestor_ids(org_path)
    rows = await Open311Service.select().where(Open311Service.organisation.is_in(ids or [-1])).order_by(
        Open311Service.sort_order, Open311Service.id
    )
    if rows:
        nearest = max({r["organisation"] for r in rows}, key=ids.index)
        return [r for r in rows if r["organisation"] == nearest and r["active"]]
    from core.roster.types import offered_types

    types = await offered_types(org_path)
    defaults = [
        {"service_code": t["code"], "service_name": t["label_zh"], "description": f"{t['label_zh']}类矛盾纠纷", "group_name": "矛盾纠纷",
         "keywords": "", "intake": "dispute", "dispute_type": t["code"], "channel": "photo_report"}
        for t in types
    ]
    return [*defaults, GRID_ISSUE]


def service_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_code": row["service_code"], "service_name": row["service_name"], "description": row["description"],
        "metadata": False, "type": "realtime", "keywords": row["keywords"], "group": row["group_name"],
    }


async def jurisdiction(actor: Actor | None, jurisdiction_id: str | None) -> dict[str, Any]:
    """The organisation a request is about: ``jurisdiction_id`` (an organisation id) inside the
    key's subtree, else the key's own organisation."""
    if jurisdiction_id:
        if not jurisdiction_id.isdecimal():  # isdigit() takes "²", which int() refuses
            raise BadRequest("Unknown jurisdiction_id.")
        org = await Organisation.select(Organisation.id, Organisation.path, Organisation.name).where(Organisation.id == int(jurisdiction_id)).first()
        if org is None or (actor is not None and not actor.covers(org["path"])):
            raise NotFound("Unknown jurisdiction_id.")
        return org
    if actor is None:
        raise BadRequest("Send api_key or jurisdiction_id.")
    return {"id": actor.org_id, "path": actor.org_path}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(get_settings().zone).isoformat(timespec="seconds")


def _text(form: dict[str, Any], key: str, limit: int) -> str:
    return str(form.get(key) or "").strip()[:limit]


def _float(form: dict[str, Any], key: str, low: float, high: float) -> float | None:
    raw = _text(form, key, 30)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValidationFailed(errors=[{"field": key, "message": "not a number"}]) from exc
    if not low <= value <= high:
        raise ValidationFailed(errors=[{"field": key, "message": "out of range"}])
    return value


async def create_request(actor: Actor, form: dict[str, Any], idempotency_key: str = "") -> dict[str, Any]:
    org = await jurisdiction(actor, _text(form, "jurisdiction_id", 20) or None)
    code = _text(form, "service_code", 40)
    service = next((x for x in await services_for(org["path"]) if x["service_code"] == code), None)
    if service is None:
        raise BadRequest("Unknown service_code.")
    lat, lon = _float(form, "lat", -90, 90), _float(form, "long", -180, 180)
    address = _text(form, "address_string", 255)
    if lat is None and not address and not _text(form, "address_id", 100):
        raise ValidationFailed("A location is required: lat and long, address_string or address_id.")
    name = (_text(form, "last_name", 40) + _text(form, "first_name", 40)) or "匿名群众"
    phone = re.sub(r"[^0-9+\-]", "", _text(form, "phone", 40))
    media_url = _text(form, "media_url", 500)
    if media_url and not media_url.startswith(("https://", "http://")):
        raise ValidationFailed(errors=[{"field": "media_url", "message": "must be an http(s) URL"}])
    described = _text(form, "description", 3500) or service["service_name"]
    where = address or (f"{lat:.6f},{lon:.6f}" if lat is not None and lon is not None else "")
    request_id = secrets.token_hex(8)
    data = s.CaseIn(
        channel=service["channel"], dispute_type=service["dispute_type"], title=service["service_name"][:200],
        description=described + (f"\n地点:{where}" if where else "") + (f"\n图片:{media_url}" if media_url else ""),
        parties=[s.PartyIn(name=name[:120], role="applicant", phone=phone)], external_ref=f"open311:{request_id}",
    )
    async with write_transaction():  # the case and its request row, or neither
        created = await create_case(data, actor, org_id=org["id"], idempotency=(actor.label, idempotency_key) if idempotency_key else None)
        if created.get("replayed"):
            row = await Open311Request.select(Open311Request.request_id).where(Open311Request.case == created["id"]).first()
            return {"service_request_id": row["request_id"], "service_notice": _notice(created['number']), "account_id": None}
        await Open311Request.insert(
            Open311Request(
                request_id=request_id, case=created["id"], api_key=actor.api_key_id, service_code=code, lat=lat, long=lon,
                address=address, address_id=_text(form, "address_id", 100), media_url=media_url,
                device_id=_text(form, "device_id", 100), account_id=_text(form, "account_id", 100),
            )
        )
    return {"service_request_id": request_id, "service_notice": _notice(created['number']), "account_id": _text(form, "account_id", 100) or None}


def _notice(number: str, reference: str | None = None) -> str:
    # Intake gives an application reference; registration (受理) the official number.
    if number.startswith("申") and (reference is None or reference == number):
        return f"申请编号 {number}(受理后给予正式案件编号)"
    return f"案件编号 {number}"


async def _service_names(org_path: str) -> dict[str, str]:
    return {x["service_code"]: x["service_name"] for x in await services_for(org_path)}


def request_view(row: dict[str, Any], case: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    state = case["state"]
    if case.get("sensitive"):
        # Keys never handle a case: a sensitive one shows where it stands, not where or what.
        from core.privacy.sensitive import placeholder

        case = {**case, "title": placeholder()}
        row = {**row, "address": "", "address_id": "", "lat": None, "long": None, "media_url": ""}
    return {
        "service_request_id": row["request_id"], "status": "closed" if state in CLOSED else "open",
        "status_notes": STATUS_NOTES.get(state, state), "service_name": names.get(row["service_code"], row["service_code"]),
        "service_code": row["service_code"], "description": case["title"], "agency_responsible": case.get("assigned_org_name") or case.get("org_name") or "",
        "service_notice": _notice(case["number"], case.get("application_ref")), "requested_datetime": _iso(row["created_at"]),
        "updated_datetime": _iso(case["updated_at"]), "expected_datetime": _iso(case["next_due_at"]),
        "address": row["address"], "address_id": row["address_id"], "zipcode": None, "lat": row["lat"], "long": row["long"],
        "media_url": row["media_url"] or None,
    }


CASE_COLUMNS = (
    Case.id, Case.number, Case.state, Case.title, Case.sensitive, Case.updated_at, Case.next_due_at, Case.org_path, Case.place_path,
    Case.assigned_org_path, Case.org.name.as_alias("org_name"), Case.assigned_org.name.as_alias("assigned_org_name"),
)


async def read_request(actor: Actor, request_id: str) -> dict[str, Any]:
    row = await Open311Request.select().where(Open311Request.request_id == request_id).first()
    if row is None:
        raise NotFound()
    case = await Case.select(*CASE_COLUMNS).where(Case.id == row["case"]).first()
    if case is None or not can_see(actor, case):
        raise NotFound()
    return request_view(row, case, await _service_names(case["org_path"]))


async def list_requests(actor: Actor, params: dict[str, Any]) -> list[dict[str, Any]]:
    where = Open311Request.case.is_in(Case.select(Case.id).where(visible_filter(actor)))
    ids = [i for i in str(params.get("service_request_id") or "").split(",") if i]
    if ids:
        where &= Open311Request.request_id.is_in(ids[:200])
    else:
        end = _date(params.get("end_date")) or datetime.now(UTC)
        start = _date(params.get("start_date")) or end - timedelta(days=90)
        where &= (Open311Request.created_at >= start) & (Open311Request.created_at <= end)
        codes = [c for c in str(params.get("service_code") or "").split(",") if c]
        if codes:
            where &= Open311Request.service_code.is_in(codes)
    rows = await Open311Request.select().where(where).order_by(Open311Request.id, ascending=False).limit(1000)
    cases = {c["id"]: c for c in await Case.select(*CASE_COLUMNS).where(Case.id.is_in([r["case"] for r in rows] or [-1]))}
    names = await _service_names(actor.org_path)
    views = [request_view(r, cases[r["case"]], names) for r in rows if r["case"] in cases]
    status = params.get("status")
    return [v for v in views if not status or v["status"] in str(status).split(",")]


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest("Dates must be W3C (ISO 8601) date-times.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=get_settings().zone)
