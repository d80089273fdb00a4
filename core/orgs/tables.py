"""Organisations: the county → town → village → grid tree and the handling bodies beside it."""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

# Levels of the administrative tree, top first; handling bodies take their parent's level.
TREE_LEVELS = ("county", "town", "village", "grid")


class OrganisationType(Table, tablename="organisation_type"):
    """Types are data so that a plugin can add one (an association, a court ...)."""

    code = Varchar(length=40, unique=True)
    label_zh = Varchar(length=60)
    label_en = Varchar(length=80)
    # One of TREE_LEVELS for nodes of the administrative tree; null for handling bodies.
    tree_level = Varchar(length=20, null=True, default=None)
    issues_agreements = Boolean(default=False)
    added_by_plugin = Varchar(length=60, null=True, default=None)


class Organisation(Table, tablename="organisation"):
    name = Varchar(length=120)
    short_name = Varchar(length=40, default="")
    type_code = Varchar(length=40, index=True)
    parent = ForeignKey("self", null=True, default=None)
    # Materialised path "/1/4/9/": a subtree is one indexed prefix match on either engine.
    path = Varchar(length=255, index=True, default="")
    # The level of the nearest tree node at or above this one ("town" for a town's department).
    level = Varchar(length=20, default="town")
    phone = Varchar(length=40, default="")
    address = Varchar(length=255, default="")
    head = Varchar(length=60, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class PluginSwitch(Table, tablename="plugin_switch"):
    """A plugin turned on or off for an organisation and everything below it."""

    plugin = Varchar(length=60, index=True)
    organisation = ForeignKey(Organisation)
    enabled = Boolean(default=True)
    changed_by = Integer(null=True, default=None)
    changed_at = Timestamptz(default=TimestamptzNow())
    note = Text(default="")
