"""A URL fetcher for WeasyPrint that can read nothing but inline data and packaged assets.

Documents embed user input (names, addresses, uploaded signatures). The default fetcher would
follow ``file:``, ``http:`` and ``ftp:`` URLs found in that input, so this one allows only
``data:`` URIs and ``jiefen-asset:NAME`` for files shipped in ``core/documents/assets/``.
A refused URL raises inside WeasyPrint, which logs it and renders the resource as nothing.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSET_SCHEME = "jiefen-asset"
ASSETS_DIR = Path(__file__).parent / "assets"
_ASSET_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".css": "text/css"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _scan_assets() -> dict[str, Path]:
    # Fixed at import: a file dropped into the directory later is not served.
    return {
        p.name: p
        for p in ASSETS_DIR.iterdir()
        if p.is_file() and p.suffix in _ASSET_TYPES and _NAME.match(p.name)
    }


ASSETS = _scan_assets()


def asset_url(name: str) -> str:
    """URL of a packaged asset, for templates: ``asset_url('specimen-seal.svg')``."""
    if name not in ASSETS:
        raise KeyError(f"unknown document asset: {name}")
    return f"{ASSET_SCHEME}:{name}"


class RestrictedFetcher(URLFetcher):
    """Serves ``data:`` and allow-listed ``jiefen-asset:`` URLs; refuses everything else."""

    def __init__(self) -> None:
        # allowed_protocols is a second fence: the parent refuses non-data schemes too.
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme, _, rest = url.partition(":")
        scheme = scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == ASSET_SCHEME:
            path = ASSETS.get(rest.lstrip("/"))
            if path is None:
                raise ValueError(f"asset not allowed: {url[:80]}")
            mime = _ASSET_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise ValueError(f"URL refused by document fetcher: {url[:80]}")
