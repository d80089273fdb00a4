"""The elders' panel's own tables. Names start with the plugin's name; cases and villages are
referred to by plain ids, so these migrations never depend on the core's."""

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Elder(Table, tablename="elders_panel_elder"):
    """A respected villager who sits on the village's panel (老党员, 退休教师, 乡贤 …)."""

    village_id = Integer(index=True)
    name = Varchar(length=60)
    phone = Varchar(length=20, default="")
    title = Varchar(length=60, default="")
    active = Boolean(default=True)


class Invitation(Table, tablename="elders_panel_invitation"):
    """One elder asked to hear one case."""

    class Status(StrEnum):
        invited = "invited"
        heard = "heard"  # the panel met and gave its view

    case_id = Integer(index=True)
    elder = ForeignKey(Elder)
    status = Varchar(length=20, default=Status.invited, choices=Status)
    invited_by = Integer(null=True, default=None)
    note = Text(default="")
    opinion = Text(default="")
    # The message the elder was sent, and when (set by the observer after commit).
    notice = Text(default="")
    notified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
