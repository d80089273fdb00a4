"""The registry of industry associations: which dispute types each takes in which area, its
mediators (core ``Mediator`` rows of the association's organisation), and the suggestion of
associations for a case."""

from __future__ import annotations

from typing import Any

from core.auth.tables import StaffUser
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.orgs.tables import Organisation
from core.plugins import Actor, gettext, write_transaction
from core.roster.tables import DisputeType, Mediator
from plugins.industry_assoc.tables import Association, Coverage, Transfer

NAME = "industry_assoc"
STAFF_ROLE = "association_staff"
# Who keeps the registry: an administrator or leader whose subtree holds the association.
KEEPERS = frozenset({"admin", "supervisor"})
ANY_TYPE = "*"


def is_association_staff(actor: Actor, org_path: str) -> bool:
    """A member of the association (or of a body above it) with the association role."""
    return STAFF_ROLE in actor.roles and actor.covers(org_path)


def may_keep(actor: Actor, org_path: str) -> bool:
    return actor.is_system or (actor.has_any(KEEPERS) and actor.covers(org_path))


async def _org(org_id: int | None) -> dict[str, Any] | None:
    return await Organisation.select().where(Organisation.id == (org_id or -1)).first()


async def _check_coverage(actor: Actor, coverage: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """``[(dispute_type, area_org_id)]`` → rows to insert; every area must be in the actor's subtree."""
    if not coverage:
        raise BadRequest("Name at least one dispute type and area the association takes.")
    known = {r["code"] for r in await DisputeType.select(DisputeType.code).where(DisputeType.active == True)}  # noqa: E712
    rows, seen = [], set()
    for dispute_type, area_id in coverage:
        if dispute_type != ANY_TYPE and dispute_type not in known:
            raise BadRequest("Unknown dispute type: {code}", code=dispute_type)
        area = await _org(area_id)
        if area is None or not (actor.is_system or actor.covers(area["path"])):
            raise NotFound("Unknown organisation.")
        if (dispute_type, area["id"]) not in seen:
            seen.add((dispute_type, area["id"]))
            rows.append({"dispute_type": dispute_type, "area_org_id": area["id"], "area_path": area["path"]})
    return rows


async def register(
    actor: Actor, organisation_id: int, coverage: list[tuple[str, int]], *, contact: str = "", note: str = "",
    answer_working_days: int | None = None,
) -> dict[str, Any]:
    """Put an organisation of type ``association`` on the registry with what it takes."""
    org = await _org(organisation_id)
    if org is None or not (actor.is_system or actor.covers(org["path"])):
        raise NotFound("Unknown organisation.")
    if not may_keep(actor, org["path"]):
        raise Forbidden()
    if org["type_code"] != "association":
        raise BadRequest("The organisation is not an industry association.")
    rows = await _check_coverage(actor, coverage)
    async with write_transaction():
        if await Association.exists().where(Association.organisation_id == org["id"]):
            raise Conflict("This association is already registered.")
        inserted = await Association.insert(
            Association(
                organisation_id=org["id"], contact=contact, note=note, answer_working_days=answer_working_days,
                registered_by=actor.user_id,
            )
        ).returning(Association.id)
        association_id = inserted[0]["id"]
        await Coverage.insert(*[Coverage(association=association_id, **r) for r in rows])
    return await detail(association_id)


async def update(
    actor: Actor, association_id: int, *, coverage: list[tuple[str, int]] | None = None, contact: str | None = None,
    note: str | None = None, active: bool | None = None, answer_working_days: int | None | bool = False,
) -> dict[str, Any]:
    """Change what the association takes (the whole list at once), its contact, note, days or
    whether it takes transfers at all. ``answer_working_days=False`` leaves the days alone."""
    current = await detail(association_id)
    if not may_keep(actor, current["path"]):
        raise NotFound("Unknown association.") if not actor.covers(current["path"]) else Forbidden()
    values: dict[Any, Any] = {}
    if contact is not None:
        values[Association.contact] = contact
    if note is not None:
        values[Association.note] = note
    if active is not None:
        values[Association.active] = active
    if answer_working_days is not False:
        values[Association.answer_working_days] = answer_working_days
    rows = await _check_coverage(actor, coverage) if coverage is not None else None
    async with write_transaction():
        if values:
            await Association.update(values).where(Association.id == association_id)
        if rows is not None:
            await Coverage.delete().where(Coverage.association == association_id)
            await Coverage.insert(*[Coverage(association=association_id, **r) for r in rows])
    return await detail(association_id)


async def _labels() -> dict[str, str]:
    return {r["code"]: r["label_zh"] for r in await DisputeType.select(DisputeType.code, DisputeType.label_zh)}


async def detail(association_id: int) -> dict[str, Any]:
    """The association with its organisation's name and path, what it takes and its mediators."""
    row = await Association.select().where(Association.id == association_id).first()
    if row is None:
        raise NotFound("Unknown association.")
    return (await _describe([row]))[0]


async def _describe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    org_ids = [r["organisation_id"] for r in rows]
    orgs = {o["id"]: o for o in await Organisation.select().where(Organisation.id.is_in(org_ids))}
    coverage = await Coverage.select().where(Coverage.association.is_in([r["id"] for r in rows])).order_by(Coverage.id)
    areas = {o["id"]: o["name"] for o in await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.id.is_in([c["area_org_id"] for c in coverage] or [-1])
    )}
    mediators = await Mediator.select(
        Mediator.id, Mediator.user, Mediator.name, Mediator.organisation, Mediator.specialties, Mediator.active,
    ).where(Mediator.organisation.is_in(org_ids)).order_by(Mediator.id).output(load_json=True)
    labels = await _labels()
    described = []
    for r in rows:
        org = orgs.get(r["organisation_id"]) or {}
        described.append({
            **r, "name": org.get("name", ""), "short_name": org.get("short_name", ""), "path": org.get("path", ""),
            "phone": org.get("phone", ""), "address": org.get("address", ""),
            "coverage": [
                {"dispute_type": c["dispute_type"], "dispute_type_label": labels.get(c["dispute_type"], gettext("Any type")),
                 "area_org_id": c["area_org_id"], "area_name": areas.get(c["area_org_id"], ""), "area_path": c["area_path"]}
                for c in coverage if c["association"] == r["id"]
            ],
            "mediators": [
                {"id": m["id"], "user_id": m["user"], "name": m["name"], "specialties": m["specialties"], "active": m["active"]}
                for m in mediators if m["organisation"] == r["organisation_id"]
            ],
        })
    return described


