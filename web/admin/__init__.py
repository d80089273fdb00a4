"""Management pages (administrators): organisations, users and roles, the mediator roster and
expert pool, dispute types, plugin switches, deadline policies, API keys and webhook deliveries."""

from __future__ import annotations

from web.admin.integrations import IntegrationPages
from web.admin.orgs import OrgPages
from web.admin.reference import ReferencePages
from web.admin.roster import RosterPages
from web.admin.users import UserPages

MANAGEMENT_ROUTES = [OrgPages, UserPages, RosterPages, ReferencePages, IntegrationPages]
