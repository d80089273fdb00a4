"""The plugin host, and the public surface a plugin imports besides ``from core import hookimpl``.

Names are looked up lazily, so importing ``core.plugins`` never drags in the web app or the
database layer (the lifecycle imports the host, and the host must not import it back).
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    # the host
    "render_template": "core.plugins.web",
    "page": "core.plugins.web",
    "form_result": "core.plugins.web",
    "form_int": "core.plugins.web",
    "check_amount": "core.cases.schemas",
    "translator": "core.plugins.host",
    "bundled_plugin": "core.plugins.host",
    "plugin_settings": "core.plugins.settings",
    "enabled_for_path": "core.plugins.manager",
    "enabled_for_case": "core.plugins.manager",
    # acting on cases
    "Actor": "core.actors",
    "plugin_actor": "core.actors",
    "current_actor": "core.api.deps",
    "get_case": "core.cases.service",
    "record_action": "core.cases.service",
    "transition": "core.cases.lifecycle",
    "write_transaction": "core.db",
    "enqueue": "core.jobs.outbox",
    "gettext": "core.i18n",
    # telling staff (kinds from the hook notification_messages)
    "notify": "core.notifications.service",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'core.plugins' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
