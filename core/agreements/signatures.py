"""Capturing signatures on a final agreement, and the moment it takes effect.

Each signature (or the seal) is one row, its image on disk, and a ``sign_agreement`` event
whose payload points at rows (no names, no images). The signature that completes the set
fires the lifecycle's ``agree`` in the same transaction: the agreement is effective from
that event on. Concurrent signers are serialised on the case row, so the last of them
always sees the others.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread

from core.actors import SYSTEM, Actor
from core.agreements import images
from core.agreements.effects import snapshot_of
from core.agreements.seals import seal_row
from core.agreements.tables import AgreementSignature
from core.cases.access import ensure_can_see
from core.cases.lifecycle import LEAD
from core.cases.tables import Agreement, Case
from core.db import is_sqlite, write_transaction
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed, Vetoed

log = logging.getLogger("jiefen.agreements")

PARTY_METHODS = frozenset({"pad", "kiosk", "scanned_paper", "fingerprint"})
MEDIATOR_METHODS = frozenset({"pad", "scanned_paper"})
# Staff who may hold the pad for a party, print a link, or attach a scanned page.
CAPTURE_ROLES = frozenset({"mediator", "handler", "window_staff", "supervisor", "admin"})
# A key has no person behind it: it cannot sign as the mediator, apply a seal, capture a
# party's signature or start a signing link, whatever its scopes (``*`` too).
NOT_BY_KEY = "An API key cannot sign an agreement or apply a seal: a person must do it, signed in with their own account."


def refuse_api_key(actor: Actor) -> None:
    if actor.kind == "api_key":
        raise Forbidden(NOT_BY_KEY)


@dataclass(frozen=True)
class Origin:
    """Where a signature came from (kept with the signature, never in the event)."""

    ip: str = ""
    user_agent: str = ""


async def load(agreement_id: int, actor: Actor) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    agreement = await Agreement.select().where(Agreement.id == agreement_id).first()
    if agreement is None:
        raise NotFound()
    case = await Case.select().where(Case.id == agreement["case"]).first()
    ensure_can_see(actor, case)
    return agreement, case, await snapshot_of(agreement_id)


async def status(agreement_id: int, actor: Actor) -> dict[str, Any]:
    """Required signatures and which are collected (for the admin and the API)."""
    agreement, case, snapshot = await load(agreement_id, actor)
    rows = {r["signer_key"]: r for r in await AgreementSignature.select().where(AgreementSignature.agreement == agreement_id)}
    required = []
    for s in (snapshot or {}).get("required", []):
        row = rows.get(s["key"])
        required.append({
            "key": s["key"], "kind": s["kind"], "role": s["role"], "name": s["name"], "party_id": s.get("party_id"),
            "user_id": s.get("user_id"), "signed": row is not None, "method": row["method"] if row else None,
            "signed_at": row["signed_at"] if row else None, "signature_id": row["id"] if row else None,
        })
    return {
        "agreement_id": agreement["id"], "case_id": case["id"], "revision": agreement["revision"], "status": agreement["status"],
        "content_sha256": agreement["content_sha256"], "effective_at": agreement["effective_at"],
        "required": required, "collected": sum(1 for r in required if r["signed"]),
        "complete": bool(required) and all(r["signed"] for r in required),
    }


def _check_permission(actor: Actor, case: dict[str, Any], signer: dict[str, Any], method: str) -> None:
    if signer["kind"] == "party":
        if method not in PARTY_METHODS:
            raise ValidationFailed("This way of signing is not accepted for a party.")
        if actor.kind == "party":
            if actor.case_id != case["id"]:
                raise NotFound()
            return
        if actor.kind != "staff" or not actor.roles & CAPTURE_ROLES:
            raise Forbidden()
    elif signer["kind"] == "mediator":
        if method not in MEDIATOR_METHODS:
            raise ValidationFailed("This way of signing is not accepted for a mediator.")
        if actor.kind != "staff" or actor.user_id != signer["user_id"]:
            raise Forbidden("Only the mediator may sign as the mediator.")
    elif not (actor.kind == "staff" and (actor.user_id == case["assignee"] or actor.has_any(LEAD))):
        raise Forbidden("Only the mediator or a leader may apply the committee's seal.")


async def add_signature(
    agreement_id: int, actor: Actor, *, signer_key: str, method: str, image: bytes | None,
    origin: Origin = Origin(),
) -> dict[str, Any]:
    """Record one signature; with the last one the agreement takes effect. ``image`` is the
    PNG (or a scan); for the seal it is None and the committee's current seal is used."""
    refuse_api_key(actor)
    agreement, case, snapshot = await load(agreement_id, actor)
    if snapshot is None or agreement["status"] != "final":
        raise Conflict("Only a final agreement can be signed.")
    signer = next((s for s in snapshot["required"] if s["key"] == signer_key), None)
    if signer is None:
        raise NotFound("This person is not asked to sign this agreement.")
    _check_permission(actor, case, signer, method)
    if signer["kind"] == "seal":
        seal = await seal_row(snapshot["organisation"])
        if seal is None:
            raise Conflict("The committee has no seal image yet; its administrator sets it.")
        key, digest, size, content_type = seal["storage_key"], seal["sha256"], 0, "image/png"
    else:
        if image is None:
            raise ValidationFailed("The signature image is missing.")
        scan = method in ("scanned_paper", "fingerprint")
        # Decoding a large scan takes a while: off the event loop.
        checked = await anyio.to_thread.run_sync(
            functools.partial(images.check, image, allow_jpeg=scan, limit=images.SCAN_LIMIT if scan else images.PAD_LIMIT)
        )
        key = images.store("signatures", case["id"], checked)
        digest, size, content_type = checked.sha256, len(checked.data), checked.content_type
    return await _record(agreement, snapshot, signer, actor, method, key, digest, size, content_type, origin)


