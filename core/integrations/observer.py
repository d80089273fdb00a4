"""The case-event observer that feeds webhooks, written as a built-in plugin.

It is one of the host's ``DEFAULT_PLUGINS`` (``core/plugins/manager.py``), so every process,
the arq worker included, sees it; ``ensure_registered()`` only matters for a manager that a
test rebuilt without it.
"""

from __future__ import annotations

from typing import Any

from core import hookimpl

NAME = "core.integrations.observer"


@hookimpl
async def case_event(case: dict[str, Any], event: dict[str, Any]) -> None:
    from core.integrations.webhooks import fan_out

    await fan_out(case, event)


def ensure_registered() -> None:
    import sys

    from core.plugins.manager import get_manager

    manager = get_manager()
    if manager.get_plugin(NAME) is None:
        manager.register(sys.modules[__name__], name=NAME)
