"""How long from saving a plan file to the refreshed page in ``kamreports preview``?

Run (from the repository root):

    .venv/bin/python benchmarks/bench_preview.py                 # 7 edits of ACC-0002's plan, ~1-2 min
    .venv/bin/python benchmarks/bench_preview.py --edits 15 --pdf --json preview.json

One run writes the sample company (``kamreports sample --out DIR``, its plans in DIR/plans) with a
settings file naming both, starts ``kamreports preview ACC-0002 --config DIR/settings.yaml`` as an
analyst would, and opens the page in headless Debian chromium (Playwright, ``executable_path``; no
browser download). Then, ``--edits`` times, it rewrites the plan file with a new first SWOT strength
and measures from the moment the file is written to the moment the open page shows the new text:
the watcher, the plan check, the notebook on the warm kernel, the HTML, the event to the page and the
page's reload, everything the analyst waits for. Edits are ``--pause`` seconds apart, as saves are.

Also timed: the first build (start to first page), a broken plan to the error page, and the fix
back to the pack. The preview's own line for each refresh ("page updated in X s") is kept, to split
the time between the preview and the browser. The machine is shared: the load average is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOWS_JS = "(text) => document.body !== null && document.body.innerText.includes(text)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_strength(base: str, text: str) -> str:
    lines = base.splitlines()
    at = lines.index("  strengths:") + 1
    lines[at] = f"  - {json.dumps(text)}"
    return "\n".join(lines) + "\n"


class Preview:
    def __init__(self, args: list[str]):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([sys.executable, "-m", "kamreports", "preview", *args], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def cpu_seconds(self) -> float:
        """User + system seconds of the preview and its kernel so far: what a refresh costs, whoever
        else is using the machine (wall seconds on a shared machine include waiting for a core)."""
        import psutil

        total = 0.0
        try:
            root = psutil.Process(self.process.pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            pass
        return total

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[start:]:
                match = re.search(pattern, line)
                if match:
                    return match
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"no {pattern!r} from the preview within {timeout} s:\n" + "\n".join(self.lines[-30:]))

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=7, help="plan saves timed (default 7)")
    parser.add_argument("--pause", type=float, default=1.5, help="seconds between saves (default 1.5)")
    parser.add_argument("--account", default="ACC-0002")
    parser.add_argument("--pdf", action="store_true", help="preview with --pdf (the PDF is written after the page)")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-preview-"))
    company = work / "company"
    subprocess.run([sys.executable, "-m", "kamreports", "sample", "--out", str(company)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    settings = company / "settings.yaml"
    settings.write_text("data: .\naccounts_dir: plans\n", encoding="utf-8")
    plan = company / "plans" / f"{args.account}.yaml"
    base = plan.read_text(encoding="utf-8")
    port = free_port()
    load = os.getloadavg()[0]
    started = time.monotonic()
    preview = Preview([args.account, "--config", str(settings), "--port", str(port), "--output", str(work / "out"),
                       *(["--pdf"] if args.pdf else [])])
    results: dict[str, object] = {"load_1min_at_start": load, "pdf": args.pdf, "edits": []}
    try:
        url = preview.wait_for(r"at (http://127\.0\.0\.1:\d+)", 120).group(1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROME_FLAGS)
            page = browser.new_page()
            page.set_default_timeout(180_000)
            page.goto(url)
            page.wait_for_selector(".kpi-strip")
            results["first_page_s"] = time.monotonic() - started
            warm = preview.wait_for(r"kernel warmed up in ([\d.]+) s", 120)
            results["warm_up_s"] = float(warm.group(1))
            time.sleep(args.pause)

            edits = []
            for n in range(args.edits):
                text = f"Benchmark strength number {n} at {time.time():.3f}"
                mark = len(preview.lines)
                cpu = preview.cpu_seconds()
                load_now = os.getloadavg()[0]
                t0 = time.monotonic()
                plan.write_text(with_strength(base, text), encoding="utf-8")
                page.wait_for_function(SHOWS_JS, arg=text, polling="raf")
                seconds = time.monotonic() - t0
                served = float(preview.wait_for(r"page updated in ([\d.]+) s", 30, mark).group(1))
                cpu = preview.cpu_seconds() - cpu
                edits.append({"seconds": seconds, "preview_s": served, "cpu_s": cpu, "load": load_now})
                print(f"edit {n + 1}: {seconds:.2f} s to the refreshed page (the preview's own refresh: "
                      f"{served:.1f} s; CPU {cpu:.2f} s; load {load_now:.1f})", flush=True)
                time.sleep(args.pause)
            results["edits"] = edits

            t0 = time.monotonic()
            plan.write_text(base.replace("swot:\n", "swot: [unclosed\n", 1), encoding="utf-8")
            page.wait_for_function(SHOWS_JS, arg="is not valid YAML", polling="raf")
            results["broken_to_error_page_s"] = time.monotonic() - t0
            time.sleep(args.pause)
            t0 = time.monotonic()
            plan.write_text(with_strength(base, "Fixed again"), encoding="utf-8")
            page.wait_for_function(SHOWS_JS, arg="Fixed again", polling="raf")
            results["fixed_to_pack_s"] = time.monotonic() - t0
            browser.close()
    finally:
        results["exit_code"] = preview.stop()

    times = [e["seconds"] for e in results["edits"]]  # type: ignore[index]
    served_times = [e["preview_s"] for e in results["edits"]]  # type: ignore[index]
    cpu_times = [e["cpu_s"] for e in results["edits"]]  # type: ignore[index]
    print()
    print(f"kamreports preview {args.account}{' --pdf' if args.pdf else ''} on the sample company "
          f"(load average {load:.2f} at start, {os.cpu_count()} cores)")
    print()
    print("| what | seconds |")
    print("|---|---|")
    print(f"| start to first page (kernel start, first build) | {results['first_page_s']:.1f} |")
    print(f"| warm-up run after it (the page already shown) | {results['warm_up_s']:.1f} |")
    print(f"| plan saved to refreshed page: median of {len(times)} | **{statistics.median(times):.2f}** |")
    print(f"| the same: min / max | {min(times):.2f} / {max(times):.2f} |")
    print(f"| of which the preview's own refresh (median) | {statistics.median(served_times):.2f} |")
    print(f"| CPU seconds per save, preview and kernel (median) | {statistics.median(cpu_times):.2f} |")
    print(f"| broken plan to the error page | {results['broken_to_error_page_s']:.2f} |")
    print(f"| fixed plan back to the pack | {results['fixed_to_pack_s']:.2f} |")
    print(f"| exit code after Ctrl-C | {results['exit_code']} |")
    results["median_s"] = statistics.median(times)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
