"""From posted forms to the lifecycle's data, and errors back into words for the page.

A form that fails keeps every value the user typed: the page is rendered again with them.
Rows (parties, agreement terms) are numbered fields ``party-0-name`` …; the "add" and
"remove" buttons post ``_op`` and the server answers with one row more or less, so they
work with JavaScript off too.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec

from core.errors import JiefenError, ValidationFailed
from core.settings import get_settings

PARTY_FIELDS = ("role", "kind", "name", "phone", "id_number", "address", "represented_count", "is_representative")
TERM_FIELDS = ("obligor", "obligee", "what", "amount", "how", "where", "due_date")

# Field names in messages from msgspec, as the user sees them (English ids, translated later).
FIELD_LABELS = {
    "reason": "Reason", "text": "Text", "facts": "Facts of the dispute", "matters": "Matters in dispute",
    "terms": "Terms", "obligor": "Who performs", "what": "What is agreed", "amount": "Amount",
    "due_date": "By when", "advice": "Advice given", "scheduled_at": "Time", "session_id": "Session",
    "record": "Record", "name": "Name", "phone": "Phone", "id_number": "ID number", "description": "Description",
    "dispute_type": "Dispute type", "channel": "Channel", "parties": "Parties", "rating": "Rating",
    "days": "Days", "organisation_id": "Organisation", "mediator_id": "Mediator", "risk_level": "Risk",
    "other_case_id": "Case", "into_case_id": "Case", "plugin": "Referral to", "represented_count": "People represented",
    "birth_year": "Birth year", "method": "Method", "mode": "Mode",
}


class FormError(ValidationFailed):
    """A field the user must fix; ``field`` names it for the page."""

    def __init__(self, message: str, at: str = "", **params: Any) -> None:
        super().__init__(message, **params)
        self.field = at


def flat(form: Any) -> dict[str, str]:
    """The text fields of a posted form as a plain dict (last value wins, files left out)."""
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out[key] = value
    return out


def rows(values: dict[str, str], prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """Numbered rows in order: ``party-0-name``, ``party-3-name`` … → two dicts."""
    found: dict[int, dict[str, str]] = {}
    pattern = re.compile(rf"^{prefix}-(\d+)-(\w+)$")
    for key, value in values.items():
        m = pattern.match(key)
        if m and m.group(2) in fields:
            found.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return [found[i] for i in sorted(found)]


def row_op(op: str, items: list[dict[str, str]], kind: str, blank: dict[str, str]) -> list[dict[str, str]] | None:
    """Apply ``add_<kind>`` / ``remove_<kind>:N``; None when ``op`` is not about these rows."""
    if op == f"add_{kind}":
        return [*items, dict(blank)]
    if op.startswith(f"remove_{kind}:"):
        index = op.split(":", 1)[1]
        if index.isdecimal() and int(index) < len(items) and len(items) > 1:
            return [r for i, r in enumerate(items) if i != int(index)]
        return items
    return None


def is_blank(row: dict[str, str], ignore: tuple[str, ...] = ("role", "kind", "represented_count")) -> bool:
    return not any(v.strip() for k, v in row.items() if k not in ignore)


def checked(values: dict[str, str], name: str) -> bool:
    return values.get(name, "") in ("on", "1", "true", "yes")


def optional_int(value: str | None, field: str) -> int | None:
    from core.plugins.web import form_int

    try:
        return form_int(value)
    except ValidationFailed as exc:  # the same check as the plugins' forms; the page marks the field
        raise FormError(exc.message, field) from None


def local_datetime(value: str, field: str) -> datetime:
    """``2026-12-01T10:00`` typed in local time → an aware datetime."""
    value = (value or "").strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FormError("Please enter a date and time.", field) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=get_settings().zone)
    return moment


def party_data(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": row.get("name", "").strip(), "role": row.get("role") or "applicant", "kind": row.get("kind") or "person",
        "phone": row.get("phone", "").strip(), "id_number": row.get("id_number", "").strip().upper(),
        "address": row.get("address", "").strip(),
        "is_representative": row.get("is_representative", "") in ("on", "1", "true"),
    }
    count = optional_int(row.get("represented_count"), "represented_count")
    if count:
        data["represented_count"] = count
        if count > 1:
            data["is_representative"] = True
    return data


def term_data(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: row.get(k, "").strip() for k in ("obligor", "obligee", "what", "how", "where")}
    if row.get("amount", "").strip():
        data["amount"] = row["amount"].strip().replace(",", "")
    if row.get("due_date", "").strip():
        data["due_date"] = row["due_date"].strip()
    return data


def message_for(exc: JiefenError, _: Any) -> tuple[str, str]:
    """(the translated message, the field it is about) for an error from the core."""
    field = getattr(exc, "field", "")
    text = _(exc.message, **exc.params)
    errors = getattr(exc, "errors", None) or []
    details = []
    for err in errors:
        raw = str(err.get("message", ""))
        # A struct's own check (check_amount) names no path but its message starts with the field.
        m = re.search(r"`\$\.(\w+)", raw) or re.search(r"field `(\w+)`", raw) or re.match(r"(amount) must be", raw)
        if m:
            field = field or m.group(1)
            name = _(FIELD_LABELS.get(m.group(1), m.group(1)))
            if "required field" in raw or "length >= 1" in raw:
                details.append(_("{field} is required.", field=name))
            else:
                details.append(_("Please check: {field}.", field=name))
    if details:
        text = " ".join(details)
    return text, field


def convert(data: dict[str, Any], target: type) -> Any:
    try:
        return msgspec.convert(data, target, strict=False)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(errors=[{"message": str(exc)}]) from exc
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(errors=[{"message": str(exc)}]) from exc
