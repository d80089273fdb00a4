"""Plugin settings are checked at start: a bad or missing value stops it with a message naming
the variable, from the app factory and from ``jiefen plugins check``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from core import hookimpl
from core.plugins.settings import PluginSettingsError, load_all, plugin_settings
from tests.plugins.conftest import PROJECT, registered


class SmsBoxSettings(msgspec.Struct):
    token: str
    port: int = 443
    numbers: list[str] = []


class SmsBox:
    @hookimpl
    def settings_schema(self) -> Any:
        return SmsBoxSettings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in [k for k in os.environ if k.startswith("JIEFEN_PLUGIN_SMSBOX_")]:
        monkeypatch.delenv(key)
    return monkeypatch


def test_good_settings_are_parsed(env: pytest.MonkeyPatch) -> None:
    env.setenv("JIEFEN_PLUGIN_SMSBOX_TOKEN", "s3cret")
    env.setenv("JIEFEN_PLUGIN_SMSBOX_PORT", "8443")
    env.setenv("JIEFEN_PLUGIN_SMSBOX_NUMBERS", '["12345"]')
    with registered(SmsBox(), "smsbox"):
        assert plugin_settings("smsbox") == SmsBoxSettings(token="s3cret", port=8443, numbers=["12345"])


@pytest.mark.parametrize(
    ("values", "variable", "why"),
    [
        ({}, "JIEFEN_PLUGIN_SMSBOX_TOKEN", "is required"),
        ({"JIEFEN_PLUGIN_SMSBOX_TOKEN": "x", "JIEFEN_PLUGIN_SMSBOX_PORT": "https"}, "JIEFEN_PLUGIN_SMSBOX_PORT", "Expected `int`"),
    ],
)
def test_bad_settings_name_the_variable(env: pytest.MonkeyPatch, values: dict[str, str], variable: str, why: str) -> None:
    for key, value in values.items():
        env.setenv(key, value)
    with registered(SmsBox(), "smsbox"), pytest.raises(PluginSettingsError) as caught:
        load_all()
    message = str(caught.value)
    assert "plugin smsbox" in message and variable in message and why in message


def test_app_does_not_start_with_bad_settings(env: pytest.MonkeyPatch) -> None:
    from core.api.app import create_app

    with registered(SmsBox(), "smsbox"), pytest.raises(PluginSettingsError, match="JIEFEN_PLUGIN_SMSBOX_TOKEN"):
        create_app(run_jobs=False)


def test_cli_check_reports_the_variable(tmp_path: Path) -> None:
    (tmp_path / "smsbox.py").write_text(
        "import msgspec\nfrom core import hookimpl\n\n"
        "class S(msgspec.Struct):\n    port: int = 1\n\n"
        "@hookimpl\ndef settings_schema():\n    return S\n"
    )
    env = {**os.environ, "JIEFEN_PLUGINS_DIR": str(tmp_path), "JIEFEN_PLUGIN_SMSBOX_PORT": "eighty"}
    done = subprocess.run([sys.executable, "-m", "core.cli", "plugins", "check"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "JIEFEN_PLUGIN_SMSBOX_PORT: Expected `int`, got `str`" in done.stderr
    env["JIEFEN_PLUGIN_SMSBOX_PORT"] = "80"
    done = subprocess.run([sys.executable, "-m", "core.cli", "plugins", "check"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
