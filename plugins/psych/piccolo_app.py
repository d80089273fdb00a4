"""The plugin's Piccolo app: ``jiefen migrate`` finds it next to the plugin and runs it."""

import os

from piccolo.conf.apps import AppConfig

from plugins.psych.tables import CounsellingSession, Counsellor, FollowUp, Grading, Referral

APP_CONFIG = AppConfig(
    app_name="psych",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Counsellor, Referral, Grading, CounsellingSession, FollowUp],
    migration_dependencies=[],
    commands=[],
)
