"""Job functions by name. Every job is idempotent: running it twice does no harm."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("jiefen.jobs")

JobFunction = Callable[[dict[str, Any]], Awaitable[Any]]
JOBS: dict[str, JobFunction] = {}


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    def register(fn: JobFunction) -> JobFunction:
        JOBS[name] = fn
        return fn

    return register


# Modules whose import registers core jobs; plugins add theirs through the ``jobs`` hook.
JOB_MODULES = ("core.notifications.jobs", "core.reports.jobs", "core.jobs.ladder", "core.jobs.cron", "core.integrations.jobs", "core.privacy.jobs")
_loaded = False


def load_jobs() -> dict[str, JobFunction]:
    """Every job function: the core's and the plugins'. The runner and the worker call this."""
    global _loaded
    if not _loaded:
        import importlib

        from core.plugins.jobs import register_jobs

        for module in JOB_MODULES:
            importlib.import_module(module)
        register_jobs()  # plugin jobs, each skipped for a town where its plugin is off
        _loaded = True
    return JOBS


def job_function(name: str) -> JobFunction | None:
    return load_jobs().get(name)


@job("deliver_event")
async def deliver_event(payload: dict[str, Any]) -> None:
    """Fan an event out: one delivery row per plugin observer, so each retries on its own."""
    from core.cases.tables import Case, CaseEvent
    from core.jobs.outbox import enqueue
    from core.notifications.jobs import TELLING_EVENTS
    from core.plugins.manager import hook_for_case

    case = await Case.select(Case.id, Case.org_path).where(Case.id == payload["case_id"]).first()
    if case is None:
        return
    # People (parties, assignee, leaders) are told in a job of their own, so a broken
    # plugin observer never holds up a resident's message, nor the other way round.
    event = await CaseEvent.select(CaseEvent.name).where(CaseEvent.id == payload["event_id"]).first()
    if event is not None and event["name"] in TELLING_EVENTS:
        await enqueue(
            "notify_event", {"event_id": payload["event_id"]}, case_id=case["id"], dedupe_key=f"event:{payload['event_id']}:notify",
        )
    for plugin_name, _ in await hook_for_case("case_event", case):
        await enqueue(
            "deliver_event_to_plugin", {"event_id": payload["event_id"], "plugin": plugin_name},
            case_id=case["id"], dedupe_key=f"event:{payload['event_id']}:plugin:{plugin_name}",
        )


@job("deliver_event_to_plugin")
async def deliver_event_to_plugin(payload: dict[str, Any]) -> None:
    from core.cases.tables import Case, CaseEvent
    from core.cases.timeline import join_remarks
    from core.plugins.manager import hook_for_case

    event = await CaseEvent.select().where(CaseEvent.id == payload["event_id"]).first()
    if event is None:
        return
    await join_remarks([event])
    case = await Case.select().where(Case.id == event["case"]).first()
    for plugin_name, call in await hook_for_case("case_event", case):
        if plugin_name == payload["plugin"]:
            from core.plugins.manager import await_me_maybe

            await await_me_maybe(call(case=case, event=event))
