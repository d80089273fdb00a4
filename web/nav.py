"""The admin's navigation. Another area adds an entry with :func:`add_nav` (e.g. the
supervision dashboard, 督办看板) and it appears for the roles it names."""

from __future__ import annotations

from dataclasses import dataclass

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


def nav_for(actor: Actor) -> list[NavItem]:
    return sorted((n for n in NAV if not n.roles or actor.has_any(n.roles)), key=lambda n: n.order)
