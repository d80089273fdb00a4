"""The retention policy: a case closed (or rejected, withdrawn) longer ago than the configured
period is anonymised. Its number, state, type, dates, amounts, counts and timeline stay, so the
figures and the hash chain still hold; the people in it, the free text and the files go.

Each case is scrubbed in one transaction together with its ``anonymised`` timeline event and
its :class:`~core.privacy.tables.AnonymisedCase` row; files are removed from disk after the
commit (a crash in between leaves orphan files, never a half-scrubbed case). A case that fails
is left as it was and reported; the run goes on.

Its outbox rows: done ones are deleted, failed ones keep only their numbers (ids), with the
error text and dedupe key cleared. A case with jobs still to run (pending, enqueued, running)
is deferred to a later run, untouched: those jobs read the case by id (a message still to
send, a document to render, a plugin to tell), and one already running could write what it
read back after the scrub.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from core.actors import SYSTEM
from core.cases.lifecycle import FINAL
from core.cases.tables import (
    Agreement,
    Case,
    CaseEvent,
    CaseRemark,
    Evidence,
    FollowUp,
    MediationSession,
    Party,
)
from core.db import write_transaction
from core.orgs.tables import Organisation
from core.privacy.settings import privacy_settings
from core.privacy.tables import AnonymisedCase
from core.settings import get_settings

log = logging.getLogger("jiefen.retention")

EVENT = "anonymised"
# 甲乙丙丁 … for the parties of one role, in the order they were added.
ORDINALS = "甲乙丙丁戊己庚辛壬癸"
REDACTED = "〔已按保存期限匿名化〕"


@dataclass
class RetentionResult:
    dry_run: bool
    cutoff_days: int
    candidates: list[dict[str, Any]] = field(default_factory=list)
    anonymised: list[int] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    # Cases left for a later run because jobs of theirs had not finished: {id, number, jobs}.
    deferred: list[dict[str, Any]] = field(default_factory=list)
    files_removed: int = 0


class JobsInFlight(Exception):
    """The case still has outbox jobs to run; it is left as it was, for a later run."""

    def __init__(self, jobs: list[str]) -> None:
        self.jobs = jobs
        super().__init__(", ".join(jobs))


def placeholder_name(role: str, index: int) -> str:
    from core.i18n import label

    ordinal = ORDINALS[index] if index < len(ORDINALS) else str(index + 1)
    return f"{label('party_role', role, 'zh_CN') or role}{ordinal}"


def _days_for(case: dict[str, Any], towns: list[dict[str, Any]]) -> int:
    """The town's own period when it has one (longest matching path wins), else the default."""
    settings = privacy_settings()
    best = settings.retention_days
    depth = -1
    for town in towns:
        days = settings.retention_days_by_town.get(str(town["id"]))
        if days and case["org_path"].startswith(town["path"]) and town["path"].count("/") > depth:
            best, depth = days, town["path"].count("/")
    return best


async def _final_at(case: dict[str, Any]) -> datetime | None:
    """When the case reached its final state: closed_at, or the event that moved it there."""
    if case["closed_at"]:
        return case["closed_at"]
    row = await CaseEvent.select(CaseEvent.at).where(
        (CaseEvent.case == case["id"]) & (CaseEvent.to_state == case["state"])
    ).order_by(CaseEvent.seq, ascending=False).first()
    return row["at"] if row else None


