"""Reads for the admin pages: the queue with its filters, sorts and cursor, and lookups."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from core.actors import Actor
from core.cases.access import handles_filter, mask_name, mask_phone, restricted, visible_filter
from core.cases.lifecycle import STATES
from core.cases.tables import Case, Party
from core.errors import BadRequest
from core.orgs.tables import Organisation

SORTS = ("newest", "oldest", "due", "updated")
PAGE_SIZE = 25


@dataclass
class QueueFilters:
    state: str = ""
    dispute_type: str = ""
    risk: str = ""
    channel: str = ""
    place: int | None = None
    overdue: bool = False
    mine: bool = False
    q: str = ""
    sort: str = "newest"
    cursor: str = ""

    @classmethod
    def from_query(cls, params: Any) -> QueueFilters:
        def text(name: str) -> str:
            return str(params.get(name) or "").strip()[:100]

        place = text("place")
        sort = text("sort")
        return cls(
            state=text("state") if text("state") in STATES else "", dispute_type=text("type"), risk=text("risk"),
            channel=text("channel"), place=int(place) if place.isdecimal() else None,
            overdue=text("overdue") in ("1", "on", "true"), mine=text("mine") in ("1", "on", "true"),
            q=text("q"), sort=sort if sort in SORTS else "newest", cursor=text("cursor"),
        )

    def query(self, **over: Any) -> str:
        """The query string for these filters with some changed (links keep the other filters)."""
        from urllib.parse import urlencode

        values = {
            "state": self.state, "type": self.dispute_type, "risk": self.risk, "channel": self.channel,
            "place": self.place or "", "overdue": "1" if self.overdue else "", "mine": "1" if self.mine else "",
            "q": self.q, "sort": "" if self.sort == "newest" else self.sort, "cursor": "",
        }
        values.update(over)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@dataclass
class QueuePage:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0


async def _filters_where(f: QueueFilters, actor: Actor, *, with_state: bool = True) -> Any:
    where = visible_filter(actor)
    if with_state and f.state:
        where &= Case.state == f.state
    if f.dispute_type:
        where &= Case.dispute_type == f.dispute_type
    if f.risk:
        where &= Case.risk_level == f.risk
    if f.channel:
        where &= Case.channel == f.channel
    if f.place:
        org = await Organisation.select(Organisation.path).where(Organisation.id == f.place).first()
        prefix = (org["path"] if org else "/nowhere/") + "%"
        where &= Case.org_path.like(prefix) | Case.place_path.like(prefix) | Case.assigned_org_path.like(prefix)
    if f.overdue:
        where &= Case.next_due_at < datetime.now(UTC)
    if f.mine and actor.user_id:
        where &= Case.assignee == actor.user_id
    if f.q:
        term = f.q
        party_match = Party.name == term
        if term.replace("-", "").replace(" ", "").isdigit():
            # A phone: the whole number, or its last digits as people often say them.
            party_match = (Party.phone == term) | (Party.id_number == term) | Party.phone.like("%" + term) if len(term) >= 4 else Party.phone == term
        elif len(term) >= 2:
            party_match = Party.name.like(term + "%")
        party_cases = Party.select(Party.case).where(party_match)
        # A person's name or phone must not reveal that they are party to a sensitive case.
        where &= (
            Case.number.like("%" + term + "%") | (Case.application_ref == term)
            | (Case.id.is_in(party_cases) & handles_filter(actor))
        )
    return where


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise ValueError
        return data
    except Exception as exc:
        raise BadRequest("The cursor is not valid.") from exc


async def queue(f: QueueFilters, actor: Actor, limit: int = PAGE_SIZE) -> QueuePage:
    where = await _filters_where(f, actor)
    cur = _decode(f.cursor) if f.cursor else None
    rows, next_cursor = await _page(where, f.sort, cur, limit)
    counts_where = await _filters_where(f, actor, with_state=False)
    counted = await Case.select(Case.state, Count(Case.id, alias="n")).where(counts_where).group_by(Case.state)
    counts = {r["state"]: r["n"] for r in counted}
    await _decorate(rows)
    for r in rows:
        if restricted(actor, r):
            from core.privacy.sensitive import party_placeholder, placeholder

            r.update(title=placeholder(actor.locale), description="", applicant=party_placeholder("applicant", actor.locale), applicant_phone="")
    return QueuePage(rows=rows, next_cursor=next_cursor, counts=counts, total=sum(counts.values()))


LIST_COLUMNS = (
    Case.id, Case.number, Case.title, Case.description, Case.state, Case.dispute_type, Case.risk_level,
    Case.channel, Case.next_due_at, Case.submitted_at, Case.updated_at, Case.assignee, Case.is_collective,
    # What decides whether a sensitive case is shown masked (core.privacy.sensitive.handles).
    Case.sensitive, Case.owner_leader, Case.org_path, Case.assigned_org_path, Case.assigned_org,
)


async def _page(where: Any, sort: str, cur: dict[str, Any] | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Keyset pagination: the cursor holds the last row's sort key and id."""
    cols = (*LIST_COLUMNS, Case.assignee.display_name.as_alias("assignee_name"))
    if sort in ("newest", "oldest"):
        asc = sort == "oldest"
        if cur:
            where &= (Case.id > cur["id"]) if asc else (Case.id < cur["id"])
        rows = await Case.select(*cols).where(where).order_by(Case.id, ascending=asc).limit(limit + 1)
        return _cut(rows, limit, lambda r: {"id": r["id"]})
    if sort == "updated":
        if cur:
            at = datetime.fromisoformat(cur["k"])
            where &= (Case.updated_at < at) | ((Case.updated_at == at) & (Case.id < cur["id"]))
        rows = await Case.select(*cols).where(where).order_by(Case.updated_at, ascending=False).order_by(Case.id, ascending=False).limit(limit + 1)
        return _cut(rows, limit, lambda r: {"k": r["updated_at"].isoformat(), "id": r["id"]})
    # "due": the earliest deadline first; cases without a running deadline come after, newest first.
    phase = cur.get("p", 1) if cur else 1
    rows: list[dict[str, Any]] = []
    if phase == 1:
        due_where = where & Case.next_due_at.is_not_null()
        if cur:
            at = datetime.fromisoformat(cur["k"])
            due_where &= (Case.next_due_at > at) | ((Case.next_due_at == at) & (Case.id > cur["id"]))
        rows = await Case.select(*cols).where(due_where).order_by(Case.next_due_at).order_by(Case.id).limit(limit + 1)
        if len(rows) > limit:
            return _cut(rows, limit, lambda r: {"p": 1, "k": r["next_due_at"].isoformat(), "id": r["id"]})
        cur = None
    rest_where = where & Case.next_due_at.is_null()
    if cur and phase == 2:
        rest_where &= Case.id < cur["id"]
    more = await Case.select(*cols).where(rest_where).order_by(Case.id, ascending=False).limit(limit + 1 - len(rows))
    rows = rows + more
    return _cut(rows, limit, lambda r: {"p": 2, "id": r["id"]} if r["next_due_at"] is None else {"p": 1, "k": r["next_due_at"].isoformat(), "id": r["id"]})


