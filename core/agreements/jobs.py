"""Document jobs, queued through the outbox by the lifecycle (see ``effects.queue_document``)
and by the case-file API. Idempotent: a document already recorded is not issued again."""

from __future__ import annotations

import logging
from typing import Any

from core.jobs.registry import job

log = logging.getLogger("jiefen.documents")

# Without a signing key these are skipped with a warning (a town that has not installed its
# key yet still works); an agreement or a requested case file fails loudly and is retried.
SKIPPABLE = frozenset({"receipt", "record", "failure_notice"})


@job("render_document")
async def render_document(payload: dict[str, Any]) -> None:
    from core.agreements.contexts import BUILDERS, issuing_organisation
    from core.agreements.issue import NoSigner, issue, signer_for
    from core.agreements.tables import DocumentRecord
    from core.cases.tables import Case

    kind, source_id = payload["kind"], int(payload["source_id"])
    if await DocumentRecord.exists().where((DocumentRecord.kind == kind) & (DocumentRecord.source_id == source_id)):
        return
    case = await Case.select().where(Case.id == payload["case_id"]).first()
    if case is None or kind not in BUILDERS:
        log.warning("render_document: nothing to render for %s", payload)
        return
    # The signer first: a town without a key skips before any rendering work.
    org = await issuing_organisation(kind, case, source_id)
    signer = await signer_for(org)
    if signer is None:
        if kind in SKIPPABLE:
            log.warning("%s of case %s not issued: no signing key for organisation %s", kind, case["id"], org["id"])
            return
        raise NoSigner(organisation=org["name"], org_id=org["id"])
    await issue(case, kind, source_id, await BUILDERS[kind](case, source_id), signer)


@job("render_case_file")
async def render_case_file(payload: dict[str, Any]) -> None:
    from core.agreements.casefile import build_case_file

    await build_case_file(int(payload["export_id"]))
