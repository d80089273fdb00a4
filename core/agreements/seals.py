"""Committee seals: one image per committee, set by an administrator of it (or above)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.actors import Actor
from core.agreements import images
from core.agreements.tables import CommitteeSeal
from core.db import write_transaction
from core.errors import Forbidden, NotFound
from core.orgs.tables import Organisation, OrganisationType

SEAL_LIMIT = 1024 * 1024


async def committee(org_id: int, actor: Actor) -> dict[str, Any]:
    org = await Organisation.select().where(Organisation.id == org_id).first()
    if org is None or not (actor.is_system or actor.covers(org["path"])):
        raise NotFound()
    issuing = await OrganisationType.exists().where((OrganisationType.code == org["type_code"]) & (OrganisationType.issues_agreements == True))  # noqa: E712
    if not issuing:
        raise NotFound("This organisation does not issue agreements.")
    return org


async def set_seal(org_id: int, actor: Actor, image: bytes) -> dict[str, Any]:
    if not actor.has_any(frozenset({"admin"})):
        raise Forbidden()
    org = await committee(org_id, actor)
    checked = images.check(image, limit=SEAL_LIMIT)
    key = images.store("seals", org["id"], checked)
    values = {
        "storage_key": key, "sha256": checked.sha256, "width": checked.width, "height": checked.height,
        "set_by": actor.user_id, "set_at": datetime.now(UTC),
    }
    async with write_transaction():
        existing = await CommitteeSeal.select(CommitteeSeal.id).where(CommitteeSeal.organisation == org["id"]).first()
        if existing:
            await CommitteeSeal.update({getattr(CommitteeSeal, k): v for k, v in values.items()}).where(CommitteeSeal.id == existing["id"])
        else:
            await CommitteeSeal.insert(CommitteeSeal(organisation=org["id"], **values))
    return await seal_info(org["id"])


async def seal_info(org_id: int) -> dict[str, Any]:
    row = await CommitteeSeal.select().where(CommitteeSeal.organisation == org_id).first()
    if row is None:
        return {"organisation_id": org_id, "set": False}
    return {
        "organisation_id": org_id, "set": True, "sha256": row["sha256"], "width": row["width"], "height": row["height"],
        "set_by": row["set_by"], "set_at": row["set_at"],
    }


async def seal_row(org_id: int) -> dict[str, Any] | None:
    return await CommitteeSeal.select().where(CommitteeSeal.organisation == org_id).first()
