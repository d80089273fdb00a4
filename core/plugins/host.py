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
    for plugin, _module in get_manager().list_name_plugin():
        load_catalogue(plugin)


def load_catalogue(plugin: str) -> None:
    """Add the plugin's ``locale/`` (beside its module) as its own catalogue: its ``_()`` looks
    there first, and the shared catalogue (labels, notification texts) gets it too."""
    from core.i18n import add_catalogue_dir

    module = get_manager().get_plugin(plugin)
    path = getattr(module, "__file__", None)
    if path and (Path(path).parent / "locale").is_dir():
        add_catalogue_dir(Path(path).parent / "locale", domain=plugin)


def translator(plugin: str, locale: str | None) -> Any:
    """``_(message, **params)`` for a plugin's templates and code, in ``locale``, through the
    plugin's own catalogue, then the core's. Message ids are English sentences."""
    from core.i18n import _domain_dirs, dgettext

    if plugin not in _domain_dirs and get_manager().get_plugin(plugin) is not None:
        load_catalogue(plugin)  # a plugin registered after boot (tests, a town's folder)

    def _(message: str, **params: Any) -> str:
        return dgettext(plugin, message, locale, **params)

    return _


def bundled_plugin(module_name: str, *, settings: type | None = None) -> None:
    """The glue every plugin folder repeats, added to the plugin's module as hook
    implementations, each only when the folder has what it serves:

    * ``templates/`` → ``template_dirs``; ``documents/`` → ``document_templates``;
    * ``routes.py`` with ``ROUTES`` → ``register_routes``;
    * ``jobs.py`` with ``JOBS`` / ``CRON`` / ``MESSAGES`` → ``jobs`` / ``cron_jobs`` /
      ``notification_messages``;
    * ``nav.py`` with ``NAV`` → ``admin_nav`` (the host shows each entry to its ``roles``);
    * ``services.py`` with ``anonymise`` → ``anonymise_case``;
    * ``settings`` (a ``msgspec.Struct``) → ``settings_schema``.

    A hook the module defines itself wins (the helper never replaces it). Submodules are
    imported when the hook is first called, so importing the plugin stays cheap. Call it at the
    end of the plugin's ``__init__.py``: ``bundled_plugin(__name__, settings=Settings)``."""
    import importlib
    import sys

    from core import hookimpl

    module = sys.modules[module_name]
    here = Path(module.__file__ or ".").parent

    def sub(name: str) -> Any:
        return importlib.import_module(f"{module_name}.{name}")

    def attr(name: str, value: str) -> Any:
        return getattr(sub(name), value, None)

    hooks: dict[str, Any] = {}
    if (here / "templates").is_dir():
        hooks["template_dirs"] = lambda: [here / "templates"]
    if (here / "documents").is_dir():
        hooks["document_templates"] = lambda: [here / "documents"]
    if (here / "routes.py").exists():
        hooks["register_routes"] = lambda: attr("routes", "ROUTES")
    if (here / "jobs.py").exists():
        hooks["jobs"] = lambda: attr("jobs", "JOBS")
        hooks["cron_jobs"] = lambda: attr("jobs", "CRON")
        hooks["notification_messages"] = lambda: attr("jobs", "MESSAGES")
    if (here / "nav.py").exists():
        hooks["admin_nav"] = lambda: attr("nav", "NAV")
    if (here / "services.py").exists():
        async def anonymise_case(case_id: int) -> Any:
            function = attr("services", "anonymise")
            return await function(case_id) if function is not None else None

        hooks["anonymise_case"] = anonymise_case
    if settings is not None:
        hooks["settings_schema"] = lambda: settings
    taken = set()
    for name in dir(module):
        opts = getattr(getattr(module, name, None), "jiefen_impl", None)
        if isinstance(opts, dict):
            taken.add(opts.get("specname") or name)
    for spec, function in hooks.items():
        if spec in taken:
            continue
        # ``_hook_<spec>``: a submodule named like the hook (``jobs``) would otherwise rebind
        # the package attribute on import and a re-registration would miss the hook.
        function.__name__ = f"_hook_{spec}"
        setattr(module, f"_hook_{spec}", hookimpl(specname=spec)(function))


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
