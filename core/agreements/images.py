"""Signature and seal images: checked by content, never by name or declared type.

A pad posts a PNG data URL; a scanned paper page may be PNG or JPEG. Every image is decoded
with Pillow (size checked before the pixels are loaded), must show some ink, and is re-encoded
as a fresh PNG for the PDF, so no byte of an upload reaches the renderer as such.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.agreements.settings import storage_root
from core.errors import Forbidden, TooLarge, UnsupportedMedia, ValidationFailed

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
PAD_LIMIT = 512 * 1024  # a signature from a canvas is tens of KB
SCAN_LIMIT = 8 * 1024 * 1024
MAX_SIDE = 6000
RENDER_SIDE = {"signature": 800, "scan": 1400, "seal": 800}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def suffix(self) -> str:
        return ".png" if self.content_type == "image/png" else ".jpg"


def from_data_url(text: str, *, allow_jpeg: bool = False) -> bytes:
    """The bytes of a ``data:image/png;base64,…`` URL (JPEG too for scans)."""
    head, sep, body = (text or "").partition(",")
    allowed = {"data:image/png;base64"} | ({"data:image/jpeg;base64"} if allow_jpeg else set())
    if not sep or head.strip().lower() not in allowed:
        raise UnsupportedMedia()
    if len(body) > (SCAN_LIMIT if allow_jpeg else PAD_LIMIT) * 4 // 3 + 8:
        raise TooLarge(limit=SCAN_LIMIT if allow_jpeg else PAD_LIMIT)
    try:
        return base64.b64decode(body.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnsupportedMedia() from exc


def check(data: bytes, *, allow_jpeg: bool = False, limit: int = PAD_LIMIT) -> CheckedImage:
    if len(data) > limit:
        raise TooLarge(limit=limit)
    if data.startswith(PNG_MAGIC):
        content_type, fmt = "image/png", "PNG"
    elif allow_jpeg and data.startswith(JPEG_MAGIC):
        content_type, fmt = "image/jpeg", "JPEG"
    else:
        raise UnsupportedMedia()
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            width, height = img.size
            if width > MAX_SIDE or height > MAX_SIDE or width < 8 or height < 8:
                raise ValidationFailed("The image is too large or too small.")
            img.verify()
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            img.load()
            if not has_ink(img):
                raise ValidationFailed("The signature is empty.")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnsupportedMedia() from exc
    return CheckedImage(data, content_type, width, height)


def has_ink(img: Image.Image) -> bool:
    """Something was drawn: opaque pixels on a transparent canvas, or dark ones on paper."""
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        alpha = img.convert("RGBA").getchannel("A").point(lambda a: 255 if a > 40 else 0)
        if alpha.getbbox() is None:
            return False
        ink = Image.new("L", img.size, 255)
        ink.paste(img.convert("L"), mask=alpha)
    else:
        ink = img.convert("L")
    return ink.point(lambda v: 255 if v < 200 else 0).getbbox() is not None


def png_data_uri(data: bytes, purpose: str = "signature") -> str:
    """A re-encoded, size-capped PNG of a checked image, for the document templates."""
    with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as img:
        img = img.convert("RGBA")
        side = RENDER_SIDE.get(purpose, 800)
        img.thumbnail((side, side))
        out = io.BytesIO()
        img.save(out, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def store(area: str, owner_id: int, image: CheckedImage) -> str:
    """Content-addressed under ``<data_dir>/agreements/<area>/<owner>/``; returns the key."""
    key = f"{area}/{int(owner_id)}/{image.sha256}{image.suffix}"
    path = storage_root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(image.data)
        tmp.replace(path)
    return key


def read(key: str) -> bytes:
    root = storage_root().resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise Forbidden()
    return Path(path).read_bytes()
