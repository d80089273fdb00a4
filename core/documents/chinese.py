"""Chinese formatting helpers: money in 大写, small numerals, dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")
_SMALL = "〇一二三四五六七八九"


def to_yuan(amount: Decimal | int | str | float) -> Decimal:
    """Parse an amount in yuan, rounded to the fen."""
    try:
        # str() first so a float like 0.1 is taken as written, not as its binary value.
        value = Decimal(str(amount).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"amount must be a non-negative number: {amount!r}")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_yuan(amount: Decimal | int | str | float) -> str:
    """12345.6 -> '12,345.60'."""
    return f"{to_yuan(amount):,.2f}"


def _integer_upper(n: int) -> str:
    digits = str(n)
    out: list[str] = []
    zero = False
    for i, ch in enumerate(digits):
        pos = len(digits) - 1 - i
        d = int(ch)
        if d == 0:
            zero = True
        else:
            if zero:
                out.append("零")
                zero = False
            out.append(_DIGITS[d] + _UNITS[pos % 4])
        if pos % 4 == 0 and pos > 0:
            group = int(digits[max(0, i - 3) : i + 1])
            if group:
                out.append(_SECTIONS[pos // 4])
                # 105000 reads 壹拾万伍仟: no 零 right after a section unit.
                zero = False
    return "".join(out)


def yuan_upper(amount: Decimal | int | str | float) -> str:
    """Amount in 中文大写 as written on agreements and cheques: 12345.6 -> 壹万贰仟叁佰肆拾伍元陆角."""
    value = to_yuan(amount)
    fen_total = int(value * 100)
    integer, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if integer >= 10**16:
        raise ValueError("amount too large")
    head = _integer_upper(integer) + "元" if integer else ""
    if not jiao and not fen:
        return (head or "零元") + "整"
    tail = ""
    if jiao:
        tail += _DIGITS[jiao] + "角"
    elif integer:
        tail += "零"  # 元零伍分
    if fen:
        tail += _DIGITS[fen] + "分"
    return head + tail


def small_number(n: int) -> str:
    """Informal numeral for counts such as copies: 3 -> 三, 12 -> 十二, 25 -> 二十五."""
    if n < 0 or n > 99:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _SMALL[ones]
    head = ("" if tens == 1 else _SMALL[tens]) + "十"
    return head + (_SMALL[ones] if ones else "")


def _parse(value: date | datetime | str) -> date | datetime | str:
    if isinstance(value, str):
        try:
            return (
                datetime.fromisoformat(value)
                if "T" in value or " " in value
                else date.fromisoformat(value)
            )
        except ValueError:
            return value  # already prose, e.g. "2024年6月30日前"
    return value


def cn_date(value: date | datetime | str | None) -> str:
    """2024-05-06 -> 2024年5月6日; text passes through unchanged."""
    if value is None or value == "":
        return ""
    v = _parse(value)
    if isinstance(v, str):
        return v
    return f"{v.year}年{v.month}月{v.day}日"


def cn_datetime(value: date | datetime | str | None) -> str:
    """2024-05-06T14:30 -> 2024年5月6日14时30分."""
    if value is None or value == "":
        return ""
    v = _parse(value)
    if isinstance(v, datetime):
        return f"{cn_date(v)}{v.hour}时{v.minute:02d}分"
    return cn_date(v)
