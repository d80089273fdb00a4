"""The agreements area's routes, listed in ``core.api.app.ROUTE_MODULES``."""

from core.agreements.api import ROUTES as API_ROUTES
from core.agreements.pages import PAGES

ROUTES = [*API_ROUTES, *PAGES]
