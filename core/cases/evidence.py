"""Evidence files: the type is sniffed from the content, never trusted from the name."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Any

import filetype

from core.actors import Actor
from core.cases.lifecycle import FINAL
from core.cases.service import get_case, record_action
from core.cases.tables import Evidence
from core.db import write_transaction
from core.errors import Forbidden, TooLarge, UnsupportedMedia
from core.settings import get_settings

ALLOWED_TYPES = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
    "application/pdf", "audio/mpeg", "audio/amr", "audio/x-wav", "audio/mp4", "video/mp4", "video/quicktime",
}
UPLOAD_ROLES = frozenset({"window_staff", "mediator", "handler", "supervisor", "grid_worker", "party"})


# Device names that Windows will not save a file as, whatever the extension (CON.png, aux).
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})


def safe_filename(name: str) -> str:
    """Keep letters (Chinese too), digits, dot, dash and underscore; no path parts survive.
    A long name is cut in its stem so that its extension stays."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    name = re.sub(r"[^\w.\-]+", "_", name).strip("._") or "file"
    if name.split(".")[0].upper() in WINDOWS_RESERVED:
        name = "_" + name
    stem, dot, ext = name.rpartition(".")
    if len(name) > 120:
        name = f"{stem[:100]}.{ext[:19]}" if dot and stem else name[:120]
    return name


def sniff(content: bytes) -> str:
    kind = filetype.guess(content[:8192])
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise UnsupportedMedia()
    # A PDF that is also something else (a polyglot) is refused: it must start as a PDF.
    if kind.mime == "application/pdf" and not content.startswith(b"%PDF-"):
        raise UnsupportedMedia()
    return kind.mime


def storage_root() -> Path:
    return get_settings().data_dir / "evidence"


async def add_evidence(case_id: int, actor: Actor, filename: str, content: bytes, description: str = "") -> dict[str, Any]:
    limit = get_settings().max_upload_bytes
    if len(content) > limit:
        raise TooLarge(limit=limit)
    if not actor.has_any(UPLOAD_ROLES):
        raise Forbidden()
    case = await get_case(case_id, actor)
    if case["state"] in FINAL:
        raise Forbidden()
    mime = sniff(content)
    digest = hashlib.sha256(content).hexdigest()
    key = f"{case_id}/{digest}"
    path = storage_root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(path)
    async with write_transaction():
        inserted = await Evidence.insert(
            Evidence(
                case=case_id, filename=safe_filename(filename), content_type=mime, size=len(content), sha256=digest,
                storage_key=key, description=description[:255], uploaded_by=actor.user_id,
                uploaded_by_party=actor.kind == "party",
            )
        ).returning(*Evidence.all_columns())
        row = inserted[0]
        await record_action(case_id, "add_evidence", actor, {"evidence_id": row["id"], "content_type": mime, "size": len(content), "sha256": digest})
    return row


def read_evidence(row: dict[str, Any]) -> bytes:
    root = storage_root().resolve()
    path = (root / row["storage_key"]).resolve()
    if root not in path.parents:
        raise Forbidden()
    return path.read_bytes()
