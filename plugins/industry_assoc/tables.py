"""The industry-association plugin's own tables. Names start with ``industry_assoc_``; cases,
organisations, mediators and staff are referred to by plain ids, so these migrations never
depend on the core's. An association's mediators are core ``Mediator`` rows whose
organisation is the association's."""

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Association(Table, tablename="industry_assoc_association"):
    """An industry association (行业协会) registered to take transfers: its organisation row
    (type ``association``) holds the name, address and phone; its staff and mediators belong to it."""

    organisation_id = Integer(unique=True, index=True)
    # Working days the association has to accept or decline; None: the plugin's setting.
    answer_working_days = Integer(null=True, default=None)
    contact = Varchar(length=120, default="")
    note = Text(default="")
    active = Boolean(default=True)
    registered_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Coverage(Table, tablename="industry_assoc_coverage"):
    """One dispute type the association takes in one area (an organisation and its subtree)."""

    association = ForeignKey(Association, index=True)
    # A dispute-type code, or "*" for every type.
    dispute_type = Varchar(length=40, index=True)
    area_org_id = Integer()
    area_path = Varchar(length=255, index=True)


class Transfer(Table, tablename="industry_assoc_transfer"):
    """One case transferred to one association, from the transfer to the outcome reported back."""

    class Status(StrEnum):
        pending = "pending"  # waiting for the association to accept or decline
        accepted = "accepted"  # the association mediates
        declined = "declined"  # back at the centre
        timed_out = "timed_out"  # no answer in time: back at the centre, urged
        cancelled = "cancelled"  # the centre took it back before an answer
        returned = "returned"  # accepted, then handed back unresolved
        concluded = "concluded"  # the association's mediation ended (see outcome)

    class Outcome(StrEnum):
        agreed = "agreed"
        failed = "failed"
        withdrawn = "withdrawn"

    case_id = Integer(index=True)
    association = ForeignKey(Association, index=True)
    status = Varchar(length=20, default=Status.pending, choices=Status, index=True)
    reason = Text(default="")
    transferred_by = Integer(null=True, default=None)
    transferred_at = Timestamptz(default=TimestamptzNow())
    due_at = Timestamptz(index=True)
    # Who had the case before the transfer: it goes back to them when the association returns it.
    previous_assignee = Integer(null=True, default=None)
    previous_org = Integer(null=True, default=None)
    answered_by = Integer(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    answer_note = Text(default="")
    # The association's mediator the case was dispatched to (a core Mediator id; None: its pool).
    mediator_id = Integer(null=True, default=None)
    outcome = Varchar(length=20, default="")
    outcome_at = Timestamptz(null=True, default=None)
    report = Text(default="")
    reported_by = Integer(null=True, default=None)
    reported_at = Timestamptz(null=True, default=None)
