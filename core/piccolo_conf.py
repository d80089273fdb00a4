"""Piccolo's configuration: the engine comes from JIEFEN_DATABASE_URL, the apps from the plugin host."""

from piccolo.conf.apps import AppRegistry

from core.db import make_engine
from core.plugins.discovery import piccolo_app_modules

DB = make_engine()

APP_REGISTRY = AppRegistry(apps=["core.piccolo_app", *piccolo_app_modules()])
