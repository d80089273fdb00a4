"""``jiefen types list`` and ``jiefen types switch <code> --on|--off``: the dispute-type catalogue
from the server's shell. With several top-level organisations (counties side by side) no
administrator may switch a shared type (core/roster/types.py), so the operator does it here;
each switch is in ``access_log`` like the admin's, by ``system:cli`` with the shell's user."""

from __future__ import annotations

import argparse
import getpass
import sys

from core.cli import with_db


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return ""


def cmd_types_list(args: argparse.Namespace) -> None:
    from core.roster.tables import DisputeType

    async def go() -> list[dict]:
        return await DisputeType.select(
            DisputeType.code, DisputeType.active, DisputeType.sensitive, DisputeType.label_zh, DisputeType.label_en,
            DisputeType.organisation.name.as_alias("owner"),
        ).order_by(DisputeType.sort_order)

    rows = with_db(go)
    for r in rows:
        owner = r["owner"] or "shared"
        flags = "sensitive" if r["sensitive"] else ""
        print(f"{r['code']:<28} {'on' if r['active'] else 'off':<4} {flags:<10} {r['label_zh']} / {r['label_en']}  [{owner}]")
    print(f"{len(rows)} type(s); shared: switched by the root's administrator, or here with `jiefen types switch`")


def cmd_types_switch(args: argparse.Namespace) -> None:
    from core import lookups
    from core.actors import SYSTEM
    from core.roster.tables import DisputeType
    from core.roster.types import CLI_LABEL, set_active

    state = "on" if args.active else "off"

    async def go() -> int:
        row = await DisputeType.select(DisputeType.active).where(DisputeType.code == args.code).first()
        if row is None:
            print(f"no dispute type {args.code!r} (see `jiefen types list`)", file=sys.stderr)
            return 2
        if row["active"] == args.active:
            print(f"{args.code} is already {state}; nothing changed")
            return 0
        await set_active(SYSTEM, args.code, args.active, actor_label=CLI_LABEL, detail={"os_user": _os_user()})
        print(f"{args.code} switched {state}, recorded in access_log as {CLI_LABEL}; servers see it within {lookups.TTL:.0f} s")
        return 0

    sys.exit(with_db(go))


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("types", help="the dispute-type catalogue (list; switch a type on or off)")
    types = p.add_subparsers(dest="types_command", required=True)
    types.add_parser("list", help="every dispute type: code, on/off, labels, owning organisation").set_defaults(func=cmd_types_list)
    s = types.add_parser(
        "switch", help="switch a dispute type on or off for every town (shared types too); recorded in access_log",
    )
    s.add_argument("code")
    on_off = s.add_mutually_exclusive_group(required=True)
    on_off.add_argument("--on", dest="active", action="store_const", const=True, help="offer the type at intake again")
    on_off.add_argument("--off", dest="active", action="store_const", const=False, help="stop offering the type at intake")
    s.set_defaults(func=cmd_types_switch)
