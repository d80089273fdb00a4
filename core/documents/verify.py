"""Check a PDF issued by Jiefen: is it signed, unaltered, and signed by a trusted committee key?

Used by the public verification page and by tests. Never raises on bad input: a file that is not
a PDF, or carries no signature, comes back with ``problems`` explaining why.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

log = logging.getLogger(__name__)

TrustRoot = Path | str | asn1_x509.Certificate | crypto_x509.Certificate


@dataclass
class VerificationResult:
    intact: bool = False  # every signature's digest matches the bytes it covers
    signed: bool = False  # at least one signature present
    signer_name: str | None = None  # CN of the first signature's certificate
    signed_at: datetime | None = None  # UTC; TSA time when timestamped, else signer-reported
    sha256: str = ""  # of the whole file, as received
    covers_whole_file: bool = False  # nothing was appended after the last signature
    trusted: bool = False  # every signer chains to one of the trust roots
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.signed
            and self.intact
            and self.trusted
            and self.covers_whole_file
            and not self.problems
        )


def sha256_hex(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def _load_root(root: TrustRoot) -> asn1_x509.Certificate:
    if isinstance(root, asn1_x509.Certificate):
        return root
    if isinstance(root, crypto_x509.Certificate):
        return asn1_x509.Certificate.load(root.public_bytes(Encoding.DER))
    return load_cert_from_pemder(str(root))


def _signer_name(status: PdfSignatureStatus) -> str | None:
    subject = status.signing_cert.subject.native
    return subject.get("common_name") or subject.get("organization_name")


def _signed_at(status: PdfSignatureStatus) -> datetime | None:
    ts = status.timestamp_validity
    when = ts.timestamp if ts is not None else status.signer_reported_dt
    return when.astimezone(UTC) if when is not None else None


async def verify_pdf(pdf: bytes, trust_roots: Iterable[TrustRoot]) -> VerificationResult:
    """Validate every signature in ``pdf`` against ``trust_roots`` (no network fetching)."""
    result = VerificationResult(sha256=sha256_hex(pdf))
    try:
        roots = [_load_root(r) for r in trust_roots]
    except (OSError, ValueError) as exc:
        result.problems.append(f"无法读取信任根证书：{exc}")
        return result
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_regular_signatures
    except Exception as exc:  # anything pyHanko's parser trips on means "not a usable PDF"
        log.info("verify_pdf: unreadable file: %s", exc)
        result.problems.append("文件不是有效的 PDF 文件，或文件已损坏。")
        return result
    if not signatures:
        result.problems.append("文件没有数字签名。")
        return result

    result.signed = True
    statuses: list[PdfSignatureStatus] = []
    for sig in signatures:
        # One context per signature: it caches validation results and owns its fetchers.
        vc = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            statuses.append(await async_validate_pdf_signature(sig, signer_validation_context=vc))
        except Exception as exc:  # malformed signature dictionaries, broken streams, ...
            log.info("verify_pdf: signature %s failed validation: %s", sig.field_name, exc)
            result.problems.append(f"签名 {sig.field_name} 无法校验：{type(exc).__name__}")
        finally:
            await vc.aclose()

    if len(statuses) < len(signatures):
        return result  # intact/trusted stay False

    first, last = statuses[0], statuses[-1]
    result.signer_name = _signer_name(first)
    result.signed_at = _signed_at(first)
    result.intact = all(s.intact and s.valid for s in statuses)
    result.trusted = all(s.trusted for s in statuses)
    result.covers_whole_file = last.coverage == SignatureCoverageLevel.ENTIRE_FILE
    if not result.intact:
        result.problems.append("签名所覆盖的内容已被修改，文件不是出具时的原件。")
    elif not result.trusted:
        result.problems.append(
            "签名证书不受信任（不是由本系统认可的证书机构签发，或已过期、被吊销）。"
        )
    if result.intact and not result.covers_whole_file:
        result.problems.append("签名之后文件又被追加了内容。")
    for s in statuses:
        if s.timestamp_validity is not None and not (
            s.timestamp_validity.intact and s.timestamp_validity.valid
        ):
            result.problems.append("签名时间戳无效。")
    return result
