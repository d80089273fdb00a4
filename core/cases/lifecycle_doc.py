"""Render ``docs/lifecycle.md`` from the lifecycle table, so the page never drifts from the code.

``python -m core.cases.lifecycle_doc`` rewrites the page; ``tests/core/test_lifecycle_table.py``
fails when the committed page is not what :func:`render` gives.
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec

from core.cases import schemas as s
from core.cases.lifecycle import DESK, LEAD, STATES, TABLE, WORK, Transition
from core.i18n import label

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"
ROLE_ORDER = ("window_staff", "supervisor", "admin", "mediator", "handler", "grid_worker", "party")
_BASE_FIELDS = set(s.ActionData.__struct_fields__)


def _roles(t: Transition) -> str:
    named = [r for r in ROLE_ORDER if r in t.roles] + sorted(t.roles - set(ROLE_ORDER))
    text = ", ".join(f"`{r}`" for r in named)
    if t.assignee_only:
        text += " (assignee or pool member)"
    return text


def _states(states: frozenset[str]) -> str:
    if set(states) == set(STATES):
        return "any"
    return ", ".join(f"`{st}`" for st in STATES if st in states)


def _data(t: Transition) -> str:
    info = msgspec.inspect.type_info(t.data)
    parts = []
    for f in info.fields:  # type: ignore[attr-defined]
        if f.name in _BASE_FIELDS:
            continue
        parts.append(f"`{f.name}`" if f.required else f"`{f.name}`?")
    return ", ".join(parts) or "—"


def _table() -> list[str]:
    lines = [
        "| action | 动作 | from | to | who | data (`?` optional) | what it does |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in TABLE:
        target = f"`{t.target}`" if t.target else "(unchanged)"
        lines.append(
            f"| `{t.event}` | {label('event', t.event, 'zh_CN')} | {_states(t.sources)} | {target} | "
            f"{_roles(t)} | {_data(t)} | {t.summary} |"
        )
    return lines


def _mermaid() -> list[str]:
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> submitted: submit"]
    edges: dict[tuple[str, str], list[str]] = {}
    for t in TABLE:
        if t.target is None:
            continue
        for source in STATES:
            if source in t.sources:
                edges.setdefault((source, t.target), []).append(t.event)
    for (source, target), events in edges.items():
        lines.append(f"    {source} --> {target}: {', '.join(events)}")
    for final in ("rejected", "withdrawn", "closed"):
        lines.append(f"    {final} --> [*]")
    lines.append("```")
    return lines


def render() -> str:
    """The whole page, as committed in ``docs/lifecycle.md``."""
    states = [f"| `{st}` | {label('state', st, 'zh_CN')} |" for st in STATES]
    role_sets = [
        f"* desk (`DESK`): {', '.join(f'`{r}`' for r in sorted(DESK))}",
        f"* workers (`WORK`): {', '.join(f'`{r}`' for r in sorted(WORK))}",
        f"* leaders (`LEAD`): {', '.join(f'`{r}`' for r in sorted(LEAD))}",
    ]
    out = [
        "# The case lifecycle",
        "",
        "<!-- Generated from core/cases/lifecycle.py by `python -m core.cases.lifecycle_doc`; do not edit by hand. -->",
        "",
        "`core.cases.lifecycle.transition(case_id, event, actor, data)` is the only way a case changes.",
        "It checks, in this order: the data (422), that the actor can see the case (404), the",
        "expected version (409), the source state (409 `invalid_transition`), the actor's role (403),",
        "for assignee-only actions that the actor is the assignee or a member of the pool the case",
        "waits in (403), that an actor outside the level responsible for the case acts only as its",
        "worker or adds notes and links (403), the action's guard (409/422), and plugin vetoes",
        "(409). Then it runs the action's effect (which may still refuse, e.g. a recusal), bumps",
        "`version` with a check (a stale writer gets 409), and writes one hash-chained event and its",
        "outbox rows in the same transaction. A refused action changes nothing; `version` always",
        "equals the number of events, which `jiefen audit verify` checks too.",
        "",
        "An action that names no `version` acts on the case as it is when its turn comes: on",
        "PostgreSQL it locks the case row, so concurrent actions wait for each other and each is",
        "judged against the state the one before left (a second `take` gets `invalid_transition`,",
        "a second note simply lands). An action that names a `version` it read gets 409 if",
        "anything but unattended system notes happened since.",
        "",
        "## States",
        "",
        "| state | 状态 |",
        "|---|---|",
        *states,
        "",
        "Open: " + ", ".join(f"`{st}`" for st in STATES if st in {"submitted", "registered", "assigned", "in_mediation"})
        + ". Final: `rejected`, `withdrawn`, `closed`.",
        "",
        "## Roles",
        "",
        *role_sets,
        "",
        "## Diagram",
        "",
        *_mermaid(),
        "",
        "## Actions",
        "",
        *_table(),
        "",
        "## Guards worth knowing",
        "",
        "* `accept` needs `rights_notified` and `consent` (the notice of rights and consent to mediation).",
        "* `uphold` only answers a return: the last move back to `registered` must be a `return`.",
        "* `escalate` needs the level's minimum of held sessions (\"三二一\", `JIEFEN_ESCALATION_MIN_ATTEMPTS`),",
        "  unless the risk is high; the case moves to the parent organisation and loses its assignment.",
        "* `close` of an `agreed` case needs a last follow-up that found the agreement performed;",
        "  `reopen` needs a last follow-up that found it not performed.",
        "* `extend` needs both parties' consent and happens once.",
        "* `dispatch` / `redispatch` to a mediator runs the recusal check (回避): same phone or ID as a",
        "  party, a declared relation, or a declared conflict on this case blocks it with the reason.",
        "* `add_assisting_unit` refuses a unit that is already assisting (409); `release_assisting_unit`",
        "  one that is not. The API's case detail lists the active ones as `assisting_units`.",
        "",
    ]
    return "\n".join(out)


def main() -> None:
    DOC_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
