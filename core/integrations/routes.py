"""Routes of the integrations area (listed in ``core.api.app.ROUTE_MODULES``).

Importing this module also registers the area's jobs and its case-event observer.
"""

import core.integrations.jobs  # noqa: F401  (registers the webhook job)
from core.integrations.api import IntegrationController, KeyController, Open311ServiceController
from core.integrations.observer import ensure_registered
from core.integrations.open311_api import router as open311_router

ensure_registered()

ROUTES = [KeyController, IntegrationController, Open311ServiceController, open311_router]
