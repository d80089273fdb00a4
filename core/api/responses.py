"""What the core API answers, as TypedDicts: the handlers build plain dicts; these annotations
give the OpenAPI document real response schemas (required keys, types) that clients and
the schemathesis run in tests/security check against."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict


class CaseSummary(TypedDict):
    id: int
    # The official number from registration on; before it, the application reference.
    number: str
    application_ref: str | None
    state: str
    state_label: str
    channel: str
    dispute_type: str
    risk_level: str
    title: str
    org_id: int
    assigned_org_id: int | None
    assignee_id: int | None
    in_pool: bool
    submitted_at: datetime
    next_due_at: datetime | None
    version: int


class CaseListItem(CaseSummary, total=False):
    restricted: bool  # a sensitive case seen by someone not handling it: title and people hidden


class CasePage(TypedDict):
    items: list[CaseListItem]
    next_cursor: str | None


class MaskedParty(TypedDict):
    id: int
    role: str
    kind: str
    name: str
    phone: str
    id_number: str
    is_representative: bool
    represented_count: int


class AssistingUnit(TypedDict):
    organisation_id: int
    name: str


class CaseDetail(CaseListItem):
    description: str
    amount: str | None  # a decimal, as text
    place_id: int | None
    org_name: str | None
    place_name: str | None
    assigned_org_name: str | None
    assignee_name: str | None
    preferred_mediator_id: int | None
    preferred_time: str
    preferred_mode: str
    preferred_place: str
    is_collective: bool
    sensitive: bool
    merged_into_id: int | None
    outcome: str
    failure_advice: str
    attempts_at_level: int
    owner_leader_id: int | None
    registered_at: datetime | None
    first_contact_at: datetime | None
    closed_at: datetime | None
    rights_notified_at: datetime | None
    consent_at: datetime | None
    parties: list[MaskedParty]
    assisting_units: list[AssistingUnit]  # active ones (协办单位)
    allowed_actions: list[str]


class PossibleDuplicate(TypedDict):
    id: int
    number: str
    state: str
    same_type: bool


class _CaseCreatedFields(TypedDict):
    id: int
    number: str
    state: str
    version: int


class CaseCreated(_CaseCreatedFields, total=False):
    replayed: bool  # the Idempotency-Key was seen before: this is the first answer again


class StaffCaseCreated(CaseCreated):
    possible_duplicates: list[PossibleDuplicate]


class TimelineEvent(TypedDict):
    seq: int
    name: str
    label: str
    from_state: str | None
    to_state: str | None
    actor_id: int | None
    actor_label: str
    at: datetime
    payload: dict[str, Any]
    hash: str


class Timeline(TypedDict):
    items: list[TimelineEvent]


class ChainReport(TypedDict):
    case_id: int
    events: int
    intact: bool
    first_bad_seq: int | None
    problem: str


class MediatorSuggestion(TypedDict):
    mediator_id: int
    name: str
    organisation: str
    grade: int | None
    rating: float | None
    open_cases: int
    max_open_cases: int | None
    specialties: list[str]
    score: float | None
    reasons: list[str]


class Suggestions(TypedDict):
    items: list[MediatorSuggestion]


class EarlierCase(PossibleDuplicate):
    dispute_type: str
    submitted_at: datetime


class Duplicates(TypedDict):
    items: list[EarlierCase]


class RevealedParty(TypedDict):
    id: int
    name: str
    phone: str
    id_number: str
    address: str


class ActionEvent(TypedDict):
    seq: int
    name: str
    from_state: str | None
    to_state: str | None
    at: datetime
    payload: dict[str, Any]


class ActionResult(TypedDict):
    event: ActionEvent
    case: CaseListItem


class EvidenceStored(TypedDict):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class EvidenceItem(TypedDict):
    id: int
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    description: str


class EvidenceList(TypedDict):
    items: list[EvidenceItem]


class DisputeTypeItem(TypedDict):
    code: str
    label_zh: str
    label_en: str


class DisputeTypes(TypedDict):
    items: list[DisputeTypeItem]


class RosterMediator(TypedDict):
    id: int
    name: str
    specialties: list[str]
    grade: int | None
    rating: float | None
    rating_count: int
    is_expert: bool
    expert_field: str
    bio: str
    organisation: str


class Roster(TypedDict):
    items: list[RosterMediator]


class SignedIn(TypedDict):
    user_id: int
    display_name: str
    csrf_token: str


class Ok(TypedDict):
    ok: bool


class Me(TypedDict):
    kind: str
    user_id: int | None
    name: str
    roles: list[str]
    organisation_id: int | None
    locale: str


# Agreements, documents and verification (core/agreements/api.py).


class AgreementTerm(TypedDict, total=False):
    obligor: str
    obligee: str
    what: str
    amount: str | None
    how: str
    where: str
    due_date: str | None


class AgreementRevision(TypedDict):
    id: int
    case_id: int
    revision: int
    status: str
    facts: str
    matters: str
    responsibilities: str
    terms: list[AgreementTerm]
    performance: str
    content_sha256: str | None
    created_at: datetime
    finalised_at: datetime | None
    effective_at: datetime | None


class AgreementRevisions(TypedDict):
    items: list[AgreementRevision]


class RequiredSignature(TypedDict):
    key: str
    kind: str
    role: str
    name: str
    party_id: int | None
    user_id: int | None
    signed: bool
    method: str | None
    signed_at: datetime | None
    signature_id: int | None


class SignatureStatus(TypedDict):
    agreement_id: int
    case_id: int
    revision: int
    status: str
    content_sha256: str | None
    effective_at: datetime | None
    required: list[RequiredSignature]
    collected: int
    complete: bool


class AgreementDetail(AgreementRevision):
    content: dict[str, Any] | None  # the frozen text a final revision was signed on
    signatures: SignatureStatus


class SignatureAdded(TypedDict):
    signature_id: int
    collected: int
    required: int
    effective: bool  # the last signature: the agreement took effect (the case moved on)
    blocked: str  # fully signed, but a plugin vetoed taking effect: its reason (else empty)


class _SealFields(TypedDict):
    organisation_id: int
    set: bool


class SealInfo(_SealFields, total=False):
    """``set`` false alone until an administrator sets the committee's seal."""

    sha256: str
    width: int
    height: int
    set_by: int | None
    set_at: datetime


