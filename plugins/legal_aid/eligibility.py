"""Who may have legal aid: the matter must be one legal aid covers, and either the household's
income per member is at or under the local threshold (the means test), or the applicant falls
in a category exempt from it. Pure rules, no database: ``judge(answers, threshold)``.

The matters follow 《法律援助法》第三十一条; the exempt categories its 第三十二条 and the
common local rule that migrant workers claiming wages or work-injury compensation are not
means-tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from core.errors import BadRequest

MATTERS = {
    "labour_pay": "请求支付劳动报酬",
    "work_injury": "请求工伤事故人身损害赔偿",
    "social_insurance": "请求给予社会保险待遇或者社会救助",
    "support": "请求给付赡养费、抚养费、扶养费",
    "state_compensation": "依法请求国家赔偿",
    "personal_injury": "请求交通事故、医疗事故、环境污染等人身损害赔偿",
    "family_rights": "遭受虐待、遗弃或者家庭暴力主张相关权益",
    "other": "其他事项",
}
COVERED = frozenset(MATTERS) - {"other"}

EXEMPT = {
    "migrant_worker_wages": "农民工请求支付劳动报酬",
    "migrant_worker_injury": "农民工请求工伤赔偿",
    "martyr_relatives": "英雄烈士近亲属维护英雄烈士人格权益",
    "good_samaritan": "因见义勇为行为主张相关民事权益",
    "wrongful_conviction": "再审改判无罪请求国家赔偿",
    "domestic_violence": "遭受虐待、遗弃或者家庭暴力的受害人主张相关权益",
}
# An exempt category holds only for its own matter (a migrant worker's debt claim is means-tested).
EXEMPT_MATTERS = {
    "migrant_worker_wages": {"labour_pay"},
    "migrant_worker_injury": {"work_injury"},
    "wrongful_conviction": {"state_compensation"},
    "domestic_violence": {"family_rights", "support"},
}

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    basis: str  # means_test | exempt | out_of_scope
    code: str
    reason: str
    threshold: Decimal | None = None
    per_member: Decimal | None = None


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise BadRequest("The answer to {field} must be a number.", field=field) from None
    if number < 0 or not number.is_finite():
        raise BadRequest("The answer to {field} must be a number.", field=field)
    return number


def normalise(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers that count, checked; unknown codes are refused."""
    matter = answers.get("matter")
    if matter not in MATTERS:
        raise BadRequest("Choose the matter the applicant asks legal aid for.")
    category = answers.get("exempt_category") or None
    if category is not None and category not in EXEMPT:
        raise BadRequest("Unknown exempt category.")
    if category in EXEMPT_MATTERS and matter not in EXEMPT_MATTERS[category]:
        raise BadRequest("The exempt category does not fit the matter.")
    clean: dict[str, Any] = {"matter": matter, "exempt_category": category}
    if answers.get("household_size") not in (None, ""):
        size = _decimal(answers["household_size"], "household_size")
        if size < 1 or size != size.to_integral_value():
            raise BadRequest("The household has at least one member.")
        clean["household_size"] = int(size)
    if answers.get("household_monthly_income") not in (None, ""):
        clean["household_monthly_income"] = str(_decimal(answers["household_monthly_income"], "household_monthly_income").quantize(CENT))
    return clean


def judge(answers: dict[str, Any], threshold: Decimal) -> Verdict:
    """The result for normalised ``answers`` under the local ``threshold`` (yuan a month per
    household member). The reason is what the applicant is told."""
    matter, category = answers["matter"], answers.get("exempt_category")
    if category:
        return Verdict(True, "exempt", "exempt", f"免予经济困难审查:{EXEMPT[category]}。")
    if matter not in COVERED:
        return Verdict(
            False, "out_of_scope", "out_of_scope",
            "申请事项不属于法律援助范围(《法律援助法》第三十一条);可告知当事人通过律师、公证、仲裁或诉讼等途径解决。",
        )
    if "household_size" not in answers or "household_monthly_income" not in answers:
        raise BadRequest("The means test needs the household's size and monthly income.")
    per_member = (Decimal(answers["household_monthly_income"]) / answers["household_size"]).quantize(CENT, ROUND_HALF_UP)
    threshold = threshold.quantize(CENT)
    if per_member <= threshold:
        return Verdict(
            True, "means_test", "means_test_passed",
            f"家庭人均月收入 {per_member} 元,不高于本地法律援助经济困难标准 {threshold} 元。", threshold, per_member,
        )
    return Verdict(
        False, "means_test", "income_above_threshold",
        f"家庭人均月收入 {per_member} 元,高于本地法律援助经济困难标准 {threshold} 元,不符合经济困难条件;"
        "如属农民工讨薪、工伤赔偿等免予审查情形,请重新筛查。",
        threshold, per_member,
    )
