"""Poppler helpers shared by the document tests (pdftotext, pdfinfo)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"

for tool in ("pdftotext", "pdffonts", "pdftoppm"):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) not installed", allow_module_level=True)


def pdftotext(pdf: bytes, *, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run(
        [*args, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def squash(text: str) -> str:
    """Text without any whitespace: layout wraps lines anywhere in CJK text."""
    return "".join(text.split())


def page_count(pdf: bytes) -> int:
    out = subprocess.run(
        ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))
