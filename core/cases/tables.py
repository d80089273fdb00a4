"""Cases and everything that hangs off one: parties, evidence, the timeline, sessions, outcomes."""

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.auth.tables import StaffUser
from core.orgs.tables import Organisation
from core.roster.tables import Mediator

CHANNELS = (
    "walk_in", "phone", "hotline_12345", "police_110", "grid",
    "online", "photo_report", "opinion", "transfer",
)
RISK_LEVELS = ("high", "medium", "low")
PARTY_ROLES = ("applicant", "respondent", "third_party")


class Case(Table, tablename="dispute_case"):
    # The official number (案号) is given at registration (受理); until then ``number`` holds the
    # application reference, which stays in ``application_ref`` so either one finds the case.
    number = Varchar(length=60, unique=True)
    # Unique by the index dispute_case_application_ref (SQLite cannot add a UNIQUE column).
    application_ref = Varchar(length=40, null=True, default=None)
    channel = Varchar(length=30, index=True)
    dispute_type = Varchar(length=40, index=True)
    title = Varchar(length=200, default="")
    description = Text(default="")
    amount = Numeric(digits=(14, 2), null=True, default=None)
    state = Varchar(length=20, index=True, default="submitted")
    risk_level = Varchar(length=10, index=True, default="low")
    # Optimistic lock: every change bumps it; a stale writer gets 409.
    version = Integer(default=1)
    # Where it happened (a village or grid node).
    place = ForeignKey(Organisation, null=True, default=None)
    place_path = Varchar(length=255, index=True, default="")
    # The tree level currently responsible (moves up on escalation).
    org = ForeignKey(Organisation, index=True)
    org_path = Varchar(length=255, index=True, default="")
    # The body the case was dispatched to (a committee, department, association ...).
    assigned_org = ForeignKey(Organisation, null=True, default=None)
    assigned_org_path = Varchar(length=255, index=True, default="")
    assignee = ForeignKey(StaffUser, null=True, default=None, index=True)
    # Paths of the assisting units (协办), space-separated: a copy of case_unit's assisting rows
    # so the per-case check (access.can_see, sync, on any case row) needs no query; lists use
    # case_unit's indexed organisation_path instead (see access.visible_filter).
    assisting_paths = Text(default="")
    # Dispatched to a pool: any handler of assigned_org may take (抢单).
    in_pool = Boolean(default=False)
    preferred_mediator = ForeignKey(Mediator, null=True, default=None)
    preferred_time = Varchar(length=100, default="")
    preferred_mode = Varchar(length=20, default="")
    preferred_place = Varchar(length=200, default="")
    owner_leader = ForeignKey(StaffUser, null=True, default=None)
    is_collective = Boolean(default=False)
    sensitive = Boolean(default=False)
    merged_into = ForeignKey("self", null=True, default=None)
    rights_notified_at = Timestamptz(null=True, default=None)
    consent_at = Timestamptz(null=True, default=None)
    outcome = Varchar(length=20, default="")
    failure_advice = Text(default="")
    # Sessions held at the current level, for the "三二一" escalation rule.
    attempts_at_level = Integer(default=0)
    # The earliest running deadline, kept in step with the deadline engine for fast filters.
    next_due_at = Timestamptz(null=True, default=None, index=True)
    external_ref = Varchar(length=100, default="")
    source_key = Varchar(length=60, default="")
    created_by = ForeignKey(StaffUser, null=True, default=None)
    submitted_at = Timestamptz(default=TimestamptzNow())
    registered_at = Timestamptz(null=True, default=None)
    first_contact_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class Party(Table, tablename="party"):
    case = ForeignKey(Case, index=True)
    role = Varchar(length=20, default="applicant")
    kind = Varchar(length=10, default="person")  # person | company
    name = Varchar(length=120)
    phone = Varchar(length=40, default="", index=True)
    id_number = Varchar(length=40, default="", index=True)
    address = Varchar(length=255, default="")
    gender = Varchar(length=10, default="")
    birth_year = Integer(null=True, default=None)
    is_representative = Boolean(default=False)
    # A representative in a collective case speaks for this many people.
    represented_count = Integer(default=1)
    prefers_locale = Varchar(length=10, default="zh_CN")
    # Under 18: flagged at intake or derived from the ID number; makes the case sensitive.
    is_minor = Boolean(default=False)
    anonymised = Boolean(default=False)


