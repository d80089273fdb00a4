"""The court registry: which basic court (an organisation of type ``court``) takes the
applications of the committees in an area. A town keeps one row per area; the deepest area
holding the committee decides ("the basic court where the committee sits")."""

from __future__ import annotations

from typing import Any

from core.errors import BadRequest, Forbidden, NotFound
from core.orgs.tables import Organisation
from core.plugins import Actor, write_transaction
from plugins.judicial_confirm.tables import CourtArea

NAME = "judicial_confirm"
CLERK_ROLE = "court_clerk"
KEEPERS = frozenset({"admin"})


def is_clerk(actor: Actor, court_path: str) -> bool:
    """A clerk of this court (or of the court above a tribunal)."""
    return CLERK_ROLE in actor.roles and actor.covers(court_path)


async def _org(org_id: int | None) -> dict[str, Any] | None:
    return await Organisation.select().where(Organisation.id == (org_id or -1)).first()


async def set_court(actor: Actor, area_org_id: int, court_org_id: int | None, note: str = "") -> dict[str, Any] | None:
    """The court for an area (an administrator of the area); ``None`` removes the area's row so
    the area above decides again."""
    area = await _org(area_org_id)
    if area is None or not (actor.is_system or actor.covers(area["path"])):
        raise NotFound("Unknown organisation.")
    if not actor.has_any(KEEPERS):
        raise Forbidden()
    court = None
    if court_org_id is not None:
        court = await _org(court_org_id)
        if court is None:
            raise NotFound("Unknown organisation.")
        if court["type_code"] != "court":
            raise BadRequest("The organisation is not a court.")
    async with write_transaction():
        await CourtArea.delete().where(CourtArea.area_org_id == area["id"])
        if court is not None:
            await CourtArea.insert(
                CourtArea(court_org_id=court["id"], area_org_id=area["id"], area_path=area["path"], note=note, created_by=actor.user_id)
            )
    return await court_for_path(area["path"]) if court is not None else None


async def list_courts(actor: Actor) -> list[dict[str, Any]]:
    """The rows that bear on the actor's subtree (above it or in it)."""
    rows = await CourtArea.select().where(CourtArea.active == True).order_by(CourtArea.area_path)  # noqa: E712
    own = "/" if actor.is_system else actor.org_path
    rows = [r for r in rows if r["area_path"].startswith(own) or own.startswith(r["area_path"])]
    return [await _describe(r) for r in rows]


async def _describe(row: dict[str, Any]) -> dict[str, Any]:
    court = await _org(row["court_org_id"]) or {}
    area = await _org(row["area_org_id"]) or {}
    return {
        "area_org_id": row["area_org_id"], "area_name": area.get("name", ""), "area_path": row["area_path"],
        "court_org_id": row["court_org_id"], "court_name": court.get("name", ""), "court_path": court.get("path", ""),
        "court_address": court.get("address", ""), "court_phone": court.get("phone", ""), "note": row["note"],
    }


async def court_for_path(path: str) -> dict[str, Any] | None:
    """The registry's court for an organisation path (the deepest area holding it)."""
    rows = await CourtArea.select().where(CourtArea.active == True)  # noqa: E712
    holding = [r for r in rows if path.startswith(r["area_path"])]
    if not holding:
        return None
    return await _describe(max(holding, key=lambda r: len(r["area_path"])))
