"""The judicial-confirmation plugin's own tables. Names start with ``judicial_confirm_``; cases,
agreements, parties, organisations and staff are referred to by plain ids, so these migrations
never depend on the core's."""

from enum import StrEnum

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class CourtArea(Table, tablename="judicial_confirm_court_area"):
    """The court registry: the basic court (an organisation of type ``court``) for the
    committees in an area (an organisation and its subtree). The deepest area wins."""

    court_org_id = Integer(index=True)
    area_org_id = Integer(index=True)
    area_path = Varchar(length=255, index=True)
    active = Boolean(default=True)
    note = Text(default="")
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Application(Table, tablename="judicial_confirm_application"):
    """One agreement's way to the court: the 30-day window, the joint application, the court's
    acceptance (its 调确字 number) and the ruling."""

    class Status(StrEnum):
        open = "open"  # the window runs; consents and materials are gathered
        submitted = "submitted"  # applied to the court; it decides within 3 days whether to accept
        accepted = "accepted"  # the court accepted (case number recorded)
        not_accepted = "not_accepted"  # the court declined to accept it
        confirmed = "confirmed"  # ruled valid: the agreement is enforceable
        rejected = "rejected"  # ruled not confirmed: re-mediate or sue
        lapsed = "lapsed"  # the window closed without an application
        cancelled = "cancelled"  # the case went back to mediation before applying

    class NextStep(StrEnum):
        remediate = "remediate"  # back to mediation (change the agreement or reach a new one)
        sue = "sue"  # the parties were told they may sue

    case_id = Integer(index=True)
    agreement_id = Integer(unique=True)
    committee_org_id = Integer(null=True, default=None)
    court_org_id = Integer(null=True, default=None, index=True)
    status = Varchar(length=20, default=Status.open, choices=Status, index=True)
    effective_at = Timestamptz()
    window_closes_at = Timestamptz(index=True)
    # Days-before-the-close marks already reminded (e.g. [7, 2]).
    reminders = JSON(default=[])
    submitted_by = Integer(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    accept_due_at = Timestamptz(null=True, default=None)
    acceptance_overdue_noted = Boolean(default=False)
    document_key = Varchar(length=255, default="")
    document_sha256 = Varchar(length=64, default="")
    document_size = Integer(default=0)
    court_case_number = Varchar(length=80, default="")
    accepted_by = Integer(null=True, default=None)
    accepted_at = Timestamptz(null=True, default=None)
    # Accepted although the window had closed: the court's decision, recorded by its clerk.
    accepted_late = Boolean(default=False)
    not_accepted_reason = Text(default="")
    ruled_by = Integer(null=True, default=None)
    ruled_at = Timestamptz(null=True, default=None)
    ruling_note = Text(default="")
    next_step = Varchar(length=20, default="", choices=NextStep)
    reopened_at = Timestamptz(null=True, default=None)
    ruling_key = Varchar(length=255, default="")
    ruling_sha256 = Varchar(length=64, default="")
    ruling_size = Integer(default=0)
    ruling_filename = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Consent(Table, tablename="judicial_confirm_consent"):
    """One party's consent to apply jointly (one row per party and application)."""

    class Method(StrEnum):
        in_person = "in_person"  # said so at the window / signed the form there
        written = "written"  # a signed written statement
        video = "video"  # on a recorded video call

    application = ForeignKey(Application, index=True)
    party_id = Integer()
    method = Varchar(length=20, default=Method.in_person, choices=Method)
    note = Text(default="")
    recorded_by = Integer(null=True, default=None)
    consented_at = Timestamptz(default=TimestamptzNow())


class Material(Table, tablename="judicial_confirm_material"):
    """A document that goes with the application: an identity document beyond the parties' own,
    a property proof, or anything else; optionally one of the case's evidence files."""

    class Kind(StrEnum):
        identity = "identity"  # 身份证明 (授权委托书, 法定代表人身份证明 …)
        property = "property"  # 财产权利证明 (房产证, 车辆登记证 …)
        other = "other"

    application = ForeignKey(Application, index=True)
    kind = Varchar(length=20, default=Kind.property, choices=Kind)
    party_id = Integer(null=True, default=None)
    title = Varchar(length=200)
    copies = Integer(default=1)
    evidence_id = Integer(null=True, default=None)
    note = Text(default="")
    added_by = Integer(null=True, default=None)
    added_at = Timestamptz(default=TimestamptzNow())
