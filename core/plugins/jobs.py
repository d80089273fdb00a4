"""Plugins' background jobs, registered into ``core.jobs.registry.JOBS``.

A plugin job whose payload names a ``case_id`` is skipped for a case of a town where the plugin
is off, so a switch flipped after the job was queued still holds. Cron entries are read by
``core.jobs.cron.entries()``; here they are only checked at start.
"""

from __future__ import annotations

import logging
from typing import Any

from core.plugins.manager import PluginLoadError, collect, enabled_for_case

log = logging.getLogger("jiefen.plugins")


def guarded(plugin: str, name: str, function: Any) -> Any:
    """``function`` that first checks the plugin is on for the payload's case."""

    async def run(payload: dict[str, Any]) -> Any:
        case_id = payload.get("case_id")
        if case_id is not None:
            from core.cases.tables import Case

            case = await Case.select(Case.id, Case.org_path).where(Case.id == case_id).first()
            if case is not None and not await enabled_for_case(plugin, case):
                log.info("job %s skipped: plugin %s is off for case %s", name, plugin, case_id)
                return None
        return await function(payload)

    run.__name__ = f"{plugin}:{name}"
    run.plugin = plugin  # type: ignore[attr-defined]
    run.wrapped = function  # type: ignore[attr-defined]
    return run


def register_jobs() -> None:
    """Add every plugin's jobs to the registry, guarded; check its cron entries (idempotent)."""
    from core.jobs.registry import JOBS

    for plugin, jobs in collect("jobs"):
        for name, function in (jobs or {}).items():
            existing = JOBS.get(name)
            # The registry may have taken the bare function already; anything else is a clash.
            if existing is not None and existing is not function and getattr(existing, "plugin", None) != plugin:
                raise PluginLoadError(f"Jiefen cannot start: plugin {plugin} registers job {name!r}, which the core already has")
            if not name.startswith(plugin):
                log.warning("plugin %s: job %r should start with the plugin's name", plugin, name)
            JOBS[name] = guarded(plugin, name, function)
    for plugin, entries in collect("cron_jobs"):
        for entry in entries or []:
            if not {"name", "job"} <= set(entry) or entry["job"] not in JOBS:
                raise PluginLoadError(f"Jiefen cannot start: plugin {plugin} has a cron entry {entry!r} for no known job")


def unregister_jobs(plugin: str) -> None:
    """Remove a plugin's jobs (tests that register a plugin for a while)."""
    from core.jobs.registry import JOBS

    for name in [n for n, f in JOBS.items() if getattr(f, "plugin", None) == plugin]:
        del JOBS[name]
