"""``jiefen``: serve, worker, migrate, seed-demo, createuser, audit, plugins, jobs, retention, reports, types."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def with_db(fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn()`` in a new event loop with the database started, and shut it down after
    (every command here and in the other ``*/cli.py`` that touches the database)."""
    from core import db

    async def go() -> T:
        await db.startup()
        try:
            return await fn()
        finally:
            await db.shutdown()

    return asyncio.run(go())


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run("core.api.asgi:app", host=args.host, port=args.port, workers=args.workers, log_level="info")


def cmd_worker(args: argparse.Namespace) -> None:
    from core.jobs.worker import run_worker

    run_worker()


def cmd_migrate(args: argparse.Namespace) -> None:
    from core.migrate import migrate

    with_db(migrate)
    print("migrated")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from core.demo import seed_demo

    async def go() -> None:
        created = await seed_demo(cases=args.cases, force=args.force, days=args.days)
        print(created)

    with_db(go)


def cmd_createuser(args: argparse.Namespace) -> None:
    from core.auth.service import hash_password
    from core.auth.tables import StaffUser

    password = args.password or getpass.getpass("password: ")

    async def go() -> None:
        await StaffUser.insert(
            StaffUser(
                username=args.username, display_name=args.name or args.username, password_hash=hash_password(password),
                organisation=args.organisation, roles=args.roles.split(","),
            )
        )
        print(f"created {args.username}")

    with_db(go)


def cmd_audit_verify(args: argparse.Namespace) -> None:
    from core.cases.tables import Case
    from core.cases.timeline import verify_chain

    async def go() -> int:
        if args.case:
            row = await Case.select(Case.id).where((Case.number == args.case) | (Case.application_ref == args.case) | (Case.id == (int(args.case) if args.case.isdigit() else -1))).first()
            ids = [row["id"]] if row else []
            if not ids:
                print(f"no case {args.case}")
                return 2
        else:
            ids = [r["id"] for r in await Case.select(Case.id).order_by(Case.id)]
        bad = 0
        for case_id in ids:
            report = await verify_chain(case_id)
            if not report.intact:
                bad += 1
                print(f"case {case_id}: BROKEN at event {report.first_bad_seq}: {report.problem}")
            elif args.case:
                print(f"case {case_id}: intact ({report.events} events)")
        print(f"{len(ids)} case(s) checked, {bad} broken")
        return 1 if bad else 0

    sys.exit(with_db(go))


def cmd_jobs_drain(args: argparse.Namespace) -> None:
    import core.cases.effects  # noqa: F401
    import core.jobs.registry  # noqa: F401
    from core.jobs.runner import drain

    print(f"ran {with_db(drain)} job(s)")


def cmd_jobs_retry(args: argparse.Namespace) -> None:
    from core.jobs.retry import retry_failed

    print(f"queued {with_db(lambda: retry_failed(args.ids or None))} failed job(s) again")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="jiefen", description="解纷 Jiefen")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve the app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="run the arq worker (needs JIEFEN_REDIS_URL)").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations (core and plugins)").set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed-demo", help="load the demo town (once)")
    p.add_argument("--cases", type=int, default=300)
    p.add_argument("--days", type=float, default=None, help="spread submissions over this many days before now (default 60; 0: all now)")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("createuser", help="create a staff user")
    p.add_argument("username")
    p.add_argument("--organisation", type=int, required=True)
    p.add_argument("--roles", default="window_staff")
    p.add_argument("--name", default="")
    p.add_argument("--password", default="")
    p.set_defaults(func=cmd_createuser)

    p = sub.add_parser("audit", help="timeline integrity")
    audit = p.add_subparsers(dest="audit_command", required=True)
    v = audit.add_parser("verify", help="verify the hash chain of one case or all")
    v.add_argument("case", nargs="?", default="")
    v.set_defaults(func=cmd_audit_verify)

    p = sub.add_parser("jobs", help="the outbox")
    jobs = p.add_subparsers(dest="jobs_command", required=True)
    jobs.add_parser("drain", help="run every due job now").set_defaults(func=cmd_jobs_drain)
    r = jobs.add_parser("retry", help="queue failed jobs again (all, or the given outbox ids)")
    r.add_argument("ids", nargs="*", type=int)
    r.set_defaults(func=cmd_jobs_retry)

    from core.plugins.cli import add_commands as add_plugin_commands

    add_plugin_commands(sub)
    from core.agreements.cli import add_commands as add_document_commands

    add_document_commands(sub)
    from core.privacy.cli import add_commands as add_retention_commands

    add_retention_commands(sub)
    from core.reports.cli import add_commands as add_report_commands

    add_report_commands(sub)
    from core.roster.cli import add_commands as add_type_commands

    add_type_commands(sub)

    args = parser.parse_args(argv)
    from core.settings import SettingsError, get_settings

    try:
        get_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    args.func(args)


if __name__ == "__main__":
    main()
