import os

from piccolo.conf.apps import AppConfig

from core.integrations.tables import Integration, Open311Request, Open311Service, WebhookDelivery

APP_CONFIG = AppConfig(
    app_name="integrations",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Integration, WebhookDelivery, Open311Service, Open311Request],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)
