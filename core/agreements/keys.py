"""Where committees' signing keys live, and the trust roots the verification page accepts.

Layout (``JIEFEN_KEYS_DIR``, default ``<data_dir>/keys``)::

    org-<ID>/committee-key.pem   private key (0600)
    org-<ID>/committee-cert.pem  its certificate
    org-<ID>/chain.pem           optional: intermediates, issuer first
    org-<ID>/ca.pem              the root it chains to (a trust root)
    trust/*.pem                  further trust roots (a province's CA, the TSA's root)

An organisation without a directory of its own signs with the nearest ancestor's key, so a
town can hold one key for all its bodies.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from core.agreements.settings import document_settings
from core.documents.keys import FILES, create_dev_keys
from core.documents.signing import PadesSigner

_cache: dict[tuple[str, float, str], PadesSigner] = {}
_lock = threading.Lock()


def org_dir(org_id: int) -> Path:
    return document_settings().keys_path / f"org-{int(org_id)}"


def key_dir_for(organisation: dict[str, Any]) -> Path | None:
    """The deepest directory with a key and certificate on the organisation's path."""
    ids = [int(p) for p in (organisation.get("path") or "").strip("/").split("/") if p.isdigit()]
    if not ids and organisation.get("id"):
        ids = [int(organisation["id"])]
    for org_id in reversed(ids):
        directory = org_dir(org_id)
        if (directory / FILES["key"]).is_file() and (directory / FILES["cert"]).is_file():
            return directory
    return None


def signer_for(organisation: dict[str, Any]) -> PadesSigner | None:
    """The PAdES signer for the organisation's documents; None when no key is installed."""
    directory = key_dir_for(organisation)
    if directory is None:
        return None
    settings = document_settings()
    key = directory / FILES["key"]
    cache_key = (str(directory), key.stat().st_mtime, settings.tsa_url)
    with _lock:
        signer = _cache.get(cache_key)
        if signer is None:
            chain = [p for p in (directory / "chain.pem", directory / FILES["ca"]) if p.is_file()]
            passphrase = settings.signing_key_passphrase
            signer = PadesSigner(
                key, directory / FILES["cert"], chain,
                key_passphrase=passphrase.get_secret_value().encode() if passphrase else None,
                timestamp_url=settings.tsa_url or None,
            )
            _cache[cache_key] = signer
    return signer


def trust_roots() -> list[Path]:
    root = document_settings().keys_path
    if not root.is_dir():
        return []
    return sorted(root.glob(f"org-*/{FILES['ca']}")) + sorted((root / "trust").glob("*.pem"))


def create_for(organisation: dict[str, Any], *, overwrite: bool = False) -> dict[str, Path]:
    """Development keys for one organisation (``jiefen keys create --committee ID``)."""
    return create_dev_keys(org_dir(organisation["id"]), organisation["name"], overwrite=overwrite)
