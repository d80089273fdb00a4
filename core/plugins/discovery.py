"""Finding plugins: bundled ones and installed packages via the ``jiefen`` entry-point group,
plus a town's local plugins from ``JIEFEN_PLUGINS_DIR``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from core.settings import PROJECT_ROOT, get_settings

ENTRY_POINT_GROUP = "jiefen"


@dataclass(frozen=True)
class PluginSource:
    name: str
    module: str
    version: str
    origin: str  # "bundled" | "package" | "directory"
    location: str


def _from_entry_points() -> list[PluginSource]:
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        module = ep.value.split(":")[0]
        origin = "bundled" if module.startswith("plugins.") else "package"
        found.append(
            PluginSource(
                name=ep.name,
                module=module,
                version=dist.version if dist else "",
                origin=origin,
                location=dist.name if dist else "",
            )
        )
    return found


def _bundled() -> list[PluginSource]:
    """The project's own ``plugins/`` folders, so a checkout that is not pip-installed (no entry
    points yet) still finds them; an installed one finds the same names through entry points."""
    root = PROJECT_ROOT / "plugins"
    return [
        PluginSource(name=d.name, module=f"plugins.{d.name}", version=_project_version(), origin="bundled", location=str(d))
        for d in sorted(root.iterdir() if root.is_dir() else [])
        if (d / "__init__.py").exists() and not d.name.startswith(("_", "."))
    ]


def _project_version() -> str:
    import tomllib

    try:
        return str(tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["version"])
    except (OSError, KeyError, ValueError):
        return ""


def _from_directory(directory: Path) -> list[PluginSource]:
    if not directory.is_dir():
        return []
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    found = []
    for item in sorted(directory.iterdir()):
        if item.name.startswith(("_", ".")):
            continue
        if item.suffix == ".py" or (item.is_dir() and (item / "__init__.py").exists()):
            name = item.stem
            found.append(PluginSource(name=name, module=name, version="local", origin="directory", location=str(item)))
    return found


@lru_cache(maxsize=1)
def discover() -> tuple[PluginSource, ...]:
    """Every plugin this deployment allows (``JIEFEN_PLUGINS`` narrows the installed ones)."""
    settings = get_settings()
    sources = _from_entry_points() + _bundled()
    if settings.plugins_dir:
        sources += _from_directory(settings.plugins_dir)
    by_name: dict[str, PluginSource] = {}
    for source in sources:
        by_name.setdefault(source.name, source)
    allowed = settings.plugins
    return tuple(s for name, s in sorted(by_name.items()) if allowed is None or name in allowed)


def piccolo_app_modules() -> list[str]:
    """Plugins that bring their own tables carry a ``piccolo_app`` module next to them."""
    modules = []
    for source in discover():
        candidate = f"{source.module}.piccolo_app"
        try:
            if importlib.util.find_spec(candidate) is not None:
                modules.append(candidate)
        except ModuleNotFoundError:
            continue
    return modules
