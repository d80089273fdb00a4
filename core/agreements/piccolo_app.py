import os

from piccolo.conf.apps import AppConfig

from core.agreements.tables import (
    AgreementSignature,
    AgreementSnapshot,
    CaseFileExport,
    CommitteeSeal,
    DocumentRecord,
)

APP_CONFIG = AppConfig(
    app_name="agreements",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[AgreementSnapshot, AgreementSignature, CommitteeSeal, DocumentRecord, CaseFileExport],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)
