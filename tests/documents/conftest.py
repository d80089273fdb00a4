"""Shared fixtures for the document pipeline tests: dev keys, a signer, rendered samples."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` run without installing the project
    sys.path.insert(0, str(ROOT))

from core.documents import samples  # noqa: E402
from core.documents.keys import create_dev_keys  # noqa: E402
from core.documents.render import render_pdf  # noqa: E402
from core.documents.signing import PadesSigner  # noqa: E402


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return create_dev_keys(tmp_path_factory.mktemp("keys"), samples.COMMITTEE["name"])


@pytest.fixture(scope="session")
def signer(dev_keys: dict[str, Path]) -> PadesSigner:
    return PadesSigner(dev_keys["key"], dev_keys["cert"], [dev_keys["ca"]])


@pytest.fixture(scope="session")
def agreement_pdf() -> bytes:
    return render_pdf("agreement", samples.agreement())


@pytest.fixture(scope="session")
async def signed_agreement(agreement_pdf: bytes, signer: PadesSigner) -> bytes:
    return await signer.sign(
        agreement_pdf,
        reason="人民调解协议书",
        location="江城市临江区",
        name=samples.COMMITTEE["name"],
    )


@pytest.fixture(scope="session")
def rendered() -> dict[str, bytes]:
    """The other templates, rendered once for the whole session."""
    return {
        name: render_pdf(name, make())
        for name, make in samples.SAMPLES.items()
        if name != "agreement"
    }
