"""Development signing keys for a mediation committee.

``create_dev_keys`` makes a throw-away root CA and a committee certificate it issued, so that
signing and verification work end to end on a laptop. Those files prove nothing to anyone else.

Installing a real key and certificate (per town / committee):

1. Generate the key on the committee's server (or on a token/HSM) and a CSR, e.g.
   ``openssl req -new -newkey rsa:2048 -nodes -keyout committee-key.pem -out committee.csr
   -subj "/C=CN/O=某某街道人民调解委员会/CN=某某街道人民调解委员会"``.
2. Have it certified by the CA the province or the judicial bureau designates (a licensed
   电子认证服务机构); ask for key usage *digitalSignature* and *nonRepudiation*.
3. Put ``committee-key.pem`` (mode 0600, owned by the service user), ``committee-cert.pem`` and
   the issuer chain (``chain.pem``: intermediates, then root) in the keys directory and point the
   settings at them; give the key passphrase through the environment, never in the repository.
4. Publish the root certificate (``ca.pem``) as the trust root of the verification page, so that
   courts and parties can check documents with ``verify_pdf`` or any PAdES-aware reader.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

FILES = {"ca": "ca.pem", "key": "committee-key.pem", "cert": "committee-cert.pem"}


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write(path: Path, data: bytes, private: bool = False) -> None:
    # Create with final permissions, so a key is never briefly world-readable.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def create_dev_keys(
    directory: Path, committee_name: str, *, overwrite: bool = False
) -> dict[str, Path]:
    """Create ``ca.pem``, ``committee-key.pem`` and ``committee-cert.pem`` in ``directory``.

    Idempotent: when all three files exist they are kept (unless ``overwrite``), so restarting a
    dev server does not invalidate documents it signed before. Returns ``{"ca", "key", "cert"}``
    → paths. The CA's private key is not kept: a dev CA issues exactly one certificate.
    """
    directory = Path(directory)
    paths = {k: directory / v for k, v in FILES.items()}
    if not overwrite and all(p.exists() for p in paths.values()):
        return paths
    directory.mkdir(parents=True, exist_ok=True)

    now = datetime.now(UTC) - timedelta(minutes=5)  # tolerate small clock skew
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # A unique CN keeps two dev CAs (two test runs, two towns) from looking alike. Not a 4th
    # name attribute: pyHanko then re-encodes the names on every signature (~3x slower).
    ca_name = _name(f"解纷开发测试根证书（非生产用途）{secrets.token_hex(4)}", "Jiefen development")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(committee_name, committee_name))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # pyHanko requires nonRepudiation (content_commitment) for signers. No EKU:
            # readers such as Acrobat reject signer certificates with an EKU they don't know.
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    _write(paths["ca"], ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(
        paths["key"],
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        private=True,
    )
    _write(paths["cert"], cert.public_bytes(serialization.Encoding.PEM))
    return paths
