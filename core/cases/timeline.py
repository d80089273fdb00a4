"""The timeline: append-only events, each chained to the previous one by SHA-256.

``append_event`` must run inside the write transaction that changed the case, after the
case's version was bumped: that row lock is what keeps two writers from forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.actors import Actor
from core.cases.tables import Case, CaseEvent

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def normalise_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON so the hashed payload is exactly what the database returns."""
    return json.loads(canonical_json(payload))


def event_hash(
    *, case_id: int, seq: int, name: str, from_state: str | None, to_state: str | None,
    actor_id: int | None, actor_label: str, at: datetime, payload: dict[str, Any], prev_hash: str,
) -> str:
    body = canonical_json(
        {
            "case": case_id, "seq": seq, "name": name, "from": from_state, "to": to_state,
            "actor": actor_id, "actor_label": actor_label,
            "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "payload": payload, "prev": prev_hash,
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


async def append_event(
    case_id: int, name: str, actor: Actor, *, from_state: str | None = None,
    to_state: str | None = None, payload: dict[str, Any] | None = None, at: datetime | None = None,
    first: bool = False,
) -> dict[str, Any]:
    """``first``: the case was inserted in this transaction, so this is event 1 (no read)."""
    last = None if first else (
        await CaseEvent.select(CaseEvent.seq, CaseEvent.hash)
        .where(CaseEvent.case == case_id)
        .order_by(CaseEvent.seq, ascending=False)
        .first()
    )
    seq = (last["seq"] + 1) if last else 1
    prev = last["hash"] if last else GENESIS
    # Microseconds only: both engines store exactly this, so the hash verifies after a read.
    at = (at or datetime.now(UTC)).astimezone(UTC)
    clean = normalise_payload(payload or {})
    digest = event_hash(
        case_id=case_id, seq=seq, name=name, from_state=from_state, to_state=to_state,
        actor_id=actor.user_id, actor_label=actor.label, at=at, payload=clean, prev_hash=prev,
    )
    row = {
        "case": case_id, "seq": seq, "name": name, "from_state": from_state, "to_state": to_state,
        "actor": actor.user_id, "actor_label": actor.label, "at": at, "payload": clean,
        "prev_hash": prev, "hash": digest,
    }
    inserted = await CaseEvent.insert(
        CaseEvent(
            case=case_id, seq=seq, name=name, from_state=from_state, to_state=to_state,
            actor=actor.user_id, actor_label=actor.label, at=at, payload=clean, prev_hash=prev, hash=digest,
        )
    ).returning(CaseEvent.id)
    row["id"] = inserted[0]["id"]
    return row


@dataclass
class ChainReport:
    case_id: int
    events: int
    intact: bool
    first_bad_seq: int | None = None
    problem: str = ""


async def load_events(case_id: int) -> list[dict[str, Any]]:
    rows = await CaseEvent.select().where(CaseEvent.case == case_id).order_by(CaseEvent.seq)
    for row in rows:
        if isinstance(row["payload"], str):
            row["payload"] = json.loads(row["payload"])
    return rows


async def verify_chain(case_id: int) -> ChainReport:
    rows = await load_events(case_id)
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        if row["seq"] != expected_seq:
            return ChainReport(case_id, len(rows), False, row["seq"], f"gap before event {row['seq']}")
        if row["prev_hash"] != prev:
            return ChainReport(case_id, len(rows), False, row["seq"], "link to the previous event is broken")
        digest = event_hash(
            case_id=case_id, seq=row["seq"], name=row["name"], from_state=row["from_state"],
            to_state=row["to_state"], actor_id=row["actor"], actor_label=row["actor_label"],
            at=row["at"], payload=row["payload"], prev_hash=row["prev_hash"],
        )
        if digest != row["hash"]:
            return ChainReport(case_id, len(rows), False, row["seq"], "event content does not match its hash")
        prev = row["hash"]
    # Every event is written by exactly one bump of the case's version, so the version counts
    # the events: this catches the last events cut off, or one appended without a change.
    case = await Case.select(Case.version).where(Case.id == case_id).first()
    if case is not None and case["version"] != len(rows):
        if case["version"] > len(rows):
            return ChainReport(case_id, len(rows), False, len(rows) + 1, f"events after {len(rows)} are missing (version {case['version']})")
        return ChainReport(case_id, len(rows), False, case["version"] + 1, f"event {case['version'] + 1} was not written by a change to the case")
    return ChainReport(case_id, len(rows), True)
