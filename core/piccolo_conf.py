"""Piccolo's configuration: the engine comes from JIEFEN_DATABASE_URL, the apps from the core's
areas (each area that owns tables has its own ``piccolo_app`` and migrations, so areas evolve
independently) and from the plugin host."""

from pathlib import Path

from piccolo.conf.apps import AppRegistry

from core.db import make_engine
from core.plugins.discovery import piccolo_app_modules

DB = make_engine()

_core = Path(__file__).parent
CORE_AREA_APPS = sorted(
    f"core.{p.parent.name}.piccolo_app" for p in _core.glob("*/piccolo_app.py")
)

APP_REGISTRY = AppRegistry(apps=["core.piccolo_app", *CORE_AREA_APPS, *piccolo_app_modules()])
