"""The plugin's Piccolo app: ``jiefen migrate`` finds it next to the plugin and runs it."""

import os

from piccolo.conf.apps import AppConfig

from plugins.judicial_confirm.tables import Application, Consent, CourtArea, Material

APP_CONFIG = AppConfig(
    app_name="judicial_confirm",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[CourtArea, Application, Consent, Material],
    migration_dependencies=[],
    commands=[],
)
