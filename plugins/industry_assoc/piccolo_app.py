"""The plugin's Piccolo app: ``jiefen migrate`` finds it next to the plugin and runs it."""

import os

from piccolo.conf.apps import AppConfig

from plugins.industry_assoc.tables import Association, Coverage, Transfer

APP_CONFIG = AppConfig(
    app_name="industry_assoc",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Association, Coverage, Transfer],
    migration_dependencies=[],
    commands=[],
)
