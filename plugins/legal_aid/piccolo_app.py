"""The plugin's Piccolo app: ``jiefen migrate`` finds it next to the plugin and runs it."""

import os

from piccolo.conf.apps import AppConfig

from plugins.legal_aid.tables import Applicant, Handoff, Package, Screening

APP_CONFIG = AppConfig(
    app_name="legal_aid",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Screening, Handoff, Applicant, Package],
    migration_dependencies=[],
    commands=[],
)
