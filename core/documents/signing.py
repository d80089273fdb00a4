"""Digital signatures (PAdES) on rendered documents, with pyHanko's async API.

Only ``PdfSigner.async_sign_pdf`` is used: the sync ``sign_pdf`` wraps it in ``asyncio.run``,
which fails inside a running event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Protocol, runtime_checkable

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

FIELD_NAME = "JiefenCommitteeSignature"


class _KeyCachingSigner(signers.SimpleSigner):
    """SimpleSigner that parses its private key once.

    pyHanko's ``sign_raw`` re-loads the key for every signature, and loading an RSA key runs
    cryptography's consistency checks (~60 ms here, twice per PDF with the size estimate):
    more than the rest of the signing put together.
    """

    _key: object = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        if self._key is None:
            self._key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(self._key, EllipticCurvePrivateKey):
            return self._key.sign(data, ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)  # PSS, EdDSA, ...


@runtime_checkable
class Signer(Protocol):
    """Anything that turns PDF bytes into signed PDF bytes (a local key, an HSM, a remote service)."""

    async def sign(self, pdf: bytes, *, reason: str, location: str, name: str) -> bytes: ...


def _align_producer(writer: IncrementalPdfFileWriter) -> None:
    """Keep /Info and XMP agreeing on the producer, as PDF/A requires.

    With XMP present pyHanko sets the XMP producer to its own name but *appends* it to the
    Info one ("WeasyPrint 70.0; pyHanko 0.38.0"); a PDF/A validator rejects the mismatch.
    """
    if "/Metadata" not in writer.root:
        return
    try:
        info_ref = writer.trailer.raw_get("/Info")
    except KeyError:
        return
    info_ref.get_object()["/Producer"] = generic.TextStringObject(VENDOR)
    writer.mark_update(info_ref)


class PadesSigner:
    """PAdES signer backed by a PEM key and certificate on disk.

    ``chain_paths`` are the issuer certificates (embedded so verifiers can build the path).
    With ``timestamp_url`` each signature gets an RFC 3161 timestamp (PAdES B-T) from that TSA;
    ``timestamper`` takes any pyHanko ``TimeStamper`` instead (authenticated TSAs, tests).
    ``certify`` makes it a certification signature that still allows later signatures and
    timestamps (DocMDP level 2), marking the committee as the document's author.
    """

    def __init__(
        self,
        key_path: Path | str,
        cert_path: Path | str,
        chain_paths: Sequence[Path | str] = (),
        *,
        key_passphrase: bytes | None = None,
        timestamp_url: str | None = None,
        timestamper: TimeStamper | None = None,
        certify: bool = True,
    ) -> None:
        try:
            key = load_private_key_from_pemder(str(key_path), passphrase=key_passphrase)
            cert = load_cert_from_pemder(str(cert_path))
            chain = list(load_certs_from_pemder([str(p) for p in chain_paths]))
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(
                f"cannot load signing key {key_path} / certificate {cert_path}: {exc}"
            ) from exc
        store = SimpleCertificateStore()
        store.register_multiple(chain)
        self._signer = _KeyCachingSigner(signing_cert=cert, signing_key=key, cert_registry=store)
        if timestamper is None and timestamp_url:
            timestamper = HTTPTimeStamper(timestamp_url)
        self._timestamper = timestamper
        # Without a TSA the CMS size is known up front (certificates + ~1 KB of attributes and
        # signature), which spares pyHanko a dry-run signature per PDF. Hex doubles it.
        cert_bytes = len(cert.dump()) + sum(len(c.dump()) for c in chain)
        self._reserve = None if self._timestamper else 2 * (cert_bytes + 4096)
        self._certify = certify

    @property
    def certificate(self) -> x509.Certificate:
        return self._signer.signing_cert

    async def sign(self, pdf: bytes, *, reason: str, location: str, name: str) -> bytes:
        """Append a PAdES signature to ``pdf`` as an incremental update; returns the new file."""
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            reason=reason,
            location=location,
            name=name,
            md_algorithm="sha256",
            subfilter=SigSeedSubFilter.PADES,
            certify=self._certify,
            docmdp_permissions=MDPPerm.FILL_FORMS,
        )
        pdf_signer = signers.PdfSigner(meta, signer=self._signer, timestamper=self._timestamper)
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        _align_producer(writer)
        out = await pdf_signer.async_sign_pdf(writer, bytes_reserved=self._reserve)
        return out.getvalue()
