"""The admin's navigation. Another area adds an entry with :func:`add_nav` (e.g. the
supervision dashboard, 督办看板) and it appears for the roles it names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.actors import Actor


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str  # an English message id, translated at render time
    url: str
    roles: frozenset[str] = frozenset()  # empty: everyone signed in
    order: int = 100


NAV: list[NavItem] = [
    NavItem("cases", "Cases", "/admin/cases", order=10),
    NavItem("intake", "Register", "/admin/intake", frozenset({"window_staff", "supervisor", "admin", "grid_worker"}), order=20),
    NavItem("manage", "Management", "/admin/manage", frozenset({"admin"}), order=90),
]


def add_nav(item: NavItem) -> None:
    """Add (or replace, by key) a navigation entry."""
    NAV[:] = [n for n in NAV if n.key != item.key] + [item]


def nav_for(actor: Actor, plugin_entries: list[dict[str, Any]] | None = None) -> list[NavItem]:
    """The core's entries for the actor's roles, and the plugins' (hook ``admin_nav``, already
    filtered by town and role and translated by ``core.plugins.ui.admin_nav``)."""
    items = [n for n in NAV if not n.roles or actor.has_any(n.roles)]
    items += [NavItem(e["key"], e["label"], e["url"], order=e["order"]) for e in plugin_entries or []]
    return sorted(items, key=lambda n: n.order)
