"""The panel's rules, testable without HTTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from core.errors import BadRequest, Forbidden, NotFound
from core.orgs.tables import Organisation
from core.plugins import (
    Actor,
    gettext,
    plugin_settings,
    record_action,
    render_template,
    write_transaction,
)
from elders_panel.tables import Elder, Invitation

log = logging.getLogger("jiefen.plugins.elders_panel")

# Who may invite the panel: the people working the case and their leaders.
INVITERS = frozenset({"mediator", "handler", "supervisor", "admin"})
# Who keeps the village's list of elders.
KEEPERS = frozenset({"window_staff", "supervisor", "admin"})
OPEN_STATES = frozenset({"assigned", "in_mediation"})


def may_invite(case: dict[str, Any], actor: Actor) -> bool:
    return case["state"] in OPEN_STATES and actor.has_any(INVITERS)


async def add_elder(actor: Actor, village_id: int, name: str, phone: str = "", title: str = "") -> dict[str, Any]:
    village = await Organisation.select(Organisation.path).where(Organisation.id == village_id).first()
    if village is None or not (actor.is_system or actor.covers(village["path"])):
        raise NotFound("Unknown organisation.")
    if not actor.has_any(KEEPERS):
        raise Forbidden()
    rows = await Elder.insert(Elder(village_id=village_id, name=name, phone=phone, title=title)).returning(*Elder.all_columns())
    return rows[0]


async def elders_of(village_id: int | None) -> list[dict[str, Any]]:
    return await Elder.select().where((Elder.village_id == (village_id or -1)) & (Elder.active == True)).order_by(Elder.id)  # noqa: E712


async def elders_near(actor: Actor) -> list[dict[str, Any]]:
    """The active elders of the villages around the actor (under the parent of their
    organisation: a committee's or a village's town), with their village's name."""
    parent = (actor.org_path or "").rstrip("/").rsplit("/", 1)[0] + "/"
    villages = {o["id"]: o["name"] for o in await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.path.like(parent + "%")
    )}
    rows = await Elder.select().where(Elder.village_id.is_in(list(villages) or [-1]) & (Elder.active == True)).order_by(Elder.id)  # noqa: E712
    return [{**row, "village": villages[row["village_id"]]} for row in rows]


async def invitations(case_id: int) -> list[dict[str, Any]]:
    return await Invitation.select(
        *Invitation.all_columns(), Invitation.elder.name.as_alias("name"), Invitation.elder.title.as_alias("title"),
    ).where(Invitation.case_id == case_id).order_by(Invitation.id)


async def invite(case: dict[str, Any], actor: Actor, elder_ids: list[int] | None = None, note: str = "") -> list[dict[str, Any]]:
    """Invite the village's elders (all of them, or the ones named) to hear the case."""
    if not may_invite(case, actor):
        raise Forbidden()
    elders = await elders_of(case["place"])
    if elder_ids is not None:
        elders = [e for e in elders if e["id"] in set(elder_ids)]
    already = {i["elder"] for i in await invitations(case["id"]) if i["status"] == Invitation.Status.invited}
    elders = [e for e in elders if e["id"] not in already]
    if not elders:
        raise BadRequest("No elder of this village is left to invite.")
    limit = plugin_settings("elders_panel").max_elders
    if len(elders) + len(already) > limit:
        raise BadRequest("A panel has at most {limit} elders.", limit=limit)
    async with write_transaction():
        rows = await Invitation.insert(
            *[Invitation(case_id=case["id"], elder=e["id"], invited_by=actor.user_id, note=note) for e in elders]
        ).returning(Invitation.id)
        # A timeline event: everyone sees the invitation, and observers hear of it after commit.
        await record_action(case["id"], "elders_panel.invited", actor, {"invitations": [r["id"] for r in rows]})
    return await invitations(case["id"])


async def record_opinion(case: dict[str, Any], actor: Actor, opinion: str) -> list[dict[str, Any]]:
    """The panel met: its view is written down and the invitations are closed."""
    if not actor.has_any(INVITERS):
        raise Forbidden()
    pending = [i["id"] for i in await invitations(case["id"]) if i["status"] == Invitation.Status.invited]
    if not pending:
        raise BadRequest("The panel has not been invited to this case.")
    async with write_transaction():
        await Invitation.update({Invitation.status: Invitation.Status.heard, Invitation.opinion: opinion}).where(Invitation.id.is_in(pending))
        await record_action(case["id"], "elders_panel.heard", actor, {"invitations": pending})
    return await invitations(case["id"])


async def awaiting_panel(case_id: int) -> bool:
    return await Invitation.exists().where((Invitation.case_id == case_id) & (Invitation.status == Invitation.Status.invited))


async def notify_elders(case: dict[str, Any], invitation_ids: list[int]) -> int:
    """Tell each newly invited elder (idempotent: an elder already told is skipped)."""
    rows = await Invitation.select(
        Invitation.id, Invitation.elder.name.as_alias("name"), Invitation.elder.phone.as_alias("phone"),
    ).where(Invitation.id.is_in(invitation_ids or [-1]) & Invitation.notified_at.is_null())
    for row in rows:
        text = gettext("{name}: you are invited to hear case {number} with the village's elders' panel.", name=row["name"], number=case["number"])
        # A town with an SMS channel would hand ``text`` to it here; the record is what the panel shows.
        log.info("elders_panel: notify %s (%s): %s", row["name"], row["phone"], text)
        await Invitation.update({Invitation.notice: text, Invitation.notified_at: datetime.now(UTC)}).where(Invitation.id == row["id"])
    return len(rows)


async def panel(case: dict[str, Any], actor: Actor) -> dict[str, Any]:
    html = render_template(
        "elders_panel/panel.html", case=case, invitations=await invitations(case["id"]),
        elders=await elders_of(case["place"]), may_invite=may_invite(case, actor),
    )
    return {"id": "elders_panel", "title": "评理团", "html": html}
