"""Integrations: API keys for hotlines, grid apps and provincial platforms, Open311 GeoReport v2
intake (``/open311/v2``), and signed outgoing webhooks with a delivery log and replay."""

from pathlib import Path

from core.i18n import add_catalogue_dir

add_catalogue_dir(Path(__file__).parent / "locale")
