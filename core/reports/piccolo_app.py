import os

from piccolo.conf.apps import AppConfig

from core.reports.tables import (
    CaseCount,
    CaseCountDelta,
    CaseDayFigure,
    CaseDayFigureDelta,
    CaseDueCount,
    CaseDueCountDelta,
    Report,
)

APP_CONFIG = AppConfig(
    app_name="reports",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Report, CaseCount, CaseCountDelta, CaseDayFigure, CaseDayFigureDelta, CaseDueCount, CaseDueCountDelta],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)
