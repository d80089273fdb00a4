"""Parties (当事人): online application, one-time codes, tracking links, party sessions, ratings.

Public pages live under ``/apply`` and ``/track/{token}`` (``core.parties.pages``), the same
operations as JSON under ``/api/v1/party`` (``core.parties.api``).
"""

from pathlib import Path

from core.i18n import add_catalogue_dir

add_catalogue_dir(Path(__file__).parent / "locale")
