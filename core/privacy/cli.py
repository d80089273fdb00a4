"""``jiefen retention run [--dry-run] [--before YYYY-MM-DD] [--town ID]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date


def cmd_retention_run(args: argparse.Namespace) -> None:
    from core import db
    from core.privacy.retention import run
    from core.privacy.settings import privacy_settings

    async def go() -> int:
        await db.startup()
        try:
            result = await run(dry_run=args.dry_run, before=args.before, town_id=args.town)
        finally:
            await db.shutdown()
        limit = f"closed before {args.before}" if args.before else f"closed more than {privacy_settings().retention_days} days ago"
        if args.dry_run:
            print(f"dry run: {len(result.candidates)} case(s) {limit} would be anonymised; nothing was written")
            for case in result.candidates:
                print(f"  {case['number']} ({case['state']}, final {case['final_at']:%Y-%m-%d})")
            return 0
        print(
            f"{len(result.anonymised)} case(s) anonymised ({limit}), {result.files_removed} file(s) removed, "
            f"{len(result.failed)} failed, {len(result.deferred)} deferred"
        )
        for failed in result.failed:
            print(f"  FAILED {failed['number']}: {failed['error']} (left as it was)")
        for waiting in result.deferred:
            print(f"  DEFERRED {waiting['number']}: jobs not finished ({', '.join(waiting['jobs'])}); left for a later run")
        return 1 if result.failed else 0

    sys.exit(asyncio.run(go()))


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("retention", help="the retention policy: anonymise closed cases after the configured period")
    retention = p.add_subparsers(dest="retention_command", required=True)
    r = retention.add_parser("run", help="anonymise the cases that are due (idempotent)")
    r.add_argument("--dry-run", action="store_true", help="count and list, write nothing")
    r.add_argument("--before", type=date.fromisoformat, default=None, help="instead of the period: cases final before this local date")
    r.add_argument("--town", type=int, default=None, help="only cases of this organisation's subtree (its id)")
    r.set_defaults(func=cmd_retention_run)
