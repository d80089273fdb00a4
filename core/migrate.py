"""Migrations (core and every plugin's Piccolo app) and the reference data they need."""

from __future__ import annotations

from piccolo.apps.migrations.commands.forwards import run_forwards

from core.orgs.tables import OrganisationType
from core.roster.tables import DisputeType

DISPUTE_TYPES = [
    # code, zh, en, sensitive
    ("labour", "劳动争议与欠薪", "Labour and wage arrears", False),
    ("marriage_family", "婚姻家庭", "Marriage and family", True),
    ("neighbour", "邻里纠纷", "Neighbours", False),
    ("property_management", "物业纠纷", "Property management", False),
    ("land_lease", "土地承包与租赁", "Land lease", False),
    ("medical", "医疗纠纷", "Medical", True),
    ("traffic", "交通事故", "Traffic accidents", False),
    ("construction", "建设工程", "Construction", False),
    ("consumer", "消费纠纷", "Consumer", False),
    ("environment", "环境污染", "Environment", False),
    ("demolition", "征地拆迁", "Demolition and land acquisition", False),
    ("debt", "民间借贷", "Private loans and debts", False),
    ("minors", "涉未成年人", "Involving minors", True),
    ("other", "其他纠纷", "Other", False),
]

ORGANISATION_TYPES = [
    # code, zh, en, tree level, issues agreements
    ("county", "县(区)", "County", "county", False),
    ("town", "乡镇(街道)", "Town or street", "town", False),
    ("village", "村(社区)", "Village or community", "village", False),
    ("grid", "网格", "Grid", "grid", False),
    ("committee", "人民调解委员会", "People's mediation committee", None, True),
    ("department", "职能部门", "Department", None, False),
    ("association", "行业协会", "Industry association", None, True),
    ("studio", "个人调解工作室", "Personal mediation studio", None, True),
    ("legal_aid_centre", "法律援助中心", "Legal-aid centre", None, False),
    ("court", "人民法院 / 人民法庭", "Court or tribunal", None, False),
    ("counselling_station", "心理咨询站", "Counselling station", None, False),
]


async def migrate() -> None:
    await run_forwards(app_name="all")
    await ensure_reference_data()


async def ensure_reference_data() -> None:
    from core.plugins.manager import get_manager

    types = [{"code": c, "label_zh": zh, "label_en": en, "sensitive": sens} for c, zh, en, sens in DISPUTE_TYPES]
    for contributed in get_manager().hook.dispute_types():
        types.extend(contributed or [])
    for order, t in enumerate(types):
        if not await DisputeType.exists().where(DisputeType.code == t["code"]):
            await DisputeType.insert(
                DisputeType(code=t["code"], label_zh=t["label_zh"], label_en=t["label_en"], sensitive=t.get("sensitive", False), sort_order=order * 10, added_by=t.get("added_by", "core"))
            )
    org_types = [{"code": c, "label_zh": zh, "label_en": en, "tree_level": lvl, "issues_agreements": ia} for c, zh, en, lvl, ia in ORGANISATION_TYPES]
    for contributed in get_manager().hook.organisation_types():
        org_types.extend(contributed or [])
    for t in org_types:
        if not await OrganisationType.exists().where(OrganisationType.code == t["code"]):
            await OrganisationType.insert(OrganisationType(**{k: t.get(k) for k in ("code", "label_zh", "label_en", "tree_level")}, issues_agreements=t.get("issues_agreements", False)))
