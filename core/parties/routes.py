"""Routes of the parties area (listed in ``core.api.app.ROUTE_MODULES``)."""

from core.parties.api import PartyController, StaffLinkController
from core.parties.pages import ApplyPages, TrackPages, static

ROUTES = [PartyController, StaffLinkController, ApplyPages, TrackPages, static]