async def _record(
    agreement: dict[str, Any], snapshot: dict[str, Any], signer: dict[str, Any], actor: Actor, method: str,
    key: str, digest: str, size: int, content_type: str, origin: Origin,
) -> dict[str, Any]:
    from core.cases import schemas as s
    from core.cases.lifecycle import transition
    from core.cases.service import record_action
    from core.plugins.host import after_commit

    case_id = agreement["case"]
    blocked = ""
    async with write_transaction():
        query = Case.select().where(Case.id == case_id)
        case = await (query if is_sqlite() else query.lock_rows()).first()
        current = await Agreement.select(Agreement.status).where(Agreement.id == agreement["id"]).first()
        if current["status"] != "final":
            raise Conflict("Only a final agreement can be signed.")
        if case["state"] != "in_mediation":
            raise Conflict("The case is not in mediation; the agreement cannot be signed now.")
        if await AgreementSignature.exists().where((AgreementSignature.agreement == agreement["id"]) & (AgreementSignature.signer_key == signer["key"])):
            raise Conflict("This signature has already been given.")
        row = (await AgreementSignature.insert(
            AgreementSignature(
                agreement=agreement["id"], case=case_id, signer_key=signer["key"], signer_kind=signer["kind"],
                party=signer.get("party_id"), user=signer.get("user_id"), name=signer["name"], method=method,
                content_type=content_type, storage_key=key, sha256=digest, size=size, ip=origin.ip[:64],
                user_agent=origin.user_agent[:255], recorded_by=actor.user_id if actor.kind == "staff" else None,
                signed_at=datetime.now(UTC),
            )
        ).returning(AgreementSignature.id))[0]
        collected = await AgreementSignature.count().where(AgreementSignature.agreement == agreement["id"])
        required = len(snapshot["required"])
        await record_action(case_id, "sign_agreement", actor, {
            "agreement_id": agreement["id"], "signature_id": row["id"], "signer": signer["kind"], "party_id": signer.get("party_id"),
            "method": method, "sha256": digest, "collected": collected, "required": required,
        })
        effective = False
        if collected >= required:
            try:
                await transition(case_id, "agree", SYSTEM, s.AgreeData(agreement_id=agreement["id"]))
                effective = True
            except Vetoed as exc:  # the signature stands; the mediator retries agree later
                blocked = str(exc)
                log.warning("agreement %s fully signed but agree was vetoed: %s", agreement["id"], exc)
    await after_commit({})
    return {"signature_id": row["id"], "collected": collected, "required": required, "effective": effective, "blocked": blocked}
