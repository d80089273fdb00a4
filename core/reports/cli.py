"""``jiefen reports rebuild-counts`` and ``jiefen reports fold-counts`` (core/reports/counts.py)."""

from __future__ import annotations

import argparse
import time

from core.cli import with_db


def cmd_rebuild_counts(args: argparse.Namespace) -> None:
    from core.reports import counts, day_figures, due_counts

    started = time.perf_counter()
    rows = with_db(counts.rebuild)
    print(f"case counts rebuilt from the cases: {rows} row(s) in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    rows = with_db(day_figures.rebuild)
    print(f"day figures rebuilt from the cases: {rows} row(s) in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    rows = with_db(due_counts.rebuild)
    print(f"due counts rebuilt from the cases: {rows} row(s) in {time.perf_counter() - started:.1f} s")


def cmd_fold_counts(args: argparse.Namespace) -> None:
    from core.reports import counts, day_figures, due_counts

    print(f"folded {with_db(counts.fold)} delta row(s) into the case counts")
    print(f"folded {with_db(day_figures.fold)} delta row(s) into the day figures")
    print(f"folded {with_db(due_counts.fold)} delta row(s) into the due counts")


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("reports", help="stored figures: the dashboard's live case counts")
    reports = p.add_subparsers(dest="reports_command", required=True)
    reports.add_parser(
        "rebuild-counts", help="recompute the case counts from the cases (after a bulk load or restore; holds case writes meanwhile)"
    ).set_defaults(func=cmd_rebuild_counts)
    reports.add_parser("fold-counts", help="fold pending count deltas now (the cron job does it every minute)").set_defaults(
        func=cmd_fold_counts
    )
