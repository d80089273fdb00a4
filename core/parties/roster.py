"""What an applicant chooses from: the centres, the dispute types, and the mediator cards
(点单: specialties, organisation, grade, rating and current load)."""

from __future__ import annotations

from typing import Any

from piccolo.query.functions.aggregate import Count

from core.cases.lifecycle import OPEN
from core.cases.tables import Case
from core.orgs.tables import Organisation
from core.roster.tables import Mediator

CENTRE_TYPES = ("town", "county")
GRADES = {1: "首席调解员", 2: "一级调解员", 3: "二级调解员", 4: "三级调解员"}
GRADES_EN = {1: "Chief mediator", 2: "First grade", 3: "Second grade", 4: "Third grade"}


async def centres() -> list[dict[str, Any]]:
    return await Organisation.select(Organisation.id, Organisation.name, Organisation.path, Organisation.type_code).where(
        Organisation.type_code.is_in(list(CENTRE_TYPES)) & (Organisation.active == True)  # noqa: E712
    ).order_by(Organisation.path)


async def centre(centre_id: int) -> dict[str, Any] | None:
    return await Organisation.select(Organisation.id, Organisation.name, Organisation.path).where(
        (Organisation.id == centre_id) & Organisation.type_code.is_in(list(CENTRE_TYPES)) & (Organisation.active == True)  # noqa: E712
    ).first()


async def places(centre_row: dict[str, Any]) -> list[dict[str, Any]]:
    """Villages and communities under the centre, for "where did it happen"."""
    return await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.path.like(centre_row["path"] + "%") & (Organisation.type_code == "village") & (Organisation.active == True)  # noqa: E712
    ).order_by(Organisation.name)


async def dispute_types(locale: str = "zh_CN", centre_path: str | None = None) -> list[dict[str, Any]]:
    """The active types; with a centre, only those its cases may take (not another town's own)."""
    from core.roster.types import offered_types

    rows = await offered_types(centre_path)
    return [{"code": r["code"], "label": r["label_en"] if locale == "en" else r["label_zh"]} for r in rows]


async def mediator_cards(centre_row: dict[str, Any], locale: str = "zh_CN") -> list[dict[str, Any]]:
    """Active mediators of the centre's subtree, best rated first; never their phone."""
    rows = await Mediator.select(
        Mediator.id, Mediator.user, Mediator.name, Mediator.specialties, Mediator.grade, Mediator.rating,
        Mediator.rating_count, Mediator.max_open_cases, Mediator.is_expert, Mediator.expert_field, Mediator.bio,
        Mediator.organisation.name.as_alias("organisation"),
    ).where(
        (Mediator.active == True) & Mediator.organisation.path.like(centre_row["path"] + "%")  # noqa: E712
    ).output(load_json=True)
    users = [r["user"] for r in rows if r["user"]]
    load: dict[int, int] = {}
    if users:
        counted = await Case.select(Case.assignee, Count(Case.id).as_alias("n")).where(
            Case.assignee.is_in(users) & Case.state.is_in(sorted(OPEN | {"referred"}))
        ).group_by(Case.assignee)
        load = {r["assignee"]: r["n"] for r in counted}
    labels = {t["code"]: t["label"] for t in await dispute_types(locale)}
    grades = GRADES_EN if locale == "en" else GRADES
    cards = []
    for r in rows:
        open_cases = load.get(r["user"], 0)
        cards.append({
            "id": r["id"], "name": r["name"], "organisation": r["organisation"],
            "specialties": [labels.get(code, code) for code in r["specialties"] or []],
            "specialty_codes": list(r["specialties"] or []),
            "grade": r["grade"], "grade_label": grades.get(r["grade"], str(r["grade"])),
            "rating": round(float(r["rating"]), 1), "rating_count": r["rating_count"],
            "open_cases": open_cases, "capacity": r["max_open_cases"],
            "busy": open_cases >= r["max_open_cases"], "is_expert": r["is_expert"],
            "expert_field": r["expert_field"], "bio": r["bio"],
        })
    return sorted(cards, key=lambda c: (c["busy"], -c["rating"], c["grade"], c["open_cases"]))
