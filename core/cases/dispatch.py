"""Dispatch: where a case goes, who is suggested, and who must withdraw (回避)."""

from __future__ import annotations

from typing import Any

from core.actors import Actor
from core.auth.tables import StaffUser
from core.cases import schemas as s
from core.cases.lifecycle import ACTIVE
from core.cases.tables import Case, Party
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import Lazy, LazyList
from core.orgs.tables import Organisation
from core.plugins.manager import call_first
from core.roster.tables import Mediator, MediatorRelation

# Organisation type of industry associations (行业协会), kept out of the centre's suggestions.
ASSOCIATION = "association"


async def resolve_dispatch(case: dict[str, Any], data: s.DispatchData, actor: Actor) -> dict[str, Any]:
    """Turn a dispatch request into (assignee, organisation, pool); raise with a reason if barred."""
    if data.mediator_id:
        mediator = await Mediator.select().where(Mediator.id == data.mediator_id).first()
        if not mediator or not mediator["active"] or not mediator["user"]:
            raise Conflict("The mediator is not active or is not on the roster.")
        blocked = await recusal_grounds(case["id"], mediator)
        if blocked:
            raise Conflict("The mediator must withdraw: {reason}", reason=LazyList(blocked))
        org = await _org(mediator["organisation"])
        await ensure_may_receive(case, org, actor)
        return _target(mediator["user"], org, False, mediator_id=mediator["id"], how="mediator")
    if data.assignee_id:
        user = await StaffUser.select().where(StaffUser.id == data.assignee_id).first()
        if not user or not user["active"]:
            raise NotFound()
        org = await _org(data.organisation_id or user["organisation"])
        if user["organisation"] != org["id"]:
            raise ValidationFailed("The assignee must belong to the organisation the case is dispatched to.")
        await ensure_may_receive(case, org, actor)
        mediator = await Mediator.select().where(Mediator.user == user["id"]).first()
        if mediator:
            blocked = await recusal_grounds(case["id"], mediator)
            if blocked:
                raise Conflict("The mediator must withdraw: {reason}", reason=LazyList(blocked))
        return _target(user["id"], org, False, how="person")
    if data.organisation_id:
        org = await _org(data.organisation_id)
        await ensure_may_receive(case, org, actor)
        return _target(None, org, True, how="pool")
    if data.by_rules:
        chosen = await call_first("dispatch_target", case, case=case)
        if not chosen:
            raise ValidationFailed("Dispatch to a mediator, a person, or an organisation's pool.")
        org = await _org(chosen["organisation_id"])
        await ensure_may_receive(case, org, actor)
        return _target(None, org, True, how="rules", rule=chosen.get("reason", ""))
    raise ValidationFailed("Dispatch to a mediator, a person, or an organisation's pool.")


def _target(assignee: int | None, org: dict[str, Any], pool: bool, **extra: Any) -> dict[str, Any]:
    return {
        "assignee_id": assignee, "organisation_id": org["id"], "organisation_path": org["path"],
        "to_pool": pool, **extra,
    }


async def _org(org_id: int | None) -> dict[str, Any]:
    org = await Organisation.select().where(Organisation.id == (org_id or -1)).first()
    if org is None:
        raise NotFound("Unknown organisation.")
    return org


async def ensure_may_receive(case: dict[str, Any], org: dict[str, Any], actor: Actor) -> None:
    """The body may be sent this case: not an industry association (the association answers a
    transfer it may decline, plugins/industry_assoc, whose own flow then dispatches as the
    plugin), and within reach."""
    if org.get("type_code") == ASSOCIATION and not actor.plugin:
        raise ValidationFailed(
            "{name} is an industry association: transfer the case to it through industry-association mediation instead of dispatching it.",
            name=org.get("name") or "—",
        )
    await ensure_within_reach(case, org, actor)


async def ensure_within_reach(case: dict[str, Any], org: dict[str, Any], actor: Actor) -> None:
    """A case goes to a body of the dispatching actor's county (a staff member's or key's; for
    the system and plugins, the case's own level), or up the ladder: to a body that hangs off the
    case's level or one above it (the county's committee, an association beside the county, the
    city's centre). Never sideways into another county or town."""
    path = org.get("path") or ""
    parent_path = path[: path.rstrip("/").rfind("/") + 1]
    level = case.get("org_path") or ""
    if path and (level.startswith(path) or (parent_path not in ("", "/") and level.startswith(parent_path))):
        return
    if path.startswith(await _reach(actor, case)):
        return
    raise ValidationFailed(
        "{name} is outside the area this case may be dispatched to: choose a body within your county, or one of a higher level.",
        name=org.get("name") or "—",
    )


