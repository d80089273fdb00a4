"""The eligibility rules on their own: the means test against the local threshold, the exempt
categories, the matters legal aid covers, and a clear reason every time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import BadRequest
from plugins.legal_aid.eligibility import judge, normalise

pytestmark = pytest.mark.plugin_legal_aid
LINE = Decimal("2000")


@pytest.mark.parametrize(
    ("answers", "eligible", "basis", "in_reason"),
    [
        ({"matter": "labour_pay", "household_size": 4, "household_monthly_income": 7200}, True, "means_test", "1800.00 元,不高于"),
        ({"matter": "labour_pay", "household_size": 4, "household_monthly_income": 8000}, True, "means_test", "2000.00 元,不高于"),
        ({"matter": "support", "household_size": 2, "household_monthly_income": "4000.02"}, False, "means_test", "2000.01 元,高于"),
        ({"matter": "labour_pay", "exempt_category": "migrant_worker_wages", "household_size": 1, "household_monthly_income": 99999}, True, "exempt", "农民工请求支付劳动报酬"),
        ({"matter": "work_injury", "exempt_category": "migrant_worker_injury"}, True, "exempt", "工伤"),
        ({"matter": "family_rights", "exempt_category": "domestic_violence"}, True, "exempt", "家庭暴力"),
        ({"matter": "personal_injury", "exempt_category": "good_samaritan"}, True, "exempt", "见义勇为"),
        ({"matter": "other", "household_size": 3, "household_monthly_income": 100}, False, "out_of_scope", "不属于法律援助范围"),
    ],
)
def test_judge(answers: dict, eligible: bool, basis: str, in_reason: str) -> None:
    verdict = judge(normalise(answers), LINE)
    assert (verdict.eligible, verdict.basis) == (eligible, basis)
    assert in_reason in verdict.reason


@pytest.mark.parametrize(
    "answers",
    [
        {},  # no matter
        {"matter": "astrology"},
        {"matter": "labour_pay", "exempt_category": "rich_uncle"},
        {"matter": "debt", "exempt_category": "migrant_worker_wages"},
        {"matter": "support", "exempt_category": "migrant_worker_wages"},  # a migrant worker's other claims are means-tested
        {"matter": "labour_pay", "household_size": 0, "household_monthly_income": 10},
        {"matter": "labour_pay", "household_size": "2.5", "household_monthly_income": 10},
        {"matter": "labour_pay", "household_size": 2, "household_monthly_income": "-1"},
        {"matter": "labour_pay", "household_size": 2, "household_monthly_income": "lots"},
    ],
)
def test_bad_answers_are_refused(answers: dict) -> None:
    with pytest.raises(BadRequest):
        judge(normalise(answers), LINE)


def test_means_test_needs_its_answers() -> None:
    with pytest.raises(BadRequest, match="size and monthly income"):
        judge(normalise({"matter": "labour_pay"}), LINE)
