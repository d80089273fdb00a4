"""Built-in plugin: sign documents with PAdES, using the committee's key under the keys
directory (``core.agreements.keys``). A town's plugin returning its own signer (a national
e-seal service, SM2 under GB/T 38540) is asked first and wins."""

from __future__ import annotations

from typing import Any

from core import hookimpl


@hookimpl
def document_signer(organisation: dict[str, Any]) -> Any:
    from core.agreements.keys import signer_for

    return signer_for(organisation)
