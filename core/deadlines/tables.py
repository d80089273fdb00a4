"""A town's deadline policies and the ladder steps that fired (app ``deadlines``).

The engine beside this module stays pure; these tables only feed it and record what it said.
"""

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.orgs.tables import Organisation


class DeadlinePolicyRule(Table, tablename="deadline_policy"):
    """One override of a default policy, for an organisation's subtree.

    Empty ``dispute_type`` / ``level`` match any; null fields keep what a less specific rule
    or the default says. Unique on (organisation, kind, dispute_type, level).
    """

    organisation = ForeignKey(Organisation, index=True)
    kind = Varchar(length=40)
    dispute_type = Varchar(length=40, default="")
    level = Varchar(length=20, default="")
    enabled = Boolean(default=True)
    duration = Integer(null=True, default=None)
    unit = Varchar(length=20, null=True, default=None)
    extendable = Boolean(null=True, default=None)
    max_extensions = Integer(null=True, default=None)
    extension_duration = Integer(null=True, default=None)
    # Channels the deadline applies to; null keeps the default (first contact: online only).
    channels = JSON(null=True, default=None)
    # The ladder: [{"name", "offset_hours", "notify": [audiences]}]; null keeps the default.
    steps = JSON(null=True, default=None)
    # For a kind the core does not define: {"starts_on": [...], "stops_on": [...], "pause_states": [...]}.
    definition = JSON(null=True, default=None)
    updated_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class DeadlineStepFired(Table, tablename="deadline_step_fired"):
    """A ladder step that fired: once per (case, kind, due_at, step); unique index on those."""

    case_id = Integer(index=True)
    kind = Varchar(length=40)
    due_at = Timestamptz()
    step = Varchar(length=40)
    fire_at = Timestamptz()
    fired_at = Timestamptz(default=TimestamptzNow(), index=True)
    # The timeline event it recorded (urge, supervise), once recorded.
    event_id = Integer(null=True, default=None)
