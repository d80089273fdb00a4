"""Supervision (督办): the dashboard of a supervisor's subtree and the periodic reports.

``figures`` computes the live numbers (``figures.dashboard_figures`` is the benchmark hook),
``charts`` draws them as SVG, ``reports`` shapes the kept reports for pages and files, and
``pages`` holds the controllers, listed in ``web.routes``.
"""

from __future__ import annotations

from web.nav import NavItem, add_nav
from web.supervision.pages import SupervisionPages

add_nav(NavItem("dashboard", "Supervision dashboard", "/admin/dashboard", frozenset({"supervisor", "admin"}), order=15))

SUPERVISION_ROUTES = [SupervisionPages]
