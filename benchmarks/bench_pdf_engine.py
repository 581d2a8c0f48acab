"""WeasyPrint against Debian's Chromium (driven by Playwright) on our own pack HTML.

Run: .venv/bin/python benchmarks/bench_pdf_engine.py PATH/TO/account_plan.html [--runs 7]
Needs `pip install -e .[bench]` and Debian's chromium for the Chromium half.
Both engines are kept warm (WeasyPrint imported, one browser open) and timed
in the same process; the ratio is what to trust on a noisy machine.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/lib/chromium/chromium"


def time_weasyprint(html: str, out: Path, runs: int) -> tuple[list[float], int]:
    from kamreports.pipeline.render import Renderer

    renderer = Renderer()
    renderer.write_pdf(html, out)  # warm: imports, fonts
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        pages = renderer.write_pdf(html, out)
        times.append(time.perf_counter() - t)
    return times, pages


def time_chromium(html: str, out: Path, runs: int) -> tuple[list[float], int]:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        times = []
        for i in range(runs + 1):
            t = time.perf_counter()
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            page.pdf(path=str(out), prefer_css_page_size=True, print_background=True)
            page.close()
            if i:  # first run warms the browser
                times.append(time.perf_counter() - t)
        browser.close()
    return times, len(PdfReader(out).pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("html", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    html = args.html.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        w, w_pages = time_weasyprint(html, Path(tmp) / "w.pdf", args.runs)
        c, c_pages = time_chromium(html, Path(tmp) / "c.pdf", args.runs)
    wm, cm = statistics.median(w), statistics.median(c)
    print(f"{'engine':<34}{'median s':>10}{'pages':>7}")
    print(f"{'WeasyPrint (in-process)':<34}{wm:>10.3f}{w_pages:>7}")
    print(f"{'Chromium via Playwright (warm)':<34}{cm:>10.3f}{c_pages:>7}")
    print(f"ratio chromium / weasyprint: {cm / wm:.2f}")


if __name__ == "__main__":
    main()
