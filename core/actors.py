"""Who is acting: a staff user, an integration's API key, a party, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ActorKind = Literal["staff", "api_key", "party", "system"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    roles: frozenset[str] = frozenset()
    org_id: int | None = None
    org_path: str = ""
    user_id: int | None = None
    api_key_id: int | None = None
    # For a party: the one case their verified phone opens.
    case_id: int | None = None
    name: str = ""
    locale: str = "zh_CN"
    scopes: frozenset[str] = field(default_factory=frozenset)
    plugin: str = ""

    @property
    def label(self) -> str:
        if self.kind == "staff":
            return f"staff:{self.user_id}"
        if self.kind == "api_key":
            return f"api_key:{self.api_key_id}"
        if self.kind == "party":
            return "party"
        return f"plugin:{self.plugin}" if self.plugin else "system"

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    def has_any(self, roles: frozenset[str] | set[str]) -> bool:
        return self.is_system or bool(self.roles & roles)

    def covers(self, path: str | None) -> bool:
        """True when ``path`` lies in this actor's organisation subtree."""
        return bool(path) and bool(self.org_path) and path.startswith(self.org_path)


SYSTEM = Actor(kind="system", roles=frozenset({"system"}), name="系统")


def plugin_actor(plugin: str) -> Actor:
    return Actor(kind="system", roles=frozenset({"system"}), name=plugin, plugin=plugin)
