"""The timeline: append-only events, each chained to the previous one by SHA-256.

``append_event`` must run inside the write transaction that changed the case, after the
case's version was bumped: that row lock is what keeps two writers from forking the chain.

Text people typed (a reason, a note, a message …) goes to ``case_remark``, not into the hashed
payload: the payload keeps ``remarks: {field: sha256}``, so retention can blank the text and
the chain still verifies. Readers get it back through :func:`join_remarks`. Events written
before this carry their text in the payload and have no ``remarks``; both shapes are read.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.actors import Actor
from core.cases.tables import Case, CaseEvent, CaseRemark
from core.db import insert_rows
from core.privacy.sensitive import FREE_TEXT_KEYS

GENESIS = "0" * 64
REMARKS = "remarks"


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


def remark_digest(nonce: str, text: str) -> str:
    return hashlib.sha256(f"{nonce}:{text}".encode()).hexdigest()


def split_remarks(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[str, str, str]]]:
    """The payload to hash (typed text replaced by digests) and ``{field: (text, nonce, digest)}``."""
    texts = {k: v for k, v in payload.items() if k in FREE_TEXT_KEYS and isinstance(v, str) and v}
    if not texts:
        return payload, {}
    remarks = {}
    for key, text in texts.items():
        nonce = secrets.token_hex(16)
        remarks[key] = (text, nonce, remark_digest(nonce, text))
    hashed = {k: v for k, v in payload.items() if k not in texts}
    hashed[REMARKS] = {k: r[2] for k, r in remarks.items()}
    return hashed, remarks


def _digests(payload: Any) -> dict[str, str]:
    found = payload.get(REMARKS) if isinstance(payload, dict) else None
    return found if isinstance(found, dict) else {}


async def join_remarks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put each event's typed text back into its payload (rows need ``id`` and ``payload``),
    so readers see the payload as it was given to :func:`append_event`."""
    for row in rows:
        if isinstance(row.get("payload"), str):
            row["payload"] = json.loads(row["payload"])
    ids = [row["id"] for row in rows if _digests(row.get("payload"))]
    if not ids:
        return rows
    texts = {
        (r["event"], r["field"]): r["text"]
        for r in await CaseRemark.select(CaseRemark.event, CaseRemark.field, CaseRemark.text).where(CaseRemark.event.is_in(ids))
    }
    for row in rows:
        if digests := _digests(row.get("payload")):
            payload = {k: v for k, v in row["payload"].items() if k != REMARKS}
            payload.update({field: texts.get((row["id"], field), "") for field in digests})
            row["payload"] = payload
    return rows


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
    clean, remarks = split_remarks(normalise_payload(payload or {}))
    digest = event_hash(
        case_id=case_id, seq=seq, name=name, from_state=from_state, to_state=to_state,
        actor_id=actor.user_id, actor_label=actor.label, at=at, payload=clean, prev_hash=prev,
    )
    row = {
        "case": case_id, "seq": seq, "name": name, "from_state": from_state, "to_state": to_state,
        "actor": actor.user_id, "actor_label": actor.label, "at": at, "payload": clean,
        "prev_hash": prev, "hash": digest,
    }
    inserted = await insert_rows(CaseEvent, [{**row, "payload": clean}], returning=("id",))
    row["id"] = inserted[0]["id"]
    if remarks:
        await CaseRemark.insert(*(
            CaseRemark(event=row["id"], case=case_id, field=k, text=text, nonce=nonce, sha256=d)
            for k, (text, nonce, d) in remarks.items()
        ))
        row["payload"] = {**{k: v for k, v in clean.items() if k != REMARKS}, **{k: r[0] for k, r in remarks.items()}}
    return row


@dataclass
class ChainReport:
    case_id: int
    events: int
    intact: bool
    first_bad_seq: int | None = None
    problem: str = ""


async def load_events(case_id: int, *, with_text: bool = True) -> list[dict[str, Any]]:
    """``with_text=False``: the payloads as hashed (typed text as digests under ``remarks``)."""
    rows = await CaseEvent.select().where(CaseEvent.case == case_id).order_by(CaseEvent.seq)
    for row in rows:
        if isinstance(row["payload"], str):
            row["payload"] = json.loads(row["payload"])
    return await join_remarks(rows) if with_text else rows


async def verify_chain(case_id: int) -> ChainReport:
    rows = await load_events(case_id, with_text=False)
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
    if bad := await _check_remarks(case_id, rows):
        return ChainReport(case_id, len(rows), False, *bad)
    # Every event is written by exactly one bump of the case's version, so the version counts
    # the events: this catches the last events cut off, or one appended without a change.
    case = await Case.select(Case.version).where(Case.id == case_id).first()
    if case is not None and case["version"] != len(rows):
        if case["version"] > len(rows):
            return ChainReport(case_id, len(rows), False, len(rows) + 1, f"events after {len(rows)} are missing (version {case['version']})")
        return ChainReport(case_id, len(rows), False, case["version"] + 1, f"event {case['version'] + 1} was not written by a change to the case")
    return ChainReport(case_id, len(rows), True)


async def _check_remarks(case_id: int, rows: list[dict[str, Any]]) -> tuple[int, str] | None:
    """Each remark must match the digest its (hashed) event holds. A blanked remark (no nonce)
    is accepted only on an anonymised case, and only blanked by retention."""
    from core.privacy.retention import REDACTED
    from core.privacy.tables import AnonymisedCase

    stored = {(r["event"], r["field"]): r for r in await CaseRemark.select().where(CaseRemark.case == case_id)}
    anonymised: bool | None = None
    for row in rows:
        for field, digest in _digests(row["payload"]).items():
            remark = stored.pop((row["id"], field), None)
            if remark is None:
                return row["seq"], f"the {field} of event {row['seq']} is missing"
            if remark["nonce"] or remark["text"] not in ("", REDACTED):
                if remark["sha256"] != digest or remark_digest(remark["nonce"], remark["text"]) != digest:
                    return row["seq"], f"the {field} of event {row['seq']} does not match its digest"
                continue
            if anonymised is None:
                anonymised = await AnonymisedCase.exists().where(AnonymisedCase.case_id == case_id)
            if not anonymised or remark["sha256"] != digest:
                return row["seq"], f"the {field} of event {row['seq']} was blanked outside retention"
    if stored:
        seqs = {r["id"]: r["seq"] for r in rows}
        (event_id, field), _ = next(iter(stored.items()))
        return seqs.get(event_id, 0), f"a {field} not written with its event"
    return None
