"""API keys per integration: scoped to an organisation and to operations, revocable,
rate-limited with the key's own limit. The key itself is shown once, at creation."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from core.actors import Actor
from core.audit.tables import AccessLog
from core.auth.service import actor_for_api_key, new_api_key, require_scope
from core.auth.tables import ApiKey
from core.cases.lifecycle import TRANSITIONS
from core.db import write_transaction
from core.errors import Forbidden, NotFound, ValidationFailed
from core.orgs.tables import Organisation
from core.ratelimit import hit

OWN_SCOPES = ("cases:create", "cases:read", "reports:read", "open311:create", "open311:read", "webhooks:read", "webhooks:replay")
# Scopes of the staff areas (deadline policies, notifications, plugin switches and deliveries):
# each route checks its scope first, like every other route, and then the area's own role checks,
# which no key passes today (a key holds no admin or supervisor role and has no inbox). Not
# offered on the admin's key form for that reason; valid in a key made through the API.
STAFF_AREA_SCOPES = (
    "deadlines:read", "deadlines:write", "notifications:read", "notifications:write",
    "switches:read", "switches:write", "deliveries:read", "deliveries:retry",
)
# Never a key's: signing is a person's act (core.agreements.signatures.refuse_api_key refuses
# every key, ``*`` too); asking for it gets that reason instead of "unknown".
PERSON_ONLY_SCOPES = ("agreements:sign",)
KEY_ROLES = frozenset({"grid_worker", "window_staff", "mediator", "handler"})
_limits: dict[int, tuple[float, int]] = {}


def known_scopes() -> set[str]:
    from core.plugins.manager import plugin_names

    return {
        *OWN_SCOPES, *STAFF_AREA_SCOPES, *(f"cases:{event}" for event in TRANSITIONS), *(f"plugins:{name}" for name in plugin_names()), "*",
    }


class KeyIn(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=80)]
    organisation_id: int
    scopes: Annotated[list[str], Meta(min_length=1, max_length=60)]
    roles: Annotated[list[str], Meta(max_length=4)] = msgspec.field(default_factory=lambda: ["grid_worker"])
    rate_limit_per_minute: Annotated[int, Meta(ge=1, le=100000)] = 120


def is_admin_of(actor: Actor, path: str) -> bool:
    return actor.is_system or (actor.kind == "staff" and "admin" in actor.roles and actor.covers(path))


async def organisation_for_admin(actor: Actor, org_id: int) -> dict[str, Any]:
    org = await Organisation.select(Organisation.id, Organisation.path, Organisation.name).where(Organisation.id == org_id).first()
    # 404 outside the admin's subtree: another town's organisations do not exist for them.
    if org is None or not (actor.is_system or actor.covers(org["path"])):
        raise NotFound("Unknown organisation.")
    if not is_admin_of(actor, org["path"]):
        raise Forbidden()
    return org


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "prefix": row["prefix"], "organisation_id": row["organisation"],
        "scopes": row["scopes"], "roles": row["roles"], "rate_limit_per_minute": row["rate_limit_per_minute"],
        "active": row["active"], "created_at": row["created_at"], "last_used_at": row["last_used_at"], "revoked_at": row["revoked_at"],
    }


async def _log(actor: Actor, what: str, row: dict[str, Any], ip: str) -> None:
    # Who made or revoked which key, with what it may do; the key and its hash stay out.
    await AccessLog.insert(AccessLog(
        user=actor.user_id, actor_label=actor.label, what=what[:60], ip=ip[:64],
        detail={"key_id": row["id"], "name": row["name"], "prefix": row["prefix"], "organisation_id": row["organisation"],
                "scopes": row["scopes"], "roles": row["roles"], "rate_limit_per_minute": row["rate_limit_per_minute"]},
    ))


async def create_key(actor: Actor, data: KeyIn, ip: str = "") -> dict[str, Any]:
    await organisation_for_admin(actor, data.organisation_id)
    person_only = sorted(set(data.scopes) & set(PERSON_ONLY_SCOPES))
    if person_only:
        from core.agreements.signatures import NOT_BY_KEY

        raise ValidationFailed(NOT_BY_KEY, errors=[{"field": "scopes", "message": f"not for a key: {', '.join(person_only)}"}])
    unknown = sorted(set(data.scopes) - known_scopes())
    if unknown:
        raise ValidationFailed(errors=[{"field": "scopes", "message": f"unknown: {', '.join(unknown)}"}])
    if not set(data.roles) <= KEY_ROLES:
        raise ValidationFailed(errors=[{"field": "roles", "message": f"allowed: {', '.join(sorted(KEY_ROLES))}"}])
    key, prefix, digest = new_api_key()
    async with write_transaction():
        row = (await ApiKey.insert(
            ApiKey(name=data.name, prefix=prefix, key_hash=digest, organisation=data.organisation_id, scopes=data.scopes,
                   roles=data.roles, rate_limit_per_minute=data.rate_limit_per_minute)
        ).returning(*ApiKey.all_columns()))[0]
        row.update(scopes=data.scopes, roles=data.roles)
        await _log(actor, f"api_key.create:{row['id']}", row, ip)
    return {**_public(row), "key": key}


async def list_keys(actor: Actor, organisation_id: int | None = None) -> list[dict[str, Any]]:
    if actor.kind != "staff" or "admin" not in actor.roles:
        raise Forbidden()
    path = actor.org_path
    if organisation_id:
        path = (await organisation_for_admin(actor, organisation_id))["path"]
    rows = await ApiKey.select(*ApiKey.all_columns()).where(ApiKey.organisation.path.like(path + "%")).order_by(
        ApiKey.id, ascending=False
    ).output(load_json=True)
    return [_public(r) for r in rows]


async def key_for_admin(actor: Actor, key_id: int) -> dict[str, Any]:
    row = await ApiKey.select(*ApiKey.all_columns(), ApiKey.organisation.path.as_alias("org_path")).where(
        ApiKey.id == key_id
    ).output(load_json=True).first()
    if row is None or not (actor.is_system or actor.covers(row["org_path"])):
        raise NotFound()
    if not is_admin_of(actor, row["org_path"]):
        raise Forbidden()
    return row


async def revoke_key(actor: Actor, key_id: int, ip: str = "") -> dict[str, Any]:
    row = await key_for_admin(actor, key_id)
    now = datetime.now(UTC)
    async with write_transaction():
        revoked = await ApiKey.update({ApiKey.active: False, ApiKey.revoked_at: now}).where(
            (ApiKey.id == key_id) & (ApiKey.active == True)  # noqa: E712
        ).returning(ApiKey.id)
        # Only the revocation that took effect: a second click changes nothing.
        if revoked:
            await _log(actor, f"api_key.revoke:{key_id}", row, ip)
    _limits.pop(key_id, None)
    return _public({**row, "active": False, "revoked_at": row["revoked_at"] or now})


async def _limit_of(key_id: int) -> int:
    cached = _limits.get(key_id)
    if cached and time.monotonic() - cached[0] < 30:
        return cached[1]
    row = await ApiKey.select(ApiKey.rate_limit_per_minute).where(ApiKey.id == key_id).first()
    limit = row["rate_limit_per_minute"] if row else 1
    _limits[key_id] = (time.monotonic(), limit)
    return limit


async def enforce_rate_limit(actor: Actor) -> None:
    """Count this request against the key's own per-minute limit (429 beyond it)."""
    if actor.kind != "api_key" or actor.api_key_id is None:
        return
    await hit("api_key", str(actor.api_key_id), await _limit_of(actor.api_key_id))
    await _touch(actor.api_key_id)


_touched: dict[int, float] = {}


async def _touch(key_id: int) -> None:
    # At most once a minute per key: a busy integration should not write on every request.
    if time.monotonic() - _touched.get(key_id, 0.0) < 60:
        return
    _touched[key_id] = time.monotonic()
    async with write_transaction():
        await ApiKey.update({ApiKey.last_used_at: datetime.now(UTC)}).where(ApiKey.id == key_id)


async def authenticate(key: str | None, scope: str) -> Actor:
    """The actor behind a raw key (e.g. Open311's ``api_key`` parameter), checked and counted."""
    from core.errors import Unauthorized

    if not key:
        raise Unauthorized("An api_key is required.")
    actor = await actor_for_api_key(key)
    await enforce_rate_limit(actor)
    require_scope(actor, scope)
    return actor
