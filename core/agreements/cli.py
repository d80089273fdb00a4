"""``jiefen keys``: development signing keys for a committee, and where a real one goes."""

from __future__ import annotations

import argparse
import asyncio
import sys


def cmd_keys_create(args: argparse.Namespace) -> None:
    from core import db
    from core.agreements.keys import create_for, org_dir
    from core.orgs.tables import Organisation

    async def go() -> int:
        await db.startup()
        try:
            org = await Organisation.select().where(Organisation.id == args.committee).first()
        finally:
            await db.shutdown()
        if org is None:
            print(f"no organisation {args.committee}", file=sys.stderr)
            return 2
        paths = create_for(org, overwrite=args.overwrite)
        print(f"development keys for {org['name']} (#{org['id']}) in {org_dir(org['id'])}:")
        for name, path in paths.items():
            print(f"  {name:5} {path}")
        print("They prove nothing outside this installation; see docs/agreements.md to install a real key.")
        return 0

    sys.exit(asyncio.run(go()))


def cmd_keys_list(args: argparse.Namespace) -> None:
    from core.agreements.keys import trust_roots
    from core.agreements.settings import document_settings

    root = document_settings().keys_path
    print(f"keys directory: {root}")
    for directory in sorted(root.glob("org-*")) if root.is_dir() else []:
        print(f"  {directory.name}: {', '.join(sorted(p.name for p in directory.iterdir()))}")
    print("trust roots:")
    for path in trust_roots():
        print(f"  {path}")


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("keys", help="document signing keys")
    keys = p.add_subparsers(dest="keys_command", required=True)
    c = keys.add_parser("create", help="create a development key and certificate for a committee")
    c.add_argument("--committee", type=int, required=True, help="the organisation id")
    c.add_argument("--overwrite", action="store_true", help="replace existing keys (documents signed before stop verifying)")
    c.set_defaults(func=cmd_keys_create)
    keys.add_parser("list", help="installed keys and trust roots").set_defaults(func=cmd_keys_list)