async def list_associations(active_only: bool = False) -> list[dict[str, Any]]:
    query = Association.select().order_by(Association.id)
    if active_only:
        query = query.where(Association.active == True)  # noqa: E712
    return sorted(await _describe(await query), key=lambda a: a["name"])


async def add_mediator(
    actor: Actor, association_id: int, user_id: int, name: str = "", phone: str = "", specialties: list[str] | None = None,
) -> dict[str, Any]:
    """Put a staff member of the association on the roster as one of its mediators."""
    association = await detail(association_id)
    if not (may_keep(actor, association["path"]) or is_association_staff(actor, association["path"])):
        raise NotFound("Unknown association.") if not actor.covers(association["path"]) else Forbidden()
    user = await StaffUser.select(StaffUser.id, StaffUser.display_name, StaffUser.organisation, StaffUser.roles, StaffUser.phone).where(
        StaffUser.id == user_id
    ).output(load_json=True).first()
    if user is None or user["organisation"] != association["organisation_id"]:
        raise BadRequest("The mediator must be a staff member of the association.")
    if "mediator" not in (user["roles"] or []):
        raise BadRequest("Give this person the mediator role first.")
    if await Mediator.exists().where(Mediator.user == user_id):
        raise Conflict("This person is already on the roster.")
    rows = await Mediator.insert(
        Mediator(
            user=user_id, name=name or user["display_name"], phone=phone or user["phone"] or "",
            organisation=association["organisation_id"], specialties=list(specialties or []),
        )
    ).returning(Mediator.id, Mediator.name, Mediator.user)
    return {"id": rows[0]["id"], "user_id": rows[0]["user"], "name": rows[0]["name"], "association_id": association_id}


def takes(association: dict[str, Any], case: dict[str, Any]) -> dict[str, Any] | None:
    """The best coverage row under which the association takes the case (its type before "any
    type", then the deepest area holding the place where it happened or the case's level)."""
    where = [p for p in (case.get("place_path"), case.get("org_path")) if p]
    best: tuple[tuple[bool, int], dict[str, Any]] | None = None
    for c in association["coverage"]:
        if c["dispute_type"] not in (case["dispute_type"], ANY_TYPE):
            continue
        if not any(w.startswith(c["area_path"]) for w in where):
            continue
        key = (c["dispute_type"] == case["dispute_type"], len(c["area_path"]))
        if best is None or key > best[0]:
            best = (key, c)
    return best[1] if best else None


async def counts_by_association() -> dict[int, dict[str, int]]:
    """Transfers per association and status (for the suggestion's load and track record)."""
    counts: dict[int, dict[str, int]] = {}
    for row in await Transfer.select(Transfer.association, Transfer.status):
        per = counts.setdefault(row["association"], {})
        per[row["status"]] = per.get(row["status"], 0) + 1
    return counts


async def suggest(case: dict[str, Any], locale: str | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """Associations that take the case's type where it happened, best first, with reasons:
    an exact type before "any type", a nearer area before a wider one, fewer pending transfers,
    then a better record of accepting."""
    associations = await list_associations(active_only=True)
    counts = await counts_by_association()
    found = []
    for a in associations:
        cover = takes(a, case)
        if cover is None:
            continue
        c = counts.get(a["id"], {})
        pending = c.get("pending", 0)
        answered_yes = c.get("accepted", 0) + c.get("concluded", 0) + c.get("returned", 0)
        answered = answered_yes + c.get("declined", 0) + c.get("timed_out", 0)
        rate = answered_yes / answered if answered else None
        exact = cover["dispute_type"] == case["dispute_type"]
        depth = cover["area_path"].count("/")
        reasons = [
            gettext("Takes {type} disputes", locale, type=cover["dispute_type_label"]) if exact else gettext("Takes disputes of any type", locale),
            gettext("Covers {area}", locale, area=cover["area_name"]),
        ]
        if pending:
            reasons.append(gettext("{count} transfer(s) waiting for an answer", locale, count=pending))
        if rate is not None:
            reasons.append(gettext("Accepted {percent}% of transfers", locale, percent=round(rate * 100)))
        score = (10 if exact else 0) + depth - pending + (3 * rate if rate is not None else 1.5)
        found.append({
            "association_id": a["id"], "name": a["name"], "organisation_id": a["organisation_id"], "score": round(score, 2),
            "reasons": reasons, "pending": pending, "acceptance_rate": rate,
            "mediators": len([m for m in a["mediators"] if m["active"] and m["user_id"]]),
        })
    found.sort(key=lambda s: (-s["score"], s["name"]))
    return found[:limit]
