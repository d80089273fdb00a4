"""The mediator roster, expert pool and the dispute-type taxonomy."""

from piccolo.columns import JSON, Boolean, Float, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.auth.tables import StaffUser
from core.orgs.tables import Organisation


class DisputeType(Table, tablename="dispute_type"):
    code = Varchar(length=40, unique=True)
    label_zh = Varchar(length=60)
    label_en = Varchar(length=80)
    # Sensitive types (marriage and family, medical, minors) narrow who may see party details.
    sensitive = Boolean(default=False)
    active = Boolean(default=True)
    sort_order = Integer(default=100)
    added_by = Varchar(length=60, default="core")
    # The organisation whose administrator added it; null for the shared catalogue (core and
    # plugins), which only the administrator at the root of the tree may switch.
    organisation = ForeignKey(Organisation, null=True, default=None, on_delete=OnDelete.set_null)


class Mediator(Table, tablename="mediator"):
    user = ForeignKey(StaffUser, null=True, default=None, unique=True)
    name = Varchar(length=60)
    phone = Varchar(length=40, default="")
    id_number = Varchar(length=40, default="")
    organisation = ForeignKey(Organisation, index=True)
    # Dispute-type codes the mediator specialises in.
    specialties = JSON(default=[])
    # 1 chief (首席) … 4 third grade; lower is more senior.
    grade = Integer(default=3)
    active = Boolean(default=True)
    max_open_cases = Integer(default=15)
    rating = Float(default=5.0)
    rating_count = Integer(default=0)
    is_expert = Boolean(default=False)
    expert_field = Varchar(length=60, default="")
    bio = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class MediatorRelation(Table, tablename="mediator_relation"):
    """A declared relation or conflict: blocks assigning the mediator (回避)."""

    mediator = ForeignKey(Mediator, index=True)
    # Either a specific case, or a person identified by phone or ID number.
    case_id = Integer(null=True, default=None, index=True)
    person_phone = Varchar(length=40, default="")
    person_id_number = Varchar(length=40, default="")
    relation = Varchar(length=60, default="")
    reason = Text(default="")
    declared_at = Timestamptz(default=TimestamptzNow())
