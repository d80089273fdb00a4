import os

from piccolo.conf.apps import AppConfig

from core.notifications.tables import ContactAddress, Delivery, Notification, NotificationSettings

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Notification, Delivery, NotificationSettings, ContactAddress],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)