class SignLink(TypedDict):
    url: str
    path: str
    expires_at: datetime
    qr_svg: str


class IssuedDocument(TypedDict):
    id: int
    case_id: int
    kind: str
    title: str
    source_id: int | None
    revision: int
    sha256: str
    size: int
    verification_code: str
    verify_url: str
    signer_name: str
    signed_at: datetime | None
    has_archive: bool


class IssuedDocuments(TypedDict):
    items: list[IssuedDocument]


class CaseFileExport(TypedDict):
    id: int
    case_id: int
    status: str
    document_id: int | None
    error: str
    created_at: datetime
    finished_at: datetime | None


class VerifiedDocument(TypedDict):
    case_number: str
    kind: str
    title: str
    revision: int
    verification_code: str
    issued_at: datetime | None
    signer: str


class _VerificationFound(TypedDict):
    found: bool


class Verification(_VerificationFound, total=False):
    """``found`` false alone when the code names nothing; a retired document (deleted under the
    retention policy) says when, and has no file to check."""

    intact: bool | None
    signed: bool
    trusted: bool
    signer: str | None
    signed_at: datetime | None
    sha256: str | None
    problems: list[str]
    matches_record: bool
    document: VerifiedDocument | None
    archive_copy: bool
    retired: bool
    retired_at: datetime
    message: str
    size: int


# Deadline policies (core/deadlines/api.py).


class PolicyStep(TypedDict):
    name: str
    offset_hours: float
    notify: list[str]


class DeadlinePolicy(TypedDict):
    kind: str
    duration: int
    unit: str
    extendable: bool
    max_extensions: int
    extension_duration: int | None
    channels: list[str] | None
    steps: list[PolicyStep]
    starts_on: list[str]
    stops_on: list[str]
    pause_states: list[str]


class EffectivePolicies(TypedDict):
    items: list[DeadlinePolicy]


class PolicyRule(TypedDict):
    """An organisation's own override: null fields keep what a less specific rule or the
    default says; empty dispute_type / level match any."""

    id: int
    organisation: int
    kind: str
    dispute_type: str
    level: str
    enabled: bool
    duration: int | None
    unit: str | None
    extendable: bool | None
    max_extensions: int | None
    extension_duration: int | None
    channels: list[str] | None
    steps: list[PolicyStep] | None
    definition: dict[str, Any] | None  # starts_on / stops_on / pause_states, for a kind the core does not define
    updated_by: int | None
    updated_at: datetime


class PolicyRules(TypedDict):
    defaults: list[DeadlinePolicy]
    rules: list[PolicyRule]


class PolicyRuleDeleted(TypedDict):
    deleted: int  # the rule's id


# What an applicant picks from (core/parties/api.py).


class Named(TypedDict):
    id: int
    name: str


class NamedList(TypedDict):
    items: list[Named]


class LabelledType(TypedDict):
    code: str
    label: str


class LabelledTypes(TypedDict):
    items: list[LabelledType]


class MediatorCard(TypedDict):
    id: int
    name: str
    organisation: str
    specialties: list[str]
    specialty_codes: list[str]
    grade: int | None
    grade_label: str
    rating: float | None
    rating_count: int
    open_cases: int
    capacity: int | None
    busy: bool
    is_expert: bool
    expert_field: str
    bio: str


class MediatorCards(TypedDict):
    items: list[MediatorCard]


# Health (core/api/health.py): public, no personal data.


class Liveness(TypedDict):
    status: str  # "ok"


class _CheckFields(TypedDict):
    ok: bool


class Check(_CheckFields, total=False):
    error: str  # the kind of failure (an exception's class name)
    configured: bool  # Redis: false when JIEFEN_REDIS_URL is unset (not needed, so ok)
    waiting: int  # outbox: rows due and not finished
    oldest_seconds: float  # outbox: how long the oldest of them has waited
    failed_for_good: int  # outbox: rows that ran out of attempts


class ReadinessChecks(TypedDict):
    database: Check
    redis: Check
    outbox: Check


class Readiness(TypedDict):
    status: str  # "ok" or "unavailable" (503)
    checks: ReadinessChecks
