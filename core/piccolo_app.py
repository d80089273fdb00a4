import os

from piccolo.conf.apps import AppConfig

from core.audit.tables import AccessLog
from core.auth.tables import ApiKey, SignInFailure, StaffSession, StaffUser
from core.cases.tables import (
    Agreement,
    Case,
    CaseCounter,
    CaseEvent,
    CaseLink,
    CaseRemark,
    CaseUnit,
    Deadline,
    DispatchRule,
    Evidence,
    FollowUp,
    IdempotencyRecord,
    MediationSession,
    Party,
)
from core.jobs.tables import OutboxJob
from core.orgs.tables import Organisation, OrganisationType, PluginSwitch
from core.roster.tables import DisputeType, Mediator, MediatorRelation

CORE_TABLES = [
    OrganisationType, Organisation, PluginSwitch,
    StaffUser, StaffSession, ApiKey, SignInFailure,
    DisputeType, Mediator, MediatorRelation,
    Case, Party, Evidence, CaseEvent, CaseRemark, CaseUnit, CaseLink, MediationSession,
    Agreement, FollowUp, Deadline, CaseCounter, IdempotencyRecord, DispatchRule,
    OutboxJob, AccessLog,
]

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=CORE_TABLES,
    migration_dependencies=[],
    commands=[],
)
