"""Per-process caches of rows every intake reads and that change a few times a year:
organisations, dispute types and deadline policy rules.

Entries live ``TTL`` seconds, so another process's change is seen within that time; a change
made through this process (admin pages, the policy API) calls :func:`invalidate` and is seen
at once. A miss (a new organisation or type) always reads the database. Callers get copies.
"""

from __future__ import annotations

import time
from typing import Any

TTL = 10.0

_orgs: dict[int, tuple[float, dict[str, Any]]] = {}
_types: tuple[float, dict[str, dict[str, Any]]] | None = None
_rules: dict[str, tuple[float, list[dict[str, Any]]]] = {}


def invalidate() -> None:
    """Forget everything (after a change to organisations, dispute types or policy rules)."""
    global _types
    _orgs.clear()
    _rules.clear()
    _types = None


def _fresh(stamp: float) -> bool:
    return time.monotonic() - stamp < TTL


async def organisation(org_id: int | None) -> dict[str, Any] | None:
    """The organisation row, or None when there is no such organisation."""
    from core.orgs.tables import Organisation

    if org_id is None:
        return None
    hit = _orgs.get(org_id)
    if hit and _fresh(hit[0]):
        return dict(hit[1])
    row = await Organisation.select().where(Organisation.id == org_id).first()
    if row is None:
        return None
    if len(_orgs) > 50_000:
        _orgs.clear()
    _orgs[org_id] = (time.monotonic(), row)
    return dict(row)


async def dispute_type(code: str) -> dict[str, Any] | None:
    """``{"code", "active", "sensitive", "owner_path"}`` of a dispute type, or None when unknown."""
    global _types
    from core.roster.tables import DisputeType

    if _types is None or not _fresh(_types[0]) or code not in _types[1]:
        rows = await DisputeType.select(
            DisputeType.code, DisputeType.active, DisputeType.sensitive, DisputeType.organisation.path.as_alias("owner_path"),
        )
        _types = (time.monotonic(), {r["code"]: r for r in rows})
    found = _types[1].get(code)
    return dict(found) if found else None


async def policy_rules(path: str) -> list[dict[str, Any]]:
    """The deadline policy rules of the organisations on ``path``."""
    from core.deadlines.config import rules_for_path

    hit = _rules.get(path)
    if hit and _fresh(hit[0]):
        return [dict(r) for r in hit[1]]
    rows = await rules_for_path(path)
    if len(_rules) > 10_000:
        _rules.clear()
    _rules[path] = (time.monotonic(), rows)
    return [dict(r) for r in rows]
