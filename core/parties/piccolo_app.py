import os

from piccolo.conf.apps import AppConfig

from core.parties.tables import OtpCode, PartyMessage, PartyRating, PartySession, TrackingLink

APP_CONFIG = AppConfig(
    app_name="parties",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[OtpCode, TrackingLink, PartySession, PartyRating, PartyMessage],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)
