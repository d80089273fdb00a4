"""The admin's routes, listed in ``core.api.app.ROUTE_MODULES``."""

from __future__ import annotations

from litestar import Router
from litestar.static_files import create_static_files_router

from core.api.headers import admin_headers
from core.plugins.web import remember_request
from web import STATIC_DIR
from web.admin import MANAGEMENT_ROUTES
from web.auth import AuthPages
from web.case_page import CasePages
from web.deps import EXCEPTION_HANDLERS
from web.intake import IntakePages, ReceiptPage
from web.queue import QueuePages
from web.supervision import SUPERVISION_ROUTES

admin = Router(
    path="/admin",
    route_handlers=[AuthPages, QueuePages, IntakePages, ReceiptPage, CasePages, *MANAGEMENT_ROUTES, *SUPERVISION_ROUTES],
    exception_handlers=EXCEPTION_HANDLERS,
    include_in_schema=False,
    # Plugin panels rendered on these pages get the user's CSRF token and language from it.
    # The admin's headers (no-store, no framing) as the plugins' admin routes get them.
    middleware=[remember_request, admin_headers()],
)

static = create_static_files_router(path="/static", directories=[STATIC_DIR], name="static", include_in_schema=False)

ROUTES = [admin, static]
