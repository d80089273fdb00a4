"""Jiefen document pipeline: templates -> PDF (WeasyPrint) -> PAdES signature (pyHanko).

Plain dicts in, bytes out; no database. See ``render`` for the templates and their contexts.
"""

from .render import render_html, render_pdf, render_pdf_async
from .signing import PadesSigner, Signer
from .verify import VerificationResult, sha256_hex, verify_pdf

__all__ = [
    "PadesSigner",
    "Signer",
    "VerificationResult",
    "render_html",
    "render_pdf",
    "render_pdf_async",
    "sha256_hex",
    "verify_pdf",
]
