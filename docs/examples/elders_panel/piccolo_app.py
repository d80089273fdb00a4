"""The plugin's Piccolo app: ``jiefen migrate`` finds it next to the plugin and runs it."""

import os

from piccolo.conf.apps import AppConfig

from elders_panel.tables import Elder, Invitation

APP_CONFIG = AppConfig(
    app_name="elders_panel",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Elder, Invitation],
    migration_dependencies=[],
    commands=[],
)
