"""PAdES signing and verification, dev keys, PDF/A."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from core.documents import PadesSigner, Signer, samples, sha256_hex, verify_pdf
from core.documents.keys import create_dev_keys
from core.documents.render import render_pdf

pytestmark = pytest.mark.pdf


async def test_signed_agreement_is_intact_and_trusted(signed_agreement: bytes, dev_keys) -> None:
    result = await verify_pdf(signed_agreement, [dev_keys["ca"]])
    assert result.signed and result.intact and result.trusted and result.covers_whole_file
    assert result.ok and result.problems == []
    assert result.signer_name == samples.COMMITTEE["name"]
    assert result.signed_at is not None and result.signed_at.tzinfo == UTC
    assert abs(datetime.now(UTC) - result.signed_at) < timedelta(minutes=10)
    assert (
        result.sha256
        == hashlib.sha256(signed_agreement).hexdigest()
        == sha256_hex(signed_agreement)
    )


async def test_signature_is_pades(signed_agreement: bytes) -> None:
    sig = PdfFileReader(io.BytesIO(signed_agreement)).embedded_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert str(sig.sig_object["/Reason"]) == "人民调解协议书"


def _flip_inside_signed_stream(pdf: bytes) -> bytes:
    byte_range = [
        int(x) for x in re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", pdf).groups()
    ]
    assert byte_range[0] == 0
    # A byte in the middle of a content stream of the first signed range: the file still parses.
    start = pdf.index(b"stream\n", len(pdf) // 10) + 7
    assert start + 40 < byte_range[1]
    tampered = bytearray(pdf)
    tampered[start + 40] ^= 0x01
    return bytes(tampered)


async def test_flipped_byte_is_detected(signed_agreement: bytes, dev_keys) -> None:
    result = await verify_pdf(_flip_inside_signed_stream(signed_agreement), [dev_keys["ca"]])
    assert result.signed
    assert not result.intact
    assert not result.trusted and not result.ok
    assert result.problems


async def test_other_root_is_not_trusted(signed_agreement: bytes, tmp_path: Path) -> None:
    other = create_dev_keys(tmp_path, "另一个调解委员会")
    result = await verify_pdf(signed_agreement, [other["ca"]])
    assert result.intact and not result.trusted and not result.ok


async def test_appended_bytes_are_reported(signed_agreement: bytes, dev_keys) -> None:
    result = await verify_pdf(signed_agreement + b"\n% appended\n", [dev_keys["ca"]])
    assert result.intact and not result.covers_whole_file and not result.ok


@pytest.mark.parametrize(
    "data", [b"", b"not a pdf at all", b"%PDF-1.7\n garbage", bytes(range(256))]
)
async def test_garbage_never_raises(data: bytes, dev_keys) -> None:
    result = await verify_pdf(data, [dev_keys["ca"]])
    assert not result.signed and not result.intact and result.problems


async def test_unsigned_pdf(agreement_pdf: bytes, dev_keys) -> None:
    result = await verify_pdf(agreement_pdf, [dev_keys["ca"]])
    assert result.signed is False and result.intact is False
    assert result.problems == ["文件没有数字签名。"]


async def test_pdfa_renders_signs_and_validates(signer: PadesSigner, dev_keys) -> None:
    pdf = render_pdf("receipt", samples.receipt(), pdf_variant="pdf/a-3b")
    xmp = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_data()
    assert b'pdfaid:part="3"' in xmp  # XMP identification of PDF/A-3
    signed = await signer.sign(pdf, reason="受理回执", location="江城市", name="委员会")
    result = await verify_pdf(signed, [dev_keys["ca"]])
    assert result.ok, result.problems
    # Still PDF/A after the incremental update: XMP kept, and Info agrees with it.
    reader = pypdf.PdfReader(io.BytesIO(signed))
    xmp = reader.trailer["/Root"]["/Metadata"].get_data().decode()
    assert 'pdfaid:part="3"' in xmp
    producer = reader.metadata["/Producer"]
    assert f'pdf:Producer="{producer}"' in xmp or f"<pdf:Producer>{producer}<" in xmp


def test_pades_signer_is_a_signer(signer: PadesSigner) -> None:
    assert isinstance(signer, Signer)


def test_bad_key_path_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        PadesSigner(tmp_path / "nope.pem", tmp_path / "nope-cert.pem")


def test_dev_keys_are_idempotent(tmp_path: Path) -> None:
    first = create_dev_keys(tmp_path, "测试委员会")
    assert {p.name for p in first.values()} == {"ca.pem", "committee-key.pem", "committee-cert.pem"}
    assert first["key"].stat().st_mode & 0o077 == 0  # private key not group/world readable
    before = {k: p.read_bytes() for k, p in first.items()}
    again = create_dev_keys(tmp_path, "测试委员会")
    assert {k: p.read_bytes() for k, p in again.items()} == before
    create_dev_keys(tmp_path, "测试委员会", overwrite=True)
    assert first["cert"].read_bytes() != before["cert"]


def _self_signed_tsa(tmp_path: Path) -> tuple[Path, Path]:
    """A throw-away TSA: self-signed, with the critical timeStamping EKU RFC 3161 requires."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # dummy TSA: RSA only
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Jiefen test TSA")])
    now = datetime.now(UTC) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "tsa.pem", tmp_path / "tsa-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_timestamped_signature(agreement_pdf: bytes, dev_keys, tmp_path: Path) -> None:
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    tsa_cert, tsa_key = _self_signed_tsa(tmp_path)
    tsa_time = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    stamper = DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(str(tsa_cert)),
        tsa_key=load_private_key_from_pemder(str(tsa_key), passphrase=None),
        fixed_dt=tsa_time,
    )
    signer = PadesSigner(dev_keys["key"], dev_keys["cert"], [dev_keys["ca"]], timestamper=stamper)
    signed = await signer.sign(agreement_pdf, reason="r", location="l", name="n")
    result = await verify_pdf(signed, [dev_keys["ca"], tsa_cert])
    assert result.ok, result.problems
    assert result.signed_at == tsa_time  # the TSA's time, not the signer's clock
