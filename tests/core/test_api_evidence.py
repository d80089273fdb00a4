"""Evidence files: the type comes from the content, the name is sanitised, downloads never sniff."""

from __future__ import annotations

import struct
import zlib

import pytest

from core.cases.tables import Evidence
from core.settings import get_settings
from tests.factories import application

pytestmark = pytest.mark.db


def png_bytes(extra: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"") + b"\x00" * extra


async def test_upload_sniffs_sanitises_and_downloads_safely(town, login):
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    url = f"/api/v1/cases/{cid}/evidence"

    # A PNG named .pdf is stored as what it is.
    resp = await desk.post(url, files={"file": ("合同.pdf", png_bytes(), "application/pdf")}, data={"description": "聊天截图"})
    assert resp.status_code == 201, resp.text
    png = resp.json()
    assert png["content_type"] == "image/png" and png["filename"] == "合同.pdf"

    # Text dressed as a JPEG is refused.
    resp = await desk.post(url, files={"file": ("photo.jpg", b"<script>alert(1)</script>" * 10, "image/jpeg")})
    assert resp.status_code == 415 and resp.json()["code"] == "unsupported_media"
    assert resp.json()["detail"] == "不接受此类文件。"

    # A path in the name does not survive.
    resp = await desk.post(url, files={"file": ("../../../etc/passwd.png", png_bytes(1), "image/png")})
    assert resp.status_code == 201
    assert resp.json()["filename"] == "passwd.png"
    resp = await desk.post(url, files={"file": ("..\\..\\boot.ini.png", png_bytes(2), "image/png")})
    assert resp.json()["filename"] == "boot.ini.png"
    stored = await Evidence.select(Evidence.storage_key).where(Evidence.case == cid)
    root = (get_settings().data_dir / "evidence").resolve()
    for row in stored:
        path = (root / row["storage_key"]).resolve()
        assert root in path.parents and path.exists()

    download = await desk.get(f"/api/v1/evidence/{png['id']}")
    assert download.status_code == 200 and download.content == png_bytes()
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    listed = (await desk.get(url)).json()["items"]
    assert len(listed) == 3
    timeline = [e["name"] for e in (await desk.get(f"/api/v1/cases/{cid}/timeline")).json()["items"]]
    assert timeline.count("add_evidence") == 3


async def test_oversize_upload_is_refused(town, login, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 1000)
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    resp = await desk.post(f"/api/v1/cases/{cid}/evidence", files={"file": ("big.png", png_bytes(2000), "image/png")})
    assert resp.status_code == 413 and "1000" in resp.json()["detail"]
    assert await Evidence.count().where(Evidence.case == cid) == 0


async def test_evidence_of_another_town_is_not_found(town, login):
    from tests.factories import make_town

    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    row = (await desk.post(f"/api/v1/cases/{cid}/evidence", files={"file": ("a.png", png_bytes(3), "image/png")})).json()
    stranger = await login((await make_town()).users["window"])
    assert (await stranger.get(f"/api/v1/evidence/{row['id']}")).status_code == 404
    assert (await stranger.post(f"/api/v1/cases/{cid}/evidence", files={"file": ("b.png", png_bytes(4), "image/png")})).status_code == 404
