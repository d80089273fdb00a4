"""Every word the admin shows has its Simplified Chinese translation (web/locale)."""

from __future__ import annotations

import re
from pathlib import Path

import web
from core.i18n import gettext, label
from web.admin.common import MANAGE_TABS
from web.forms import FIELD_LABELS
from web.nav import NAV

CALL = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
RAISED = re.compile(r"""(?:FormError|Conflict|NotFound|Forbidden)\(\s*"([^"]+)\"""")


def _message_ids() -> set[str]:
    found: set[str] = set()
    for path in Path(web.__file__).parent.rglob("*"):
        if path.suffix not in (".html", ".py"):
            continue
        text = path.read_text(encoding="utf-8")
        found |= {a or b for a, b in CALL.findall(text)}
        if path.suffix == ".py":
            found |= set(RAISED.findall(text))
    found |= {n.label for n in NAV} | {t[1] for t in MANAGE_TABS} | set(FIELD_LABELS.values())
    return found


def test_every_message_has_a_chinese_translation() -> None:
    ids = _message_ids()
    assert len(ids) > 200
    missing = sorted(m for m in ids if gettext(m, "zh_CN") == m)
    assert not missing, missing


def test_labels_the_pages_use() -> None:
    for kind, codes in {
        "deadline_kind": ("first_contact", "mediation", "follow_up"),
        "deadline_state": ("running", "paused", "met", "met_late", "overdue"),
        "session_status": ("scheduled", "held", "cancelled"),
        "mediator_grade": ("1", "2", "3", "4"),
        "duration_unit": ("hours", "calendar_days", "working_days"),
    }.items():
        for code in codes:
            assert label(kind, code, "zh_CN") != code, (kind, code)
            assert label(kind, code, "en") != code or kind == "duration_unit", (kind, code)
    assert label("deadline_kind", "mediation", "zh_CN") == "调解期限"
