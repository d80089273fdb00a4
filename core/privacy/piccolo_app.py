import os

from piccolo.conf.apps import AppConfig

from core.privacy.tables import AnonymisedCase

APP_CONFIG = AppConfig(
    app_name="privacy",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[AnonymisedCase],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)
