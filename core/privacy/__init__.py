"""Privacy: sensitive cases and who sees them (``sensitive``), and the retention policy that
anonymises closed cases after a configured period (``retention``)."""

from pathlib import Path

from core.i18n import add_catalogue_dir

add_catalogue_dir(Path(__file__).parent / "locale")
