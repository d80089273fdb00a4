"""Finding plugins: installed packages through the ``jiefen`` entry points, a town's folder
(``JIEFEN_PLUGINS_DIR``), the deployment's allow-list, and a scaffolded package that passes
its own test once pip-installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.plugins.host import all_roles
from core.plugins.manager import (
    PluginLoadError,
    get_manager,
    plugin_names,
    reset_manager,
    source_of,
)
from tests.plugins.conftest import PROJECT, plugins_dir

PACKAGE = '''
from core import hookimpl

@hookimpl
def roles():
    return [{"code": "township_elder", "label_zh": "乡贤", "label_en": "Township elder", "description": ""}]
'''


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A distribution "installed" the way pip leaves it: the package and its dist-info."""
    (tmp_path / "townplug").mkdir()
    (tmp_path / "townplug" / "__init__.py").write_text(PACKAGE)
    info = tmp_path / "jiefen_townplug-1.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: jiefen-townplug\nVersion: 1.2.0\n")
    (info / "entry_points.txt").write_text("[jiefen]\ntownplug = townplug\n")
    sys.path.insert(0, str(tmp_path))
    reset_manager()
    yield tmp_path
    sys.path.remove(str(tmp_path))
    sys.modules.pop("townplug", None)
    reset_manager()


def test_installed_package_is_discovered(site: Path) -> None:
    source = source_of("townplug")
    assert source is not None and (source.origin, source.version, source.location) == ("package", "1.2.0", "jiefen-townplug")
    assert {"code": "township_elder", "plugin": "townplug"}.items() <= next(r for r in all_roles() if r["code"] == "township_elder").items()
    assert any(r["code"] == "mediator" and r["plugin"] is None for r in all_roles())


def test_plugins_dir_single_file_and_allow_list(tmp_path: Path) -> None:
    (tmp_path / "village_rules.py").write_text("from core import hookimpl\n")
    (tmp_path / "_private.py").write_text("raise RuntimeError('never imported')\n")
    with plugins_dir(tmp_path):
        assert "village_rules" in plugin_names()
        assert source_of("village_rules").origin == "directory"
    with plugins_dir(tmp_path, JIEFEN_PLUGINS="village_rules"):
        assert plugin_names() == ["village_rules"]  # the bundled ones are not allowed here
    sys.modules.pop("village_rules", None)


def test_broken_or_badly_named_plugins_stop_the_start(tmp_path: Path) -> None:
    (tmp_path / "broken_flow.py").write_text("import no_such_module_here\n")
    with plugins_dir(tmp_path), pytest.raises(PluginLoadError, match="broken_flow .*ModuleNotFoundError"):
        get_manager()
    (tmp_path / "broken_flow.py").unlink()
    (tmp_path / "switches.py").write_text("")
    with plugins_dir(tmp_path), pytest.raises(PluginLoadError, match="'switches'"):
        get_manager()


def _pip_install(source: Path, target: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    return done.returncode == 0


@pytest.mark.slow
def test_scaffold_installs_and_passes_its_own_test(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "plugins", "new", "village_notes", "--dir", str(tmp_path)],
        cwd=PROJECT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    package = tmp_path / "jiefen-village-notes"
    env = {**os.environ, "JIEFEN_DATA_DIR": str(tmp_path / "data"), "JIEFEN_DATABASE_URL": ""}
    if _pip_install(package, tmp_path / "site"):
        env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "site"), str(PROJECT)])
    else:  # no package index reachable: load the same package from a town's folder instead
        env.update(PYTHONPATH=str(PROJECT), JIEFEN_PLUGINS_DIR=str(package))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore"],
        cwd=package, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout
