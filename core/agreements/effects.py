"""The written agreement on the lifecycle: ``draft_agreement``, ``finalise_agreement`` and the
written path of ``agree``; and the document jobs the lifecycle queues.

Imported by ``core.cases.effects``, so these are registered wherever the lifecycle runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from core.agreements import jobs as _jobs  # noqa: F401  (registers the document jobs)
from core.agreements.content import (
    build_content,
    case_parties,
    content_hash,
    issuing_committee,
    load_json,
    mediator_of,
    required_signers,
)
from core.agreements.tables import AgreementSignature, AgreementSnapshot
from core.cases.lifecycle import Change, effect
from core.cases.tables import Agreement
from core.errors import Conflict, NotFound

PENDING = ("draft", "final")


def queue_document(kind: str, case_id: int, source_id: int) -> tuple[str, dict[str, Any], str]:
    """An outbox row for ``Change.outbox``: render, sign and record one document (once)."""
    return ("render_document", {"kind": kind, "case_id": case_id, "source_id": source_id}, f"document:{kind}:{source_id}")


async def _pending(case_id: int) -> dict[str, Any] | None:
    return await Agreement.select().where((Agreement.case == case_id) & Agreement.status.is_in(list(PENDING))).order_by(
        Agreement.revision, ascending=False
    ).first()


async def supersede_pending(case_id: int, keep: int | None = None) -> None:
    where = (Agreement.case == case_id) & Agreement.status.is_in(list(PENDING))
    if keep is not None:
        where &= Agreement.id != keep
    await Agreement.update({Agreement.status: "superseded"}).where(where)


@effect("draft_agreement")
async def _draft(change: Change) -> None:
    case_id = change.case["id"]
    current = await _pending(case_id)
    if current and current["status"] == "final" and await AgreementSignature.exists().where(AgreementSignature.agreement == current["id"]):
        raise Conflict("Signing of the final agreement has begun; it can no longer be replaced.")
    revision = await Agreement.count().where(Agreement.case == case_id) + 1
    await supersede_pending(case_id)
    data = change.data
    terms = msgspec.to_builtins(data.terms)
    inserted = await Agreement.insert(
        Agreement(
            case=case_id, revision=revision, facts=data.facts, matters=data.matters, responsibilities=data.responsibilities,
            terms=terms, performance=data.performance, status="draft", created_by=change.actor.user_id, created_at=change.now,
        )
    ).returning(Agreement.id)
    change.payload.update(agreement_id=inserted[0]["id"], revision=revision, terms_count=len(terms), replaces=current["id"] if current else None)


@effect("finalise_agreement")
async def _finalise(change: Change) -> None:
    case = change.case
    agreement = await Agreement.select().where((Agreement.id == change.data.agreement_id) & (Agreement.case == case["id"])).first()
    if agreement is None:
        raise NotFound()
    if agreement["status"] != "draft":
        raise Conflict("Only the current draft can be finalised.")
    committee = await issuing_committee(case)
    if committee is None:
        raise Conflict("No people's mediation committee is responsible for this case.")
    mediator = await mediator_of(case)
    if mediator is None:
        raise Conflict("The case has no mediator to sign the agreement.")
    parties = await case_parties(case["id"])
    content = build_content(case, agreement, parties, mediator, committee)
    digest = content_hash(content)
    required = required_signers(case, parties, mediator, committee)
    await Agreement.update(
        {Agreement.status: "final", Agreement.content_sha256: digest, Agreement.finalised_at: change.now}
    ).where(Agreement.id == agreement["id"])
    await AgreementSnapshot.insert(
        AgreementSnapshot(
            agreement=agreement["id"], case=case["id"], organisation=committee["id"], content=content,
            required=required, frozen_at=change.now,
        )
    )
    change.payload.update(agreement_id=agreement["id"], revision=agreement["revision"], content_sha256=digest, required=len(required))


async def snapshot_of(agreement_id: int) -> dict[str, Any] | None:
    row = await AgreementSnapshot.select().where(AgreementSnapshot.agreement == agreement_id).first()
    if row:
        row["content"], row["required"] = load_json(row["content"]), load_json(row["required"])
    return row


async def missing_signers(agreement_id: int, snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    signed = {r["signer_key"] for r in await AgreementSignature.select(AgreementSignature.signer_key).where(AgreementSignature.agreement == agreement_id)}
    return [s for s in snapshot["required"] if s["key"] not in signed]


async def agree_written(change: Change) -> None:
    """``agree`` with ``agreement_id``: only a final text, unaltered and fully signed, takes effect."""
    case_id = change.case["id"]
    agreement = await Agreement.select().where((Agreement.id == change.data.agreement_id) & (Agreement.case == case_id)).first()
    if agreement is None:
        raise NotFound()
    if agreement["status"] != "final":
        raise Conflict("Only a final agreement can take effect.")
    snapshot = await snapshot_of(agreement["id"])
    if snapshot is None or content_hash(snapshot["content"]) != agreement["content_sha256"]:
        raise Conflict("The agreement's text does not match its SHA-256.")
    missing = await missing_signers(agreement["id"], snapshot)
    if missing:
        raise Conflict("The agreement still lacks {count} signature(s).", count=len(missing))
    await mark_effective(case_id, agreement["id"], change.now)
    change.updates["outcome"] = "agreed"
    change.payload.update(
        agreement_id=agreement["id"], revision=agreement["revision"], form="written",
        content_sha256=agreement["content_sha256"], signatures=len(snapshot["required"]),
    )
    change.outbox.append(queue_document("agreement", case_id, agreement["id"]))


async def mark_effective(case_id: int, agreement_id: int, now: datetime) -> None:
    """This agreement is in force; pending drafts, and an earlier agreement found not
    performed (the case was reopened), are superseded."""
    await Agreement.update({Agreement.status: "superseded"}).where(
        (Agreement.case == case_id) & Agreement.status.is_in([*PENDING, "effective"]) & (Agreement.id != agreement_id)
    )
    await Agreement.update({Agreement.status: "effective", Agreement.effective_at: now}).where(Agreement.id == agreement_id)
