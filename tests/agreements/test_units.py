"""Pure pieces: verification codes, signing links, the content hash, who must sign, images."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from core.agreements import codes, images, tokens
from core.agreements.content import as_json, content_hash, required_signers
from core.errors import NotFound, TooLarge, UnsupportedMedia, ValidationFailed
from tests.agreements.helpers import scanned_page_jpeg, seal_png


def test_codes_are_random_base32_and_forgiving_to_type():
    made = {codes.new_code() for _ in range(500)}
    assert len(made) == 500 and all(len(c) == 12 and set(c) <= set(codes.ALPHABET) for c in made)
    code = "7KQ493XD0AB1"
    assert codes.display(code) == "7KQ4-93XD-0AB1"
    assert codes.normalise(" 7kq4-93xd-oab1 ") == code  # lower case, dashes, O for 0
    assert codes.normalise("7KQ4-93XD") is None and codes.normalise("7KQ4-93XD-0AB!") is None
    assert codes.verify_url(code).endswith(f"/verify/{code}")


def test_sign_links_round_trip_and_refuse_tampering(monkeypatch):
    token, expires = tokens.make(12, 34, "kiosk")
    link = tokens.read(token)
    assert (link.agreement_id, link.party_id, link.method) == (12, 34, "kiosk") and expires > time.time()
    for bad in (token.replace("12.34", "12.35"), token[:-2] + "AA", "", "a.b.c", token.replace("kiosk", "pad")):
        with pytest.raises(NotFound):
            tokens.read(bad)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    with pytest.raises(NotFound):
        tokens.read(token)
    with pytest.raises(ValueError):
        tokens.make(1, 2, "scanned_paper")


def test_content_hash_is_stable_and_covers_every_field():
    content = as_json({"facts": "欠薪", "terms": [{"amount": __import__("decimal").Decimal("36000.00"), "due_date": __import__("datetime").date(2026, 12, 31)}], "parties": [{"name": "张三"}]})
    assert content["terms"][0] == {"amount": "36000.00", "due_date": "2026-12-31"}
    digest = content_hash(content)
    assert digest == content_hash(as_json(content)) and len(digest) == 64
    changed = {**content, "parties": [{"name": "张四"}]}
    assert content_hash(changed) != digest


def _party(pid, role, rep=False):
    return {"id": pid, "role": role, "name": f"p{pid}", "is_representative": rep}


def test_required_signers_every_party_or_the_representatives():
    mediator, committee = {"user_id": 7, "name": "调解员"}, {"id": 3, "name": "调委会"}
    parties = [_party(1, "applicant", True), _party(2, "applicant"), _party(3, "applicant"), _party(4, "respondent"), _party(5, "third_party")]
    plain = required_signers({"is_collective": False}, parties, mediator, committee)
    assert [s["key"] for s in plain] == ["party:1", "party:2", "party:3", "party:4", "party:5", "mediator:7", "seal"]
    collective = required_signers({"is_collective": True}, parties, mediator, committee)
    assert [s["key"] for s in collective] == ["party:1", "party:4", "party:5", "mediator:7", "seal"]


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_images_are_checked_by_content():
    checked = images.check(seal_png())
    assert checked.content_type == "image/png" and checked.width == 300
    with pytest.raises(ValidationFailed):
        images.check(_png(Image.new("RGBA", (200, 80), (0, 0, 0, 0))))  # nothing drawn
    with pytest.raises(ValidationFailed):
        images.check(_png(Image.new("RGB", (200, 80), "white")))  # blank paper
    with pytest.raises(UnsupportedMedia):
        images.check(scanned_page_jpeg())  # JPEG only for scans
    assert images.check(scanned_page_jpeg(), allow_jpeg=True, limit=images.SCAN_LIMIT).content_type == "image/jpeg"
    with pytest.raises(UnsupportedMedia):
        images.check(images.PNG_MAGIC + b"\x00" * 200)  # a PNG header on garbage
    with pytest.raises(TooLarge):
        images.check(b"\x89PNG" + b"\x00" * (images.PAD_LIMIT + 1))
    with pytest.raises(ValidationFailed):
        images.check(_png(Image.new("L", (7000, 10), 0)))  # too wide
    uri = images.png_data_uri(scanned_page_jpeg(), "scan")
    assert uri.startswith("data:image/png;base64,")


def test_data_urls():
    png = seal_png()
    assert images.from_data_url("data:image/png;base64," + __import__("base64").b64encode(png).decode()) == png
    for bad in ("data:image/svg+xml;base64,PHN2Zz4=", "data:text/html,<b>", "file:///etc/passwd", "data:image/jpeg;base64,/9j/"):
        with pytest.raises(UnsupportedMedia):
            images.from_data_url(bad)


def test_signer_uses_the_nearest_key_and_the_tsa(tmp_path, monkeypatch):
    from pyhanko.sign.timestamps import HTTPTimeStamper

    from core.agreements import keys
    from core.agreements.settings import document_settings

    monkeypatch.setenv("JIEFEN_KEYS_DIR", str(tmp_path))
    monkeypatch.setenv("JIEFEN_TSA_URL", "http://tsa.example.invalid/tsr")
    document_settings.cache_clear()
    try:
        town = {"id": 4, "name": "某镇", "path": "/1/4/"}
        committee = {"id": 9, "name": "某镇人民调解委员会", "path": "/1/4/9/"}
        assert keys.signer_for(committee) is None
        keys.create_for(town)
        signer = keys.signer_for(committee)  # the town's key serves its committee
        assert signer is not None and signer.certificate.subject.native["common_name"] == "某镇"
        assert isinstance(signer._timestamper, HTTPTimeStamper) and signer._timestamper.url == "http://tsa.example.invalid/tsr"
        assert keys.trust_roots() == [tmp_path / "org-4" / "ca.pem"]
    finally:
        monkeypatch.undo()
        document_settings.cache_clear()
