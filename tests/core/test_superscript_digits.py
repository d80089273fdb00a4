"""Public links and forms that checked a number with ``str.isdigit()``: "²" passes it and then
``int()`` raises a ValueError (a 500 for anyone, signed in or not). ``isdecimal()`` holds only
what ``int()`` reads."""

from __future__ import annotations

import pytest

from core.errors import BadRequest
from core.integrations import open311
from core.notifications.ics import ics_token, session_from_token
from core.parties.pages import _application

SUPERSCRIPT = "²"


def test_calendar_link_with_a_superscript_digit_is_no_link() -> None:
    assert SUPERSCRIPT.isdigit()  # why it got past the old check
    assert session_from_token(f"{SUPERSCRIPT}-{ics_token(2).partition('-')[2]}") is None
    assert session_from_token(ics_token(2)) == 2


async def test_open311_jurisdiction_with_a_superscript_digit_is_unknown() -> None:
    with pytest.raises(BadRequest):
        await open311.jurisdiction(None, SUPERSCRIPT)


def test_party_application_form_drops_a_superscript_digit() -> None:
    values = {
        "centre_id": "3", "dispute_type": "labour", "description": "拖欠工资三个月", "code": "123456",
        "applicant_name": "张三", "applicant_phone": "13800138000", "respondent_name": "某厂", "respondent_phone": "076988888888",
        "respondent_kind": "company", "mediator_id": SUPERSCRIPT, "place_id": f"1{SUPERSCRIPT}", "preferred_time": "",
        "preferred_mode": "", "preferred_place": "", "amount": "", "agree_privacy": "on",
    }
    parsed = _application(values)
    assert parsed.centre_id == 3 and parsed.mediator_id is None and parsed.place_id is None