async def find_due(*, now: datetime | None = None, before: date | None = None, town_id: int | None = None) -> list[dict[str, Any]]:
    """Final cases past their period (or, with ``before``, final before that local date) and
    not anonymised yet."""
    now = now or datetime.now(UTC)
    settings = privacy_settings()
    towns: list[dict[str, Any]] = []
    if settings.retention_days_by_town:
        ids = [int(k) for k in settings.retention_days_by_town if k.isdigit()]
        towns = await Organisation.select(Organisation.id, Organisation.path).where(Organisation.id.is_in(ids or [-1]))
    shortest = min([settings.retention_days, *settings.retention_days_by_town.values()])
    fixed_cutoff = datetime.combine(before, time(), tzinfo=get_settings().zone).astimezone(UTC) if before else None
    # Nothing can be due that was submitted after the latest possible cutoff.
    latest = fixed_cutoff or (now - timedelta(days=shortest))
    where = Case.state.is_in(sorted(FINAL)) & (Case.submitted_at < latest)
    where &= Case.id.not_in(AnonymisedCase.select(AnonymisedCase.case_id))
    if town_id is not None:
        town = await Organisation.select(Organisation.path).where(Organisation.id == town_id).first()
        if town is None:
            from core.errors import NotFound

            raise NotFound("Unknown organisation.")
        where &= Case.org_path.like(town["path"] + "%")
    due = []
    for case in await Case.select(
        Case.id, Case.number, Case.state, Case.org_path, Case.closed_at, Case.submitted_at
    ).where(where).order_by(Case.id):
        final_at = await _final_at(case)
        if final_at is None:
            continue
        days = _days_for(case, towns) if fixed_cutoff is None else 0
        cutoff = fixed_cutoff or (now - timedelta(days=days))
        if final_at < cutoff:
            due.append({**case, "final_at": final_at, "retention_days": days})
    return due


async def run(
    *, dry_run: bool = False, before: date | None = None, town_id: int | None = None, now: datetime | None = None,
) -> RetentionResult:
    due = await find_due(now=now, before=before, town_id=town_id)
    result = RetentionResult(dry_run=dry_run, cutoff_days=privacy_settings().retention_days, candidates=due)
    if dry_run:
        return result
    for case in due:
        try:
            files = await anonymise_case(case["id"], retention_days=case["retention_days"], closed_at=case["final_at"])
        except JobsInFlight as waiting:
            log.info("retention: case %s (%s) deferred, jobs not finished: %s", case["id"], case["number"], waiting)
            result.deferred.append({"id": case["id"], "number": case["number"], "jobs": waiting.jobs})
            continue
        except Exception as exc:  # noqa: BLE001 - one case's failure must not stop the run
            log.exception("retention: case %s (%s) left as it was", case["id"], case["number"])
            result.failed.append({"id": case["id"], "number": case["number"], "error": f"{type(exc).__name__}: {exc}"})
            continue
        result.anonymised.append(case["id"])
        result.files_removed += _remove_files(files)
    return result


def _remove_files(paths: list[Path]) -> int:
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError:
            log.exception("retention: could not remove %s", path)
    return removed


IN_FLIGHT = ("pending", "enqueued", "running")


async def _jobs_in_flight(case_id: int) -> list[str]:
    """Names of the case's outbox jobs not finished yet: its own rows, and the webhook sends of
    its deliveries (those rows carry only the delivery's id)."""
    from core.integrations.tables import WebhookDelivery
    from core.integrations.webhooks import SEND_JOB
    from core.jobs.execute import decode
    from core.jobs.tables import OutboxJob

    rows = await OutboxJob.select(OutboxJob.job).where((OutboxJob.case_id == case_id) & OutboxJob.status.is_in(list(IN_FLIGHT)))
    names = {r["job"] for r in rows}
    # Only a case with a delivery still to send has the (rarely many) send rows looked at.
    unsent = {r["id"] for r in await WebhookDelivery.select(WebhookDelivery.id).where(
        (WebhookDelivery.case_id == case_id) & (WebhookDelivery.status == "pending")
    )}
    if unsent:
        sends = await OutboxJob.select(OutboxJob.payload).where((OutboxJob.job == SEND_JOB) & OutboxJob.status.is_in(list(IN_FLIGHT)))
        if any(decode(r["payload"]).get("delivery_id") in unsent for r in sends):
            names.add(SEND_JOB)
    return sorted(names)


