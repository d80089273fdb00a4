import os

from piccolo.conf.apps import AppConfig

from core.deadlines.tables import DeadlinePolicyRule, DeadlineStepFired

APP_CONFIG = AppConfig(
    app_name="deadlines",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[DeadlinePolicyRule, DeadlineStepFired],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)
