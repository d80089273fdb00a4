"""The host's call sites: vetoes inside the transaction, the wake-up after commit, and the
start-up that loads plugins, checks their settings and registers what they bring."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.actors import Actor
from core.errors import Vetoed
from core.plugins.manager import (
    PluginFailed,
    all_impls,
    await_me_maybe,
    collect,
    get_manager,
    hook_for_case,
    hook_for_path,
)

log = logging.getLogger("jiefen.plugins")


async def check_vetoes(case: dict[str, Any], transition: Any, actor: Actor, data: Any) -> None:
    """Ask the plugins on for the case's town; the first reason (or error) blocks the action."""
    for plugin_name, impl in await hook_for_case("veto_transition", case):
        try:
            reason = await await_me_maybe(impl(case=case, event=transition.event, target=transition.target, actor=actor, data=data))
        except PluginFailed as exc:  # fail closed: a broken veto blocks, naming the plugin
            original = exc.original
            raise Vetoed(plugin=plugin_name, reason=f"{type(original).__name__}: {original}") from original
        if reason:
            raise Vetoed(plugin=plugin_name, reason=str(reason))


async def reopen_ground(case: dict[str, Any]) -> tuple[str, str] | None:
    """(plugin, reason) from the first plugin on for the case's town that knows a ground to
    reopen it; a plugin whose hook raises gives none (the core's refusal stands), logged."""
    for plugin_name, impl in await hook_for_case("reopen_ground", case):
        try:
            reason = await await_me_maybe(impl(case=case))
        except PluginFailed:
            continue
        if reason:
            return plugin_name, str(reason)
    return None


async def after_commit(event: dict[str, Any]) -> None:
    """Wake the in-process job runner so observers run promptly; the outbox row is the record."""
    from core.jobs.runner import kick

    kick()


def boot() -> None:
    """Load the plugins and check them before serving: import errors and bad settings stop the
    start with a message naming the plugin; jobs, cron entries and catalogues are registered."""
    from core.i18n import add_catalogue_dir
    from core.plugins import jobs, settings

    get_manager()
    settings.load_all()
    jobs.register_jobs()
    add_catalogue_dir(Path(__file__).parent / "locale")
    for _plugin, module in get_manager().list_name_plugin():
        locale_dir = Path(getattr(module, "__file__", "") or ".").parent / "locale"
        if getattr(module, "__file__", None) and locale_dir.is_dir():
            add_catalogue_dir(locale_dir)


async def run_startup(app: Any) -> None:
    """The ``startup`` hook of every plugin (Litestar ``on_startup``)."""
    for plugin_name, function in reversed(all_impls("startup")):
        await await_me_maybe(function(app=app))
        log.info("plugin %s started", plugin_name)


def all_roles() -> list[dict[str, Any]]:
    """The core's roles and the ones plugins add, each with ``plugin`` (None for the core)."""
    from core.auth.tables import ROLES
    from core.i18n import label

    roles = [{"code": r, "label_zh": label("role", r, "zh_CN"), "label_en": label("role", r, "en"), "plugin": None} for r in ROLES]
    known = set(ROLES)
    for plugin, contributed in collect("roles"):
        for role in contributed or []:
            if role["code"] not in known:
                known.add(role["code"])
                roles.append({**role, "plugin": plugin})
    return roles


def notification_channels() -> dict[str, Any]:
    """``{name: channel}`` from every plugin; a later plugin's channel replaces an earlier one's."""
    channels: dict[str, Any] = {}
    for _plugin, contributed in collect("notification_channels"):
        for channel in contributed or []:
            channels[channel.name] = channel
    return channels


def notification_messages() -> dict[str, tuple[str, str]]:
    """``{kind: (subject, body)}`` the plugins send through ``core.notifications`` (hook
    ``notification_messages``); the first plugin to claim a kind keeps it."""
    messages: dict[str, tuple[str, str]] = {}
    for _plugin, contributed in collect("notification_messages"):
        for kind, (subject, body) in (contributed or {}).items():
            messages.setdefault(kind, (subject, body))
    return messages


async def document_signer(organisation: dict[str, Any]) -> Any:
    """The signer for ``organisation``'s documents from the plugins on there (first wins)."""
    for _plugin, function in await hook_for_path("document_signer", organisation.get("path") or ""):
        signer = await await_me_maybe(function(organisation=organisation))
        if signer is not None:
            return signer
    return None