async def _scrub_outbox(case_id: int) -> dict[str, int]:
    """Done rows go; failed rows keep their job, attempts and times (what an operator looks at)
    and only the numbers of their payload (ids), without error text or dedupe key: a plugin's
    payload, error or key may name a person."""
    from core.jobs.execute import decode
    from core.jobs.tables import OutboxJob

    done = (OutboxJob.case_id == case_id) & (OutboxJob.status == "done")
    deleted = await OutboxJob.count().where(done)
    await OutboxJob.delete().where(done)
    failed = await OutboxJob.select(OutboxJob.id, OutboxJob.payload, OutboxJob.last_error).where(
        (OutboxJob.case_id == case_id) & (OutboxJob.status == "failed")
    )
    for row in failed:
        numbers = {k: v for k, v in decode(row["payload"]).items() if v is None or isinstance(v, (int, float))}
        await OutboxJob.update({
            OutboxJob.payload: numbers, OutboxJob.last_error: REDACTED if row["last_error"] else "", OutboxJob.dedupe_key: None,
        }).where(OutboxJob.id == row["id"])
    return {"deleted": deleted, "scrubbed": len(failed)}


def _under(root: Path, key: str) -> Path | None:
    if not key:
        return None
    path = (root / key).resolve()
    return path if root.resolve() in path.parents else None