class Evidence(Table, tablename="evidence"):
    case = ForeignKey(Case, index=True)
    filename = Varchar(length=200)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=255)
    description = Varchar(length=255, default="")
    uploaded_by = ForeignKey(StaffUser, null=True, default=None)
    uploaded_by_party = Boolean(default=False)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class CaseEvent(Table, tablename="case_event"):
    """The timeline: append-only, each row chained to the one before by hash."""

    case = ForeignKey(Case, index=True)
    seq = Integer()
    name = Varchar(length=40, index=True)
    from_state = Varchar(length=20, null=True, default=None)
    to_state = Varchar(length=20, null=True, default=None)
    actor = ForeignKey(StaffUser, null=True, default=None)
    # Who acted when not a staff user: "party", "api_key:3", "system", "plugin:psych".
    actor_label = Varchar(length=80, default="")
    at = Timestamptz(default=TimestamptzNow())
    # No personal data here: payloads point at rows, so retention never rewrites history.
    payload = JSON(default={})
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64)


class CaseRemark(Table, tablename="case_remark"):
    """Text people typed into an action (reason, note, message …), kept out of the hashed
    payload: the payload holds ``remarks: {field: sha256}``, so retention can blank the text
    here and the chain still verifies. The nonce makes a short text's digest unguessable."""

    event = ForeignKey(CaseEvent, index=True)
    case = ForeignKey(Case, index=True)
    field = Varchar(length=40)
    text = Text(default="")
    nonce = Varchar(length=32, default="")
    sha256 = Varchar(length=64)


class CaseUnit(Table, tablename="case_unit"):
    """Lead and assisting units (主办/协办) of a case."""

    case = ForeignKey(Case, index=True)
    organisation = ForeignKey(Organisation)
    # The unit's tree path, so queues find assisted cases by an indexed prefix match.
    organisation_path = Varchar(length=255, default="")
    role = Varchar(length=20, default="assisting")  # lead | assisting
    active = Boolean(default=True)
    added_at = Timestamptz(default=TimestamptzNow())


class CaseLink(Table, tablename="case_link"):
    case = ForeignKey(Case, index=True)
    other = ForeignKey(Case, index=True)
    kind = Varchar(length=20, default="related")
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class MediationSession(Table, tablename="mediation_session"):
    case = ForeignKey(Case, index=True)
    scheduled_at = Timestamptz()
    place = Varchar(length=200, default="")
    mode = Varchar(length=20, default="in_person")  # in_person | video
    attendees = JSON(default=[])
    status = Varchar(length=20, default="scheduled")  # scheduled | held | cancelled
    record = Text(default="")
    held_at = Timestamptz(null=True, default=None)
    level = Varchar(length=20, default="")
    organisation = ForeignKey(Organisation, null=True, default=None)
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Agreement(Table, tablename="agreement"):
    case = ForeignKey(Case, index=True)
    revision = Integer(default=1)
    facts = Text(default="")
    matters = Text(default="")
    responsibilities = Text(default="")
    # Structured terms: [{obligor, obligee, what, amount, how, where, due_date}].
    terms = JSON(default=[])
    performance = Text(default="")
    status = Varchar(length=20, default="draft")  # draft | final | effective | superseded
    content_sha256 = Varchar(length=64, default="")
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    finalised_at = Timestamptz(null=True, default=None)
    effective_at = Timestamptz(null=True, default=None)


class FollowUp(Table, tablename="follow_up"):
    case = ForeignKey(Case, index=True)
    method = Varchar(length=20, default="phone")  # phone | visit | online
    result = Text(default="")
    performed = Boolean(null=True, default=None)
    rating = Integer(null=True, default=None)
    comment = Text(default="")
    by = ForeignKey(StaffUser, null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())


class Deadline(Table, tablename="case_deadline"):
    """A deadline as last computed from the case's events (see core.deadlines)."""

    case = ForeignKey(Case, index=True)
    kind = Varchar(length=40)
    started_at = Timestamptz()
    due_at = Timestamptz(index=True)
    state = Varchar(length=20, default="running")
    stopped_at = Timestamptz(null=True, default=None)
    extensions = Integer(default=0)


class CaseCounter(Table, tablename="case_counter"):
    """One row per numbering scope; incremented in the case's own transaction, so no gaps."""

    scope = Varchar(length=40, unique=True)
    value = BigInt(default=0)


class IdempotencyRecord(Table, tablename="idempotency_record"):
    client = Varchar(length=100)
    key = Varchar(length=120)
    request_hash = Varchar(length=64)
    case = ForeignKey(Case, null=True, default=None)
    status_code = Integer(default=201)
    response = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())


class DispatchRule(Table, tablename="dispatch_rule"):
    """Route by type (type → competent body) or by place (village → its committee)."""

    owner = ForeignKey(Organisation, index=True)
    dispute_type = Varchar(length=40, default="")
    place = ForeignKey(Organisation, null=True, default=None)
    target = ForeignKey(Organisation)
    to_pool = Boolean(default=False)
    priority = Integer(default=100)
    active = Boolean(default=True)
