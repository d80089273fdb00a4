"""``jiefen plugins …``: list, new, docs, check, deliveries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli import with_db


async def plugin_rows() -> list[dict[str, Any]]:
    """Each plugin with its version, origin and the switches that decide where it is on."""
    from core.orgs.tables import PluginSwitch
    from core.plugins.manager import default_enabled, plugin_names, source_of

    switches = await PluginSwitch.select(
        PluginSwitch.plugin, PluginSwitch.enabled, PluginSwitch.organisation.name.as_alias("org"),
        PluginSwitch.organisation.path.as_alias("path"),
    ).order_by(PluginSwitch.organisation.path)
    rows = []
    for name in sorted(plugin_names()):
        source = source_of(name)
        rows.append({
            "name": name, "version": source.version if source else "", "origin": source.origin if source else "registered",
            "location": source.location if source else "", "default": "on" if default_enabled(name) else "off",
            "switches": [f"{'on' if s['enabled'] else 'off'} at {s['org']} ({s['path']})" for s in switches if s["plugin"] == name],
        })
    return rows


def cmd_list(args: argparse.Namespace) -> None:
    for row in with_db(plugin_rows):
        print(f"{row['name']:<20} {row['version']:<10} {row['origin']:<10} default {row['default']:<4} {row['location']}")
        for line in row["switches"]:
            print(f"    {line}")


def cmd_new(args: argparse.Namespace) -> None:
    from core.plugins.scaffold import scaffold

    target = scaffold(args.name, Path(args.dir))
    print(f"created {target}\nnext: pip install -e {target} && pytest {target}")


def cmd_docs(args: argparse.Namespace) -> None:
    from core.plugins.reference import DOC_PATH, update_doc

    changed = update_doc(DOC_PATH, check=args.check)
    if args.check and changed:
        print(f"{DOC_PATH} hook reference is stale; run `jiefen plugins docs`", file=sys.stderr)
        sys.exit(1)
    print(f"{DOC_PATH}: {'updated' if changed else 'up to date'}")


def cmd_check(args: argparse.Namespace) -> None:
    from core.plugins.host import boot

    boot()
    print("plugins load and their settings are valid")


def cmd_deliveries(args: argparse.Namespace) -> None:
    from core.plugins import deliveries

    async def go() -> None:
        if args.retry is not None:
            count = await deliveries.retry(args.retry or None, plugin=args.plugin)
            print(f"{count} delivery(ies) queued again; the runner or `jiefen jobs drain` sends them")
            return
        for d in await deliveries.list_deliveries(failed=args.failed, plugin=args.plugin):
            print(f"#{d['id']:<6} {d['plugin']:<18} case {d['case_id']} event {d['event_id']} {d['status']:<8} tries {d['attempts']} {d['last_error'][:120]}")

    with_db(go)


def add_commands(sub: Any) -> None:
    p = sub.add_parser("plugins", help="installed plugins, scaffolding, the hook reference, deliveries")
    plugins = p.add_subparsers(dest="plugins_command", required=True)
    plugins.add_parser("list", help="each plugin, its version, origin and where it is on").set_defaults(func=cmd_list)
    n = plugins.add_parser("new", help="scaffold a plugin package whose test passes as generated")
    n.add_argument("name")
    n.add_argument("--dir", default=".")
    n.set_defaults(func=cmd_new)
    d = plugins.add_parser("docs", help="write the hook reference into docs/plugins.md")
    d.add_argument("--check", action="store_true", help="fail if the reference is stale")
    d.set_defaults(func=cmd_docs)
    plugins.add_parser("check", help="load every plugin and validate its settings").set_defaults(func=cmd_check)
    r = plugins.add_parser("deliveries", help="event deliveries to plugin observers")
    r.add_argument("--failed", action="store_true", help="only failed or retrying ones")
    r.add_argument("--plugin")
    r.add_argument("--retry", nargs="*", type=int, metavar="ID", help="queue failed ones again (all, or these ids)")
    r.set_defaults(func=cmd_deliveries)
