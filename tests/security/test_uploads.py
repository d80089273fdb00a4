"""Upload attacks on evidence and signature images: lying extensions, sizes at and over the
limit, a body far over the limit (refused before it is all read), hostile file names,
polyglots, SVG; and downloads that a browser can only save, never render.
(tests/core/test_api_evidence.py covers the basic sniffing, ``../`` names and the 413.)"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image

from core.cases.tables import CaseEvent, Evidence
from core.settings import get_settings
from tests.factories import application

pytestmark = pytest.mark.db

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200


def png_bytes(extra: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"") + b"\x00" * extra


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def zip_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("index.html", HTML)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from core.ratelimit import reset_memory

    reset_memory()


async def _case(town: Any, login: Any) -> tuple[Any, int]:
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    return desk, cid


async def _upload(desk: Any, cid: int, name: str, content: bytes, declared: str = "image/jpeg") -> Any:
    return await desk.post(f"/api/v1/cases/{cid}/evidence", files={"file": (name, content, declared)})


def _safe_download(resp: Any, content_type: str) -> None:
    assert resp.status_code == 200
    assert resp.headers["content-type"] == content_type
    assert resp.headers["content-disposition"].startswith("attachment;")
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in resp.headers["content-security-policy"] and "default-src 'none'" in resp.headers["content-security-policy"]


async def test_lying_extensions_and_active_content_are_refused(town, login) -> None:
    desk, cid = await _case(town, login)
    events = await CaseEvent.count().where(CaseEvent.case == cid)
    for name, content, declared in (
        ("photo.jpg", EXE, "image/jpeg"), ("photo.jpg", HTML, "image/jpeg"), ("scan.png", SVG, "image/png"),
        ("drawing.svg", SVG, "image/svg+xml"), ("page.html.jpg", b"\xef\xbb\xbf" + HTML, "image/jpeg"),
        ("archive.jpg", zip_bytes(), "image/jpeg"),
        # HTML first and a PDF header later: not a PDF (a PDF must start as one)
        ("doc.pdf", HTML + b"\n" + PDF, "application/pdf"),
    ):
        resp = await _upload(desk, cid, name, content, declared)
        assert resp.status_code == 415, (name, resp.status_code, resp.text[:200])
        assert resp.json()["code"] == "unsupported_media" and resp.json()["detail"] == "不接受此类文件。"
    resp = await desk.post(f"/api/v1/cases/{cid}/evidence", files={"file": ("x.svg", SVG, "image/svg+xml")}, headers={"Accept-Language": "en"})
    assert resp.status_code == 415 and resp.json()["detail"] == "This kind of file is not accepted."
    assert await Evidence.count().where(Evidence.case == cid) == 0
    assert await CaseEvent.count().where(CaseEvent.case == cid) == events, "a refused upload left an event"


async def test_polyglots_are_stored_as_what_they_start_as_and_served_inert(town, login) -> None:
    desk, cid = await _case(town, login)
    cases = (
        # (name, bytes, the type it is kept and served as)
        ("report.png", PDF + HTML, "application/pdf"),  # a PDF named .png, with HTML inside
        ("gifjs.gif", b"GIF89a/*\x00\x00\x00\x00*/=alert(1);//" + b"\x00" * 32, "image/gif"),  # GIF + JavaScript
        ("photo.jpg", jpeg_bytes() + zip_bytes(), "image/jpeg"),  # JPEG with a ZIP appended
        ("photo2.jpg", jpeg_bytes() + HTML, "image/jpeg"),  # JPEG with HTML appended
    )
    for name, content, kept in cases:
        resp = await _upload(desk, cid, name, content)
        assert resp.status_code == 201, (name, resp.text[:200])
        row = resp.json()
        assert row["content_type"] == kept, name
        download = await desk.get(f"/api/v1/evidence/{row['id']}")
        _safe_download(download, kept)
        assert download.content == content


async def test_hostile_file_names_never_reach_the_disk_or_a_header(town, login) -> None:
    desk, cid = await _case(town, login)
    names = {
        "../../x.jpg": "x.jpg", "/etc/passwd.png": "passwd.png", "C:\\Windows\\system32\\cmd.png": "cmd.png",
        "a\x00.png": None, "CON.png": None, "aux": None, "nul.txt.png": None, "x" * 300 + ".png": None,
        "evil\r\nX-Injected: 1.png": None, "abc\u202egnp.exe": None, "...": None,
    }
    for i, (name, expected) in enumerate(names.items()):
        resp = await _upload(desk, cid, name, png_bytes(100 + i), "image/png")
        assert resp.status_code == 201, (name, resp.status_code, resp.text[:200])
        stored = resp.json()["filename"]
        if expected:
            assert stored == expected, (name, stored)
        assert "/" not in stored and "\\" not in stored and "\x00" not in stored and "\r" not in stored and "\n" not in stored
        assert "\u202e" not in stored and len(stored) <= 120 and stored not in ("", ".", "..")
        assert stored.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}, (name, stored)
        if name.endswith(".png"):
            assert stored.endswith(".png"), (name, stored)
        download = await desk.get(f"/api/v1/evidence/{resp.json()['id']}")
        _safe_download(download, "image/png")
        assert "x-injected" not in download.headers
    root = (get_settings().data_dir / "evidence").resolve()
    for row in await Evidence.select(Evidence.storage_key).where(Evidence.case == cid):
        path = (root / row["storage_key"]).resolve()
        assert root in path.parents and path.exists()


async def test_size_at_the_limit_passes_and_one_byte_more_is_refused(town, login, monkeypatch) -> None:
    desk, cid = await _case(town, login)
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 2000)
    at_limit = png_bytes(2000 - len(png_bytes()))
    assert len(at_limit) == 2000
    assert (await _upload(desk, cid, "a.png", at_limit, "image/png")).status_code == 201
    resp = await _upload(desk, cid, "b.png", at_limit + b"\x00", "image/png")
    assert resp.status_code == 413 and "2000" in resp.json()["detail"]
    resp = await desk.post(f"/api/v1/cases/{cid}/evidence", files={"file": ("b.png", at_limit + b"\x00", "image/png")}, headers={"Accept-Language": "en"})
    assert resp.status_code == 413 and resp.json()["detail"] == "The file is larger than 2000 bytes."
    assert await Evidence.count().where(Evidence.case == cid) == 1


async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(town, login) -> None:
    """The app's request_max_body_size is the upload limit plus 1 MiB for the form around the
    file: a 64 MiB body stops after about that much, whether it declares its length or not."""
    desk, cid = await _case(town, login)
    limit = get_settings().max_upload_bytes + 1024 * 1024
    chunk = b"\x00" * (256 * 1024)
    total = 64 * 1024 * 1024
    sent = 0

    async def body() -> Any:
        nonlocal sent
        boundary = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n"
        yield boundary
        while sent < total:
            sent += len(chunk)
            yield chunk

    headers = {**desk.headers, "Content-Type": "multipart/form-data; boundary=x"}
    resp = await desk.client.post(f"/api/v1/cases/{cid}/evidence", content=body(), headers=headers)
    assert resp.status_code == 413, resp.text[:200]
    assert resp.json()["code"] == "too_large" and "字节" in resp.json()["detail"]
    assert sent <= limit + len(chunk) * 2, f"read {sent} bytes of a body over the {limit}-byte limit"

    # with a Content-Length that says so, nothing of the body is read
    sent = 0
    headers["Content-Length"] = str(total)
    resp = await desk.client.post(f"/api/v1/cases/{cid}/evidence", content=body(), headers=headers)
    assert resp.status_code == 413
    assert sent <= len(chunk), f"read {sent} bytes although the declared length was over the limit"
    assert await Evidence.count().where(Evidence.case == cid) == 0


def _data_url(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


async def test_signature_and_seal_images_are_checked_by_content(town, login) -> None:
    from tests.agreements.helpers import case_in_mediation, final_agreement, prepare_town, seal_png

    admin = await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    aid = await final_agreement(mediator, cid)
    url = f"/api/v1/agreements/{aid}/signatures"
    for image in (
        _data_url(SVG, "image/svg+xml"), _data_url(SVG), _data_url(HTML), _data_url(png_bytes()[:8] + HTML),
        _data_url(jpeg_bytes(), "image/jpeg"), _data_url(PDF), "file:///etc/passwd", "http://127.0.0.1/x.png",
    ):
        resp = await mediator.post(url, json={"signer": "mediator", "image": image})
        assert resp.status_code in (415, 422), (image[:40], resp.status_code, resp.text[:200])
    # a scanned paper page may be a JPEG, but not a JPEG with a script after it dressed as PNG
    resp = await mediator.post(url, json={"signer": "mediator", "method": "scanned_paper", "image": _data_url(HTML, "image/jpeg")})
    assert resp.status_code == 415
    status = (await mediator.get(url)).json()
    assert not [r for r in status["required"] if r["signed"]], status
    seal = f"/api/v1/organisations/{town.committee['id']}/seal"
    for image in (_data_url(SVG, "image/svg+xml"), _data_url(SVG), _data_url(HTML)):
        resp = await admin.client.put(seal, json={"image": image}, headers=admin.headers)
        assert resp.status_code in (415, 422), resp.text[:200]
    resp = await admin.client.put(seal, json={"image": _data_url(seal_png())}, headers=admin.headers)
    assert resp.status_code == 200
    served = await admin.get(f"{seal}.png")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
