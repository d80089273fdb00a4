"""The staff admin: server-rendered pages under ``/admin/`` (Jinja2 + HTMX).

``web.routes.ROUTES`` is listed in ``core.api.app.ROUTE_MODULES``; ``template_config()`` gives
the app its Jinja environment. The admin's own words live in ``web/locale`` (a gettext
catalogue merged with the core's through ``core.i18n.add_catalogue_dir``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.i18n import add_catalogue_dir

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

add_catalogue_dir(WEB_DIR / "locale")


def template_config() -> Any:
    """The app's template config: the admin's templates plus the plugins' ``template_dirs``."""
    from litestar.plugins.jinja import JinjaTemplateEngine
    from litestar.template.config import TemplateConfig

    from web.env import make_environment

    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(make_environment()))
