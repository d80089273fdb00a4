"""大写 amounts, numerals and dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from core.documents.chinese import cn_date, cn_datetime, format_yuan, small_number, yuan_upper

pytestmark = pytest.mark.pdf


@pytest.mark.parametrize(
    ("amount", "upper"),
    [
        (0, "零元整"),
        ("0.5", "伍角"),
        ("0.05", "伍分"),
        (1, "壹元整"),
        (10, "壹拾元整"),
        (15, "壹拾伍元整"),
        (100, "壹佰元整"),
        (1005, "壹仟零伍元整"),
        (1050, "壹仟零伍拾元整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("1205.50", "壹仟贰佰零伍元伍角"),
        ("100.05", "壹佰元零伍分"),
        (38650, "叁万捌仟陆佰伍拾元整"),
        (100500, "壹拾万零伍佰元整"),
        (105000, "壹拾万伍仟元整"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        (1000000, "壹佰万元整"),
        (100000000, "壹亿元整"),
        (100010000, "壹亿零壹万元整"),
        (100000005, "壹亿零伍元整"),
        (Decimal("123456789.99"), "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元玖角玖分"),
        ("12,345.675", "壹万贰仟叁佰肆拾伍元陆角捌分"),  # rounded half up to the fen
    ],
)
def test_yuan_upper(amount, upper: str) -> None:
    assert yuan_upper(amount) == upper


@pytest.mark.parametrize("bad", ["-1", "abc", "NaN", float("inf")])
def test_yuan_upper_rejects(bad) -> None:
    with pytest.raises(ValueError):
        yuan_upper(bad)


def test_format_and_numerals() -> None:
    assert format_yuan("38650") == "38,650.00"
    assert format_yuan(0.1) == "0.10"
    assert [small_number(n) for n in (1, 4, 10, 12, 20, 25)] == [
        "一",
        "四",
        "十",
        "十二",
        "二十",
        "二十五",
    ]


def test_dates() -> None:
    assert cn_date(date(2024, 5, 6)) == "2024年5月6日"
    assert cn_date("2024-06-30") == "2024年6月30日"
    assert cn_date("签订本协议当日") == "签订本协议当日"
    assert cn_datetime(datetime(2024, 5, 20, 9, 5)) == "2024年5月20日9时05分"
    assert cn_date(None) == ""
