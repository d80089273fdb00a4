"""Benchmark: render + sign the sample agreement vs bare WeasyPrint on the same HTML.

    .venv/bin/python bench/bench_pdf.py [N]

Prints plain ``name value`` lines. The ratio (target <= 1.3) is what Jiefen adds on top of
WeasyPrint itself: templating, the QR code and the PAdES signature.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weasyprint import HTML  # noqa: E402

from core.documents import samples  # noqa: E402
from core.documents.keys import create_dev_keys  # noqa: E402
from core.documents.render import render_html, render_pdf, resources  # noqa: E402
from core.documents.signing import PadesSigner  # noqa: E402


async def main(n: int) -> None:
    ctx = samples.agreement()
    html = render_html("agreement", ctx)
    res = resources()
    with tempfile.TemporaryDirectory() as tmp:
        keys = create_dev_keys(Path(tmp), samples.COMMITTEE["name"])
        signer = PadesSigner(keys["key"], keys["cert"], [keys["ca"]])

        async def full() -> None:
            pdf = render_pdf("agreement", ctx)
            await signer.sign(pdf, reason="人民调解协议书", location="江城市", name="委员会")

        def bare() -> None:
            HTML(string=html, url_fetcher=res.fetcher).write_pdf(
                stylesheets=[res.css], font_config=res.font_config, counter_style=res.counter_style
            )

        await full()  # warm-up: font loading, imports, key parsing
        bare()
        full_ms: list[float] = []
        bare_ms: list[float] = []
        for _ in range(n):  # interleaved, so machine noise hits both alike
            t = time.perf_counter()
            await full()
            full_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            bare()
            bare_ms.append((time.perf_counter() - t) * 1000)

    full_median = statistics.median(full_ms)
    bare_median = statistics.median(bare_ms)
    print(f"pdf_runs {n}")
    print(f"pdf_render_sign_median_ms {full_median:.1f}")
    print(f"pdf_weasyprint_median_ms {bare_median:.1f}")
    print(f"pdf_render_sign_ratio {full_median / bare_median:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20, help="runs (default 20)")
    asyncio.run(main(parser.parse_args().n))