async def anonymise_case(case_id: int, *, retention_days: int = 0, closed_at: datetime | None = None) -> list[Path]:
    """Scrub one case in one transaction; returns the files to remove once it has committed.
    Does nothing (and returns []) for a case already anonymised."""
    from core.agreements.settings import storage_root as document_root
    from core.agreements.tables import (
        AgreementSignature,
        AgreementSnapshot,
        CaseFileExport,
        DocumentRecord,
    )
    from core.cases.evidence import storage_root as evidence_root
    from core.cases.service import record_action
    from core.integrations.tables import Open311Request, WebhookDelivery
    from core.notifications.tables import Delivery, Notification
    from core.parties.tables import PartyMessage, PartySession
    from core.plugins.manager import all_impls, await_me_maybe

    files: list[Path] = []
    summary: dict[str, Any] = {}
    async with write_transaction():
        if await AnonymisedCase.exists().where(AnonymisedCase.case_id == case_id):
            return []
        case = await Case.select(Case.id, Case.state).where(Case.id == case_id).first()
        if case is None or case["state"] not in FINAL:
            from core.errors import Conflict

            raise Conflict("Only a closed, rejected or withdrawn case can be anonymised.")
        if waiting := await _jobs_in_flight(case_id):
            raise JobsInFlight(waiting)

        await Case.update({
            Case.title: "", Case.description: REDACTED, Case.preferred_time: "", Case.preferred_place: "",
            Case.failure_advice: "",
        }).where(Case.id == case_id)

        parties = await Party.select(Party.id, Party.role).where(Party.case == case_id).order_by(Party.id)
        seen: dict[str, int] = {}
        for p in parties:
            index = seen.get(p["role"], 0)
            seen[p["role"]] = index + 1
            await Party.update({
                Party.name: placeholder_name(p["role"], index), Party.phone: "", Party.id_number: "", Party.address: "",
                Party.gender: "", Party.birth_year: None, Party.anonymised: True,
            }).where(Party.id == p["id"])
        summary["parties"] = len(parties)

        for ev in await Evidence.select(Evidence.id, Evidence.storage_key).where(Evidence.case == case_id):
            if path := _under(evidence_root(), ev["storage_key"]):
                files.append(path)
            await Evidence.update({
                Evidence.filename: f"evidence-{ev['id']}", Evidence.description: "", Evidence.storage_key: "",
            }).where(Evidence.id == ev["id"])

        await MediationSession.update({MediationSession.record: "", MediationSession.place: "", MediationSession.attendees: []}).where(
            MediationSession.case == case_id
        )
        await Agreement.update({
            Agreement.facts: "", Agreement.matters: "", Agreement.responsibilities: "", Agreement.performance: "", Agreement.terms: [],
        }).where(Agreement.case == case_id)
        await FollowUp.update({FollowUp.result: "", FollowUp.comment: ""}).where(FollowUp.case == case_id)

        await AgreementSnapshot.update({AgreementSnapshot.content: {}, AgreementSnapshot.required: []}).where(AgreementSnapshot.case == case_id)
        for sig in await AgreementSignature.select(AgreementSignature.id, AgreementSignature.storage_key, AgreementSignature.signer_kind).where(
            AgreementSignature.case == case_id
        ):
            # The committee's seal image is shared by all its documents and is no one's personal data.
            if sig["signer_kind"] != "seal" and (path := _under(document_root(), sig["storage_key"])):
                files.append(path)
            await AgreementSignature.update({
                AgreementSignature.name: "", AgreementSignature.ip: "", AgreementSignature.user_agent: "",
                AgreementSignature.storage_key: "" if sig["signer_kind"] != "seal" else sig["storage_key"],
            }).where(AgreementSignature.id == sig["id"])
        for doc in await DocumentRecord.select(DocumentRecord.id, DocumentRecord.storage_key, DocumentRecord.archive_key).where(
            DocumentRecord.case == case_id
        ):
            files.extend(p for p in (_under(document_root(), doc["storage_key"]), _under(document_root(), doc["archive_key"])) if p)
            # SHA-256 and size stay: the verification page still knows the document was issued.
            await DocumentRecord.update({DocumentRecord.storage_key: "", DocumentRecord.archive_key: ""}).where(DocumentRecord.id == doc["id"])
        summary["documents"] = len(await DocumentRecord.select(DocumentRecord.id).where(DocumentRecord.case == case_id))
        await CaseFileExport.update({CaseFileExport.error: ""}).where(CaseFileExport.case == case_id)

        await PartyMessage.update({PartyMessage.body: REDACTED}).where(PartyMessage.case == case_id)
        await PartySession.update({PartySession.ip: ""}).where(PartySession.case == case_id)
        notes = Notification.select(Notification.id).where(Notification.case_id == case_id)
        await Delivery.update({Delivery.address: "", Delivery.last_error: ""}).where(Delivery.notification.is_in(notes))
        await Notification.update({Notification.subject: "", Notification.body: "", Notification.link: "", Notification.data: {}}).where(
            Notification.case_id == case_id
        )
        await WebhookDelivery.update({WebhookDelivery.body: "", WebhookDelivery.last_error: ""}).where(WebhookDelivery.case_id == case_id)
        await Open311Request.update({
            Open311Request.address: "", Open311Request.address_id: "", Open311Request.lat: None, Open311Request.long: None,
            Open311Request.media_url: "", Open311Request.device_id: "", Open311Request.account_id: "",
        }).where(Open311Request.case == case_id)

        # Every installed plugin scrubs its own rows, on or off for the town now: data it kept
        # while it was on is still there.
        plugins: dict[str, Any] = {}
        for name, impl in all_impls("anonymise_case"):
            outcome = await await_me_maybe(impl(case_id=case_id))
            if isinstance(outcome, dict):
                plugins[name] = outcome.get("rows", 0)
                files.extend(Path(p) for p in outcome.get("files", []))
            else:
                plugins[name] = outcome or 0
        summary["plugins"] = plugins
        summary["files"] = len(files)

        # Before the `anonymised` event, whose own delivery row must stay pending.
        summary["outbox"] = await _scrub_outbox(case_id)

        # The timeline's typed text: the digests stay in the hashed payloads, so the chain holds.
        await CaseRemark.update({CaseRemark.text: REDACTED, CaseRemark.nonce: ""}).where(CaseRemark.case == case_id)

        await record_action(case_id, EVENT, SYSTEM, {"retention_days": retention_days, "files": len(files)})
        await AnonymisedCase.insert(AnonymisedCase(
            case_id=case_id, closed_at=closed_at, retention_days=retention_days, summary=summary,
        ))
    return files


async def retired(case_id: int) -> dict[str, Any] | None:
    return await AnonymisedCase.select().where(AnonymisedCase.case_id == case_id).first()
