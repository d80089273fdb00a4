"""The plugin host: one pluggy manager for the deployment (filled out in core.plugins.manager)."""

from __future__ import annotations

import logging
from typing import Any

from core.actors import Actor
from core.errors import Vetoed

log = logging.getLogger("jiefen.plugins")


async def check_vetoes(case: dict[str, Any], transition: Any, actor: Actor, data: Any) -> None:
    from core.plugins.manager import get_manager, await_me_maybe, hook_for_case

    caller = await hook_for_case("veto_transition", case)
    for plugin_name, impl in caller:
        try:
            reason = await await_me_maybe(impl(case=case, event=transition.event, target=transition.target, actor=actor, data=data))
        except Exception as exc:  # fail closed: a broken veto blocks, naming the plugin
            log.exception("veto hook of %s raised", plugin_name)
            raise Vetoed(plugin=plugin_name, reason=f"{type(exc).__name__}: {exc}") from exc
        if reason:
            raise Vetoed(plugin=plugin_name, reason=str(reason))
    _ = get_manager


async def after_commit(event: dict[str, Any]) -> None:
    """Wake the in-process job runner so observers run promptly; the outbox row is the record."""
    from core.jobs.runner import kick

    kick()
