"""Notifications: the inbox, channels (log, email, plugins), templates, quiet hours."""

from pathlib import Path

from core.i18n import add_catalogue_dir

add_catalogue_dir(Path(__file__).parent / "locale")