def _cut(rows: list[dict[str, Any]], limit: int, key: Any) -> tuple[list[dict[str, Any]], str | None]:
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, _encode(key(rows[-1]))
    return rows, None


async def _decorate(rows: list[dict[str, Any]]) -> None:
    """The first applicant of each case, masked, for the list."""
    if not rows:
        return
    parties = await Party.select(Party.case, Party.name, Party.kind, Party.phone, Party.role, Party.represented_count).where(
        Party.case.is_in([r["id"] for r in rows])
    ).order_by(Party.id)
    first: dict[int, dict[str, Any]] = {}
    count: dict[int, int] = {}
    for p in parties:
        count[p["case"]] = count.get(p["case"], 0) + 1
        if p["role"] == "applicant" and p["case"] not in first:
            first[p["case"]] = p
    for r in rows:
        p = first.get(r["id"])
        r["applicant"] = (p["name"] if p["kind"] == "company" else mask_name(p["name"])) if p else ""
        r["applicant_phone"] = mask_phone(p["phone"]) if p else ""
        r["represented"] = p["represented_count"] if p else 1
        r["party_count"] = count.get(r["id"], 0)


async def dispute_types(active_only: bool = True, *, offered_at: str | None = None) -> list[dict[str, Any]]:
    """``offered_at``: only the types a case of that organisation path may take."""
    from core.roster.types import offered_types

    return await offered_types(offered_at, active_only=active_only)


def type_label(types: list[dict[str, Any]], locale: str) -> dict[str, str]:
    return {t["code"]: (t["label_en"] if locale == "en" and t["label_en"] else t["label_zh"]) for t in types}


async def subtree(actor: Actor, *, tree_only: bool = False) -> list[dict[str, Any]]:
    """Organisations under the actor's, in tree order with their depth."""
    rows = await Organisation.select().where(Organisation.path.like((actor.org_path or "/nowhere/") + "%") & (Organisation.active == True))  # noqa: E712
    return order_tree(rows, tree_only=tree_only)


def order_tree(rows: list[dict[str, Any]], *, tree_only: bool = False) -> list[dict[str, Any]]:
    if tree_only:
        rows = [r for r in rows if r["type_code"] in ("county", "town", "village", "grid")]
    base = min((r["path"].count("/") for r in rows), default=0)
    by_path = sorted(rows, key=lambda r: [int(x) for x in r["path"].strip("/").split("/") if x])
    for r in by_path:
        r["depth"] = r["path"].count("/") - base
    return by_path
