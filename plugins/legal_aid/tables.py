"""The legal-aid handoff's own tables. Names start with ``legal_aid_``; cases, parties,
organisations and staff are referred to by plain ids, so these migrations never depend on the
core's.

A screening is one applicant's eligibility (a party of the case, or — in a collective wage
case — one of the many workers a representative speaks for, named here). A handoff carries one
or more eligible applicants to a legal-aid centre, with the package PDF kept beside it.
"""

from enum import StrEnum

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Screening(Table, tablename="legal_aid_screening"):
    """An eligibility screening: the answers given and the result, with a clear reason."""

    class Result(StrEnum):
        eligible = "eligible"
        not_eligible = "not_eligible"

    class Basis(StrEnum):
        means_test = "means_test"  # 经济困难审查
        exempt = "exempt"  # 免予经济困难审查
        out_of_scope = "out_of_scope"  # 事项不属于法律援助范围

    case_id = Integer(index=True)
    # A party of the case; None for one of a collective case's workers named below.
    party_id = Integer(null=True, default=None, index=True)
    name = Varchar(length=120, default="")
    id_number = Varchar(length=40, default="")
    phone = Varchar(length=40, default="")
    claim_amount = Numeric(digits=(14, 2), null=True, default=None)
    # {"matter", "household_size", "household_monthly_income", "exempt_category"}
    answers = JSON(default={})
    result = Varchar(length=20, choices=Result)
    basis = Varchar(length=20, choices=Basis)
    reason_code = Varchar(length=40, default="")
    reason = Text(default="")
    # The means test as applied: the local threshold and the income per household member.
    threshold = Numeric(digits=(12, 2), null=True, default=None)
    income_per_member = Numeric(digits=(12, 2), null=True, default=None)
    screened_by = Integer(null=True, default=None)
    screened_at = Timestamptz(default=TimestamptzNow())


class Handoff(Table, tablename="legal_aid_handoff"):
    """One case handed to one legal-aid centre, from the package to the outcome."""

    class Status(StrEnum):
        pending = "pending"  # waiting for the centre to accept or decline
        accepted = "accepted"  # the centre gives legal aid
        declined = "declined"  # back at the mediation centre, with the reason
        returned = "returned"  # no answer in time: urged, then back at the mediation centre
        concluded = "concluded"  # the centre reported the outcome

    class Route(StrEnum):
        arbitration = "arbitration"  # 劳动(人事)争议仲裁
        litigation = "litigation"  # 诉讼
        payment_order = "payment_order"  # 支付令
        other = "other"

    class Outcome(StrEnum):
        won = "won"  # 支持诉求
        settled = "settled"  # 调解或和解结案
        partly = "partly"  # 部分支持
        lost = "lost"  # 未获支持
        withdrawn = "withdrawn"  # 撤回
        other = "other"

    case_id = Integer(index=True)
    centre_id = Integer(index=True)
    status = Varchar(length=20, default=Status.pending, choices=Status, index=True)
    # The handoff put the case into ``referred`` (and a decline or return resumes it).
    paused_case = Boolean(default=False)
    note = Text(default="")
    sent_by = Integer(null=True, default=None)
    sent_at = Timestamptz(default=TimestamptzNow())
    # The centre answers by then; after it, urged; after the grace period, returned.
    due_at = Timestamptz(index=True)
    urged_at = Timestamptz(null=True, default=None)
    returned_at = Timestamptz(null=True, default=None)
    decided_by = Integer(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decline_reason = Text(default="")
    lawyer_name = Varchar(length=60, default="")
    lawyer_phone = Varchar(length=40, default="")
    lawyer_firm = Varchar(length=120, default="")
    lawyer_assigned_at = Timestamptz(null=True, default=None)
    route = Varchar(length=20, null=True, default=None, choices=Route)
    route_at = Timestamptz(null=True, default=None)
    outcome = Varchar(length=20, null=True, default=None, choices=Outcome)
    outcome_amount = Numeric(digits=(14, 2), null=True, default=None)
    outcome_note = Text(default="")
    concluded_at = Timestamptz(null=True, default=None)


class Applicant(Table, tablename="legal_aid_applicant"):
    """One applicant carried by a handoff (many in a collective wage case)."""

    handoff = ForeignKey(Handoff, index=True)
    screening = ForeignKey(Screening, index=True)


class Package(Table, tablename="legal_aid_package"):
    """The handoff package as sent: the case summary PDF and its SHA-256."""

    handoff = ForeignKey(Handoff, unique=True)
    pdf = Bytea()
    sha256 = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