async def _reach(actor: Actor, case: dict[str, Any]) -> str:
    if actor.kind not in ("staff", "api_key") or not actor.org_path:
        return case.get("org_path") or "\0"
    ids = [int(i) for i in actor.org_path.strip("/").split("/") if i.isdigit()]
    counties = await Organisation.select(Organisation.path).where(
        Organisation.id.is_in(ids or [-1]) & (Organisation.level == "county")
    )
    # The top-most county-level node on the actor's path is the county; none: the actor sits
    # above the counties (a city), and reaches its whole subtree.
    return min((c["path"] for c in counties), key=len, default=actor.org_path)


async def recusal_reasons(case_id: int, mediator: dict[str, Any], locale: str | None = None) -> list[str]:
    """Why this mediator may not take this case (empty: free to take it), in ``locale``."""
    return [g.render(locale) for g in await recusal_grounds(case_id, mediator)]


async def recusal_grounds(case_id: int, mediator: dict[str, Any]) -> list[Lazy]:
    """The same reasons untranslated, so an error carrying them reads in its reader's language."""
    reasons: list[Lazy] = []
    parties = await Party.select(Party.phone, Party.id_number).where(Party.case == case_id)
    phones = {p["phone"] for p in parties if p["phone"]}
    ids = {p["id_number"].upper() for p in parties if p["id_number"]}
    if mediator["phone"] and mediator["phone"] in phones:
        reasons.append(Lazy("Same phone number as a party."))
    if mediator["id_number"] and mediator["id_number"].upper() in ids:
        reasons.append(Lazy("Same ID number as a party."))
    relations = await MediatorRelation.select().where(MediatorRelation.mediator == mediator["id"])
    for rel in relations:
        if rel["case_id"] == case_id:
            reasons.append(Lazy("Declared a conflict with this case."))
        elif (rel["person_phone"] and rel["person_phone"] in phones) or (
            rel["person_id_number"] and rel["person_id_number"].upper() in ids
        ):
            reasons.append(Lazy("Declared relation: {relation}", relation=rel["relation"] or "—"))
    return reasons


async def suggest_mediators(case: dict[str, Any], limit: int = 10, *, associations: bool = False) -> list[dict[str, Any]]:
    """Ranked mediators of the case's level and below, with reasons; barred ones are left out.

    Industry associations' mediators are left out too: a case reaches an association by a
    transfer it may decline (plugins/industry_assoc), not by the centre's dispatch; the
    transfer's own choice passes ``associations=True``."""
    candidates = await Mediator.select(
        *Mediator.all_columns(), Mediator.organisation.name.as_alias("organisation_name"),
        Mediator.organisation.path.as_alias("organisation_path"),
        Mediator.organisation.type_code.as_alias("organisation_type"),
    ).where((Mediator.active == True) & (Mediator.user.is_not_null())).output(load_json=True)  # noqa: E712
    scope = case["org_path"]
    candidates = [
        c for c in candidates
        if (c["organisation_path"] or "").startswith(scope) and (associations or c["organisation_type"] != ASSOCIATION)
    ]
    loads = await open_case_counts([c["user"] for c in candidates])
    for c in candidates:
        c["open_cases"] = loads.get(c["user"], 0)
    ranked = await call_first("rank_mediators", case, case=case, candidates=candidates) or candidates
    result = []
    for c in ranked:
        barred = await recusal_grounds(case["id"], c)
        if barred:
            continue
        result.append(
            {
                "mediator_id": c["id"], "name": c["name"], "organisation": c["organisation_name"],
                "grade": c["grade"], "rating": c["rating"], "open_cases": c["open_cases"],
                "max_open_cases": c["max_open_cases"], "specialties": c["specialties"],
                "score": c.get("score"), "reasons": c.get("reasons", []),
            }
        )
        if len(result) >= limit:
            break
    return result


async def open_case_counts(user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = await Case.select(Case.assignee).where(
        Case.assignee.is_in(user_ids) & Case.state.is_in(list(ACTIVE - {"agreed"}))
    )
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["assignee"]] = counts.get(row["assignee"], 0) + 1
    return counts
