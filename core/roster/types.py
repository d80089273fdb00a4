"""Switching dispute types on and off: who may, and the record of each switch.

The catalogue is one list for every town. Its shared types (core and plugins, no owning
organisation) are switched only by an administrator of the root of the organisation tree, since
a switch reaches every town; a type an administrator added belongs to their organisation, and
its administrators (or those above it) switch it. With several roots (counties side by side)
no administrator speaks for every town, so the operator switches a shared type from the
server's shell (``jiefen types switch``, core/roster/cli.py). Every switch is written to
``access_log``."""

from __future__ import annotations

from typing import Any

from core import lookups
from core.actors import Actor
from core.audit.tables import AccessLog
from core.db import write_transaction
from core.errors import Forbidden, NotFound
from core.orgs.tables import Organisation
from core.roster.tables import DisputeType

SHARED_ONLY_AT_ROOT = "Only an administrator of the top-level organisation may switch a shared dispute type."
OWN_TYPES_ONLY = "You may switch only the dispute types your organisation added."
# Who switched, in access_log, when it was ``jiefen types switch`` on the server.
CLI_LABEL = "system:cli"


async def catalogue_keeper_id() -> int | None:
    """The organisation at the root of the tree, when there is exactly one. With several roots
    (counties side by side) no one's administrator speaks for the others' towns."""
    roots = await Organisation.select(Organisation.id).where(
        Organisation.parent.is_null() & (Organisation.active == True)  # noqa: E712
    ).limit(2)
    return roots[0]["id"] if len(roots) == 1 else None


def switch_refusal(actor: Actor, row: dict[str, Any], keeper_id: int | None) -> str | None:
    """Why ``actor`` may not switch the type ``row`` (with ``owner_path``), or None if they may."""
    if actor.is_system:
        return None
    if actor.kind != "staff" or "admin" not in actor.roles:
        return Forbidden.message
    if keeper_id is not None and actor.org_id == keeper_id:
        return None
    if row.get("organisation") is None:
        return SHARED_ONLY_AT_ROOT
    return None if actor.covers(row.get("owner_path")) else OWN_TYPES_ONLY


def offered_at(row: dict[str, Any], path: str | None) -> bool:
    """A type is offered to cases of ``path`` when it is shared (no owner) or its owner is
    ``path`` or above it: a town's own type stays in that town's intake. ``path=None``: everywhere."""
    owner = row.get("owner_path")
    return path is None or not owner or path.startswith(owner)


async def offered_types(path: str | None, *, active_only: bool = True) -> list[dict[str, Any]]:
    """The types in catalogue order (each with ``owner_path``), only those offered at ``path``."""
    query = DisputeType.select(*DisputeType.all_columns(), DisputeType.organisation.path.as_alias("owner_path")).order_by(
        DisputeType.sort_order
    )
    if active_only:
        query = query.where(DisputeType.active == True)  # noqa: E712
    return [row for row in await query if offered_at(row, path)]


async def types_for(actor: Actor) -> list[dict[str, Any]]:
    """Every type, each with ``may_switch`` for this actor (the admin page shows the button)."""
    keeper = await catalogue_keeper_id()
    rows = await DisputeType.select(*DisputeType.all_columns(), DisputeType.organisation.path.as_alias("owner_path")).order_by(
        DisputeType.sort_order
    )
    for row in rows:
        row["may_switch"] = switch_refusal(actor, row, keeper) is None
    return rows


async def set_active(
    actor: Actor, code: str, active: bool | None = None, ip: str = "", *,
    actor_label: str = "", detail: dict[str, Any] | None = None,
) -> bool:
    """Switch the type (``active=None`` flips it); returns its new state. 404 for an unknown
    code, 403 with the reason when the actor may not. A type already in the asked state is left
    alone and nothing is logged. ``actor_label`` names a system actor in the log (the CLI)."""
    row = await DisputeType.select(
        DisputeType.code, DisputeType.active, DisputeType.organisation, DisputeType.organisation.path.as_alias("owner_path")
    ).where(DisputeType.code == code).first()
    if row is None:
        raise NotFound()
    refusal = switch_refusal(actor, row, await catalogue_keeper_id())
    if refusal is not None:
        raise Forbidden(refusal)
    new = (not row["active"]) if active is None else active
    if new == row["active"]:
        return new
    async with write_transaction():
        await DisputeType.update({DisputeType.active: new}).where(DisputeType.code == code)
        await AccessLog.insert(AccessLog(
            user=actor.user_id, actor_label=(actor_label or actor.label)[:80], what=f"dispute_type.{'on' if new else 'off'}:{code}"[:60],
            ip=ip[:64], detail=detail or {},
        ))
    lookups.invalidate()
    return new
