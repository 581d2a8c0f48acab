"""How fast is `kamreports build`, against a scripted naive pipeline and against the work itself?

Run (from the repository root):

    .venv/bin/python benchmarks/bench_build.py --k 1             # small builds: what an analyst runs most
    .venv/bin/python benchmarks/bench_build.py --k 8
    .venv/bin/python benchmarks/bench_build.py --k 20            # ~5-10 min on 2 cores
    .venv/bin/python benchmarks/bench_build.py --k 100
    .venv/bin/python benchmarks/bench_build.py --accounts-total 500   # memory check: a 500-pack build with its book

One run, one generated sample company (``kamreports sample --out DIR --accounts S``, S = max(150, 5K)
by default), the same K accounts (the K largest by trailing-four-quarter revenue, pinned with
``kamreports build --accounts``) and three ways to produce their packs plus the portfolio review:

naive   what a user would script: per notebook the ``papermill`` command line, then
        ``jupyter nbconvert --to html`` and ``jupyter nbconvert --to webpdf`` (Playwright driving
        Debian's chromium through a PLAYWRIGHT_BROWSERS_PATH shim; falls back to
        ``--to kamreports_pdf`` if WebPDF cannot run, and says so). Timed on a subset of accounts
        spread over the K (``--naive-subset``, default 5) plus the portfolio notebook once, then
        extrapolated: portfolio + K x mean per account. Sequential, as a shell loop would be. Its
        notebooks alternate with the builds (one after each of the ``--repeat`` builds; the rest at
        the end; ``--no-alternate``: all at the end): the machine's speed drifts over minutes, and
        the naive ÷ build ratio should compare the two at the same speed.
floor   the same analytics, charts and PDF with no notebook machinery: one Python process runs the
        notebooks' own code cells with ``exec`` (so it mirrors exactly what the notebooks do:
        ``open_portfolio``, ``kamreports.present``, ``kamreports.charts``), collects what they
        display, wraps it with ``render.document_html`` (same cover and page frame as the build,
        from ``build.plan_jobs``) and writes the PDF with ``render.Renderer.write_pdf``. It lays out
        the same pages as the build (checked: same page count, same text): what ``kp.show`` displays,
        markdown cells with their tags and without anchor links, sections the build leaves out left
        out. Run with 1 process and with one process per core (``--workers``; a plain script's natural
        choice, and the work has no waits to fill), the processes loading the portfolio computed once
        as the build's kernels do; the per-core floor is the one the build is compared with.
build   ``kamreports build --force --no-book`` (and, separately, with the book).

Every variant runs as a subprocess. Wall seconds, CPU seconds (user+sys of the process and its
reaped descendants, from ``os.wait4``), and peak memory are recorded: ``maxrss`` is the largest single
process (what ``getrusage(RUSAGE_CHILDREN)`` reports), ``tree RSS`` the peak of the summed RSS of the
process tree sampled every 0.2 s with psutil (or /proc), ``tree PSS`` the same with shared pages
divided among the processes that share them (sampled every 1 s).

The machine is shared: the load average before each variant is printed; CPU seconds are less
sensitive to other people's work than wall seconds.

Other people edit the package while this runs, so by default every variant runs on a snapshot of
the working tree taken at the start (``kamreports/``, ``notebooks/``, ``params/`` copied into the work
folder and put first on PYTHONPATH, commands run from there); ``--no-snapshot`` uses the live tree.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

    from kamreports.pipeline.jobs import Job

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/lib/chromium/chromium")
# Where the code under test lives (the repository or a snapshot of it) and the environment to run it with.
CODE: dict = {"root": REPO, "env": dict(os.environ)}


def take_snapshot(work: Path, name: str = "snapshot", source: Path = REPO, patch: Path | None = None) -> dict:
    """Copy the code under test into ``work/name`` (optionally applying a unified diff); returns
    {"root", "env"} to run it with."""
    snap = work / name
    shutil.rmtree(snap, ignore_errors=True)
    for part in ("kamreports", "notebooks", "params"):
        shutil.copytree(source / part, snap / part, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    if patch:
        subprocess.run(["patch", "-p1", "--quiet", "-d", str(snap), "-i", str(patch.resolve())], check=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(snap), os.environ.get("PYTHONPATH")])))
    return {"root": snap, "env": env}


# --- measuring a command ---------------------------------------------------------------------------

def _tree(pid: int) -> list:
    try:
        import psutil
    except ImportError:  # /proc fallback: a list of pids
        return _proc_tree(pid)
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _proc_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _is_kernel(proc: int | psutil.Process) -> bool:
    try:
        if isinstance(proc, int):
            with open(f"/proc/{proc}/cmdline", "rb") as fh:
                return "ipykernel" in fh.read().decode(errors="replace")
        return "ipykernel" in " ".join(proc.cmdline())
    except Exception:  # noqa: BLE001 - gone between listing and reading
        return False


def _rss(proc: int | psutil.Process) -> int:
    if isinstance(proc, int):
        try:
            with open(f"/proc/{proc}/statm") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            return 0
    try:
        return proc.memory_info().rss
    except Exception:  # noqa: BLE001 - gone between listing and reading
        return 0


def _pss(proc: int | psutil.Process) -> int:
    if isinstance(proc, int):
        try:
            with open(f"/proc/{proc}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return 0
        return 0
    try:
        return proc.memory_full_info().pss
    except Exception:  # noqa: BLE001 - gone between listing and reading, or no permission to read its maps
        return 0


class Measured:
    def __init__(self, label: str):
        self.label = label
        self.wall = self.cpu = 0.0
        self.maxrss = self.tree_rss = self.tree_pss = 0
        self.tree_rss_no_kernel = 0  # peak summed RSS while no kernel ran (the book, laid out by the workers)
        self.tree_rss_at = 0.0       # seconds into the run at the peak, and the kernels then running
        self.tree_rss_kernels = 0
        self.returncode = 0
        self.load = os.getloadavg()[0]
        self.log = ""

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items()}


def run_measured(label: str, cmd: list[str], log: Path, env: dict | None = None, cwd: Path | None = None,
                 interval: float = 0.2) -> Measured:
    """Run ``cmd``; wall and CPU seconds, largest process, peak summed RSS/PSS of its process tree."""
    m = Measured(label)
    m.log = str(log)
    env = CODE["env"] if env is None else env
    cwd = CODE["root"] if cwd is None else cwd
    done = threading.Event()
    with open(log, "ab") as out:
        out.write(("\n$ " + " ".join(map(str, cmd)) + "\n").encode())
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)

        def sample() -> None:
            n = 0
            while not done.is_set():
                procs = _tree(proc.pid)
                total = sum(_rss(p) for p in procs)
                if total > m.tree_rss:
                    m.tree_rss, m.tree_rss_at = total, time.perf_counter() - started
                    m.tree_rss_kernels = sum(_is_kernel(p) for p in procs)
                if total > 0 and not any(_is_kernel(p) for p in procs):
                    m.tree_rss_no_kernel = max(m.tree_rss_no_kernel, total)
                if n % 5 == 0:
                    m.tree_pss = max(m.tree_pss, sum(_pss(p) for p in procs))
                n += 1
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        m.wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = m.returncode = os.waitstatus_to_exitcode(status)
    m.cpu = usage.ru_utime + usage.ru_stime
    m.maxrss = usage.ru_maxrss * 1024  # KiB on Linux
    return m


def _tail(path: str, lines: int = 15) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _check(m: Measured) -> None:
    if m.returncode != 0:
        raise SystemExit(f"{m.label} failed with exit code {m.returncode}; log {m.log}:\n{_tail(m.log)}")


# --- data and the K accounts -----------------------------------------------------------------------

def make_sample(work: Path, accounts: int, log: Path) -> Path:
    data = work / f"data-{accounts}"
    if not (data / "revenue.csv").is_file():
        m = run_measured("sample", [VENV_BIN / "kamreports", "sample", "--out", data, "--accounts", str(accounts)], log)
        _check(m)
        print(f"sample company: {accounts} accounts written to {data} in {m.wall:.1f} s")
    return data


def largest_accounts(data: Path, k: int) -> tuple[list[str], int]:
    """The K accounts with the largest trailing-four-quarter revenue, and how many the build would select
    (computed by the code under test, in a subprocess)."""
    out = subprocess.run([sys.executable, __file__, "_largest", str(data)], env=CODE["env"], cwd=CODE["root"],
                         check=True, capture_output=True, text=True).stdout
    ordered, selected = json.loads(out)
    if len(ordered) < k:
        raise SystemExit(f"the sample has only {len(ordered)} accounts with revenue; raise --sample-accounts")
    return ordered[:k], selected


def largest_main(data: str) -> None:
    from kamreports.config import load_settings
    from kamreports.data import load_folder
    from kamreports.model import build_portfolio

    portfolio = build_portfolio(load_folder(data), load_settings(None))
    ordered = portfolio.summary.sort_values(["revenue_t4q", "name"], ascending=[False, True])
    print(json.dumps([list(ordered.index), int(portfolio.summary["is_key"].sum())]))


# --- naive: papermill + nbconvert command lines -----------------------------------------------------

def playwright_shim(work: Path) -> Path | None:
    """A PLAYWRIGHT_BROWSERS_PATH whose chromium (and headless shell) are Debian's chromium.

    nbconvert's WebPDF exporter calls ``chromium.launch()`` with no executable path, and
    ``playwright install`` cannot download here; Playwright looks for its browsers under
    PLAYWRIGHT_BROWSERS_PATH/<name>_<revision>/..., so symlinks there make it use the system one.
    """
    if not CHROMIUM.exists():
        return None
    try:
        import playwright
    except ImportError:
        return None
    browsers = json.loads((Path(playwright.__file__).parent / "driver/package/browsers.json").read_text())
    revs = {b["name"]: b["revision"] for b in browsers["browsers"]}
    shim = work / "pw-browsers"
    for name, sub, exe in (("chromium", "chrome-linux64", "chrome"),
                           ("chromium-headless-shell", "chrome-headless-shell-linux64", "chrome-headless-shell")):
        if name not in revs:
            continue
        folder = shim / f"{name.replace('-', '_')}-{revs[name]}" / sub
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / exe
        if not link.exists():
            link.symlink_to(CHROMIUM)
        (folder.parent / "INSTALLATION_COMPLETE").touch()
    return shim


def naive_pack(nb: Path, params: list[tuple[str, str]], out: Path, env: dict, pdf_to: list[str],
               log: Path) -> dict[str, Measured]:
    out.mkdir(parents=True, exist_ok=True)
    executed = out / f"{nb.stem}.ipynb"
    pm = [VENV_BIN / "papermill", nb, executed]
    for name, value in params:
        pm += ["-p", name, value]
    steps = {"papermill": run_measured("papermill", pm, log, env, out)}
    _check(steps["papermill"])
    steps["nbconvert html"] = run_measured("html", [VENV_BIN / "jupyter", "nbconvert", "--to", "html", executed],
                                           log, env, out)
    _check(steps["nbconvert html"])
    steps["nbconvert pdf"] = run_measured("pdf", [VENV_BIN / "jupyter", "nbconvert", *pdf_to, executed], log, env, out)
    return steps


class NaiveRun:
    """The naive loop, one notebook at a time, so that its notebooks can alternate with the builds.

    The machine is shared and its speed drifts over minutes (a fixed pure-Python loop took 1.5-3.4 s
    within one minute on 2026-12-01): run one after the other, the build and the naive loop would be
    measured at different speeds, and their ratio would carry the drift.
    """

    def __init__(self, work: Path, data: Path, ids: list[str], subset: int, log: Path):
        self.env = dict(CODE["env"], PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        notebooks = CODE["root"] / "notebooks"
        shim = playwright_shim(work)
        if shim:
            self.env["PLAYWRIGHT_BROWSERS_PATH"] = str(shim)
        self.webpdf = ["--to", "webpdf", "--WebPDFExporter.disable_sandbox=True"]
        self.pdf_to = self.webpdf
        self.pdf_note = "webpdf (Playwright -> Debian chromium via PLAYWRIGHT_BROWSERS_PATH shim)"
        self.root, self.log, self.k = work / "naive", log, len(ids)
        shutil.rmtree(self.root, ignore_errors=True)
        step = max(1, len(ids) // subset)
        self.chosen = ids[::step][:subset]
        self.packs: dict[str, dict[str, Measured]] = {}
        # the portfolio review once, then the accounts
        self.todo = [("portfolio", notebooks / "portfolio_review.ipynb", [("data", str(data))])] + \
            [(a, notebooks / "account_plan.ipynb", [("account_id", a), ("data", str(data))]) for a in self.chosen]

    @property
    def pending(self) -> bool:
        return len(self.packs) < len(self.todo)

    def step(self) -> None:
        """Run the next notebook of the loop: papermill, then nbconvert to HTML and to PDF."""
        key, nb, params = self.todo[len(self.packs)]
        steps = naive_pack(nb, params, self.root / key, self.env, self.pdf_to, self.log)
        if steps["nbconvert pdf"].returncode != 0 and self.pdf_to is self.webpdf:
            print(f"  WebPDF failed here (see {self.log}); falling back to --to kamreports_pdf (WeasyPrint)")
            self.pdf_to, self.pdf_note = ["--to", "kamreports_pdf"], "kamreports_pdf (WebPDF could not run)"
            steps["nbconvert pdf"] = run_measured("pdf", [VENV_BIN / "jupyter", "nbconvert", *self.pdf_to,
                                                          self.root / key / f"{nb.stem}.ipynb"],
                                                  self.log, self.env, self.root / key)
        _check(steps["nbconvert pdf"])
        self.packs[key] = steps
        print(f"  naive {key}: " + ", ".join(f"{s} {m.wall:.1f} s" for s, m in steps.items()))

    def result(self) -> dict:
        while self.pending:
            self.step()
        packs, k = self.packs, self.k
        accounts = [packs[a] for a in self.chosen]
        per_step = {s: statistics.mean(p[s].wall for p in accounts) for s in accounts[0]}
        per_account = statistics.mean(sum(m.wall for m in p.values()) for p in accounts)
        cpu_account = statistics.mean(sum(m.cpu for m in p.values()) for p in accounts)
        portfolio = sum(m.wall for m in packs["portfolio"].values())
        portfolio_cpu = sum(m.cpu for m in packs["portfolio"].values())
        every = [m for p in packs.values() for m in p.values()]
        return {"subset": self.chosen, "pdf": self.pdf_note, "per_step": per_step, "per_account": per_account,
                "cpu_per_account": cpu_account, "portfolio": portfolio, "portfolio_cpu": portfolio_cpu,
                "seconds": portfolio + k * per_account, "cpu": portfolio_cpu + k * cpu_account,
                "maxrss": max(m.maxrss for m in every), "tree_rss": max(m.tree_rss for m in every),
                "tree_pss": max(m.tree_pss for m in every), "load": packs["portfolio"]["papermill"].load,
                "measured_seconds": sum(m.wall for m in every)}


# --- floor: the notebooks' code in plain Python, no kernel, no nbconvert ----------------------------

_FLOOR: dict = {}


def _collect(value: object, sink: list[str]) -> None:
    """What a notebook shows for ``value`` (display() or a cell's last expression), as HTML."""
    from matplotlib.figure import Figure

    from kamreports import present

    if value is None:
        return
    if isinstance(value, Figure):
        sink.append(present.figure_html(value, "chart").data)
    elif hasattr(value, "_repr_html_"):
        html = value._repr_html_()
        if html:
            sink.append(html)
    # objects with only a text repr: the build's DropNoiseOutputsPreprocessor drops them


def _floor_init() -> None:
    import IPython.display

    import kamreports.present
    import kamreports.present.html
    from kamreports.pipeline.render import Renderer

    sink: list[str] = []

    def display(*objs, **_kw) -> None:
        for obj in objs:
            _collect(obj, sink)

    kamreports.present.html.display = display  # kp.show() -> display(): the name show() looks up
    kamreports.present.display = display
    IPython.display.display = display
    _FLOOR.update(sink=sink, display=display, renderer=Renderer(), cells={})


def _cells(notebook: str) -> list[tuple[list[str], object, object]]:
    """(tags, compiled body, compiled last expression or None) per cell, parsed once per process."""
    import nbformat

    cache = _FLOOR["cells"]
    if notebook not in cache:
        out = []
        for cell in nbformat.read(notebook, as_version=4).cells:
            tags = list(cell.get("metadata", {}).get("tags", []))
            if cell.cell_type == "markdown":
                out.append((tags, "markdown", cell.source))
                continue
            if cell.cell_type != "code":
                continue
            tree = ast.parse(cell.source)
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr) and not cell.source.rstrip().endswith(";"):
                last = compile(ast.Expression(tree.body.pop().value), notebook, "eval")
            out.append((tags, compile(tree, notebook, "exec"), last))
        cache[notebook] = out
    return cache[notebook]


HIDDEN = {"remove", "parameters", "injected-parameters"}


def _floor_pack(job: Job) -> tuple[str, float, int]:
    """One pack: the notebook's cells executed in a fresh namespace, shown outputs -> HTML -> PDF."""
    from kamreports.pipeline.render import PageFrame, document_html

    started = time.perf_counter()
    sink: list[str] = _FLOOR["sink"]
    namespace: dict = {"__name__": "__main__", "display": _FLOOR["display"]}
    from kamreports.present.html import OMIT_SECTION

    parts: list[str] = []
    heading_only: list[bool] = []   # the part is a markdown cell that is only a heading
    for tags, body, last in _cells(job.notebook):
        if body == "markdown":
            if not HIDDEN & set(tags):
                from nbconvert.filters import markdown2html
                html = re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", markdown2html(last))  # no ¶ links
                classes = " ".join(["jp-Cell", "jp-MarkdownCell"] + [f"celltag_{t}" for t in tags])
                parts.append(f'<div class="{classes}">{html}</div>')
                heading_only.append(bool(re.fullmatch(r"#{1,6} [^\n]+\n?", str(last).strip() + "\n")))
            continue
        del sink[:]
        exec(body, namespace)  # noqa: S102 - our own notebooks
        if "parameters" in tags:
            namespace.update(job.parameters)  # what papermill's injected cell does
        if last is not None:
            _collect(eval(last, namespace), sink)  # noqa: S307 - the last expression of our own notebooks' cells
        if HIDDEN & set(tags) or "remove-output" in tags or not sink:
            continue
        if any(OMIT_SECTION in html for html in sink):   # as the build's render.without_omitted_sections
            if heading_only and heading_only[-1]:
                parts.pop()
                heading_only.pop()
            continue
        classes = " ".join(["jp-Cell", "jp-CodeCell"] + [f"celltag_{t}" for t in tags])
        parts.append(f'<div class="{classes}">' + "".join(sink) + "</div>")
        heading_only.append(False)
    frame = PageFrame(title=job.title, running_header=job.running_header, footer_note=job.footer_note,
                      page_size=job.page_size, primary_color=job.primary_color, accent_color=job.accent_color)
    html = document_html(job.cover_html + "\n".join(parts), frame, extra_css=job.extra_css)
    out = Path(_FLOOR["out"]) / job.folder
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(job.notebook).stem
    (out / f"{stem}.html").write_text(html, encoding="utf-8")
    pages = _FLOOR["renderer"].write_pdf(html, out / f"{stem}.pdf")
    return job.key, time.perf_counter() - started, pages


def _floor_worker_init(out: str) -> None:
    _floor_init()
    _FLOOR["out"] = out


def floor_main(argv: list[str]) -> None:
    """Entry point of the floor subprocess: ``bench_build.py _floor DATA IDS_FILE OUT WORKERS RESULT``."""
    import multiprocessing

    data, ids_file, out, workers, result = argv
    started = time.perf_counter()
    from kamreports import open_portfolio
    from kamreports.pipeline.build import plan_jobs
    from kamreports.pipeline.jobs import NOTEBOOKS_DIR

    ids = Path(ids_file).read_text().split()
    portfolio = open_portfolio(data)   # loads and computes once; the notebooks' own calls then hit its cache
    jobs = plan_jobs(portfolio, ids, Path(data), None, NOTEBOOKS_DIR)
    t_setup = time.perf_counter() - started
    if int(workers) <= 1:
        _floor_worker_init(out)
        done = [_floor_pack(job) for job in jobs]
    else:
        # as the build: its portfolio, computed once, is what every process's open_portfolio() returns
        from kamreports.inputs import SHARED_PORTFOLIO_ENV, share_portfolio

        params = {k: jobs[0].parameters.get(k) for k in ("data", "config", "quarter", "records")}
        os.environ[SHARED_PORTFOLIO_ENV] = str(share_portfolio(portfolio, Path(out) / "portfolio.pickle", **params))
        ctx = multiprocessing.get_context("spawn")  # as the build's pool
        with ctx.Pool(int(workers), initializer=_floor_worker_init, initargs=(out,)) as pool:
            done = list(pool.imap_unordered(_floor_pack, jobs, chunksize=1))
    Path(result).write_text(json.dumps({"setup": t_setup, "packs": done,
                                        "seconds": time.perf_counter() - started}))


def run_floor(work: Path, data: Path, ids: list[str], workers: int, log: Path) -> dict:
    out = work / f"floor-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    ids_file, result = out / "ids.txt", out / "result.json"
    ids_file.write_text("\n".join(ids))
    m = run_measured(f"floor x{workers}",
                     [sys.executable, __file__, "_floor", data, ids_file, out, str(workers), result], log)
    _check(m)
    inner = json.loads(result.read_text())
    return {**m.as_dict(), "seconds": m.wall, "pages": sum(p[2] for p in inner["packs"]),
            "pack_seconds": sum(p[1] for p in inner["packs"]), "setup": inner["setup"]}


# --- build ------------------------------------------------------------------------------------------

def run_build(work: Path, data: Path, ids: list[str], book: bool, log: Path, name: str,
              code: dict | None = None) -> dict:
    out = work / name
    cmd = [VENV_BIN / "kamreports", "build", "--data", data, "--accounts", ",".join(ids), "--output", out,
           "--force", "--quiet"] + ([] if book else ["--no-book"])
    code = code or CODE
    m = run_measured(name, cmd, log, env=code["env"], cwd=code["root"])
    _check(m)
    manifests = list(out.glob("*/manifest.json"))
    manifest = json.loads(manifests[0].read_text()) if manifests else {}
    packs = manifest.get("packs", [])
    return {**m.as_dict(), "seconds": m.wall, "pages": sum(p.get("pages", 0) for p in packs),
            "packs": len(packs), "built": sum(p.get("status") == "built" for p in packs),
            "execute": sum(p.get("execute_seconds", 0) for p in packs),
            "render": sum(p.get("render_seconds", 0) for p in packs),
            "manifest_seconds": manifest.get("seconds")}


# --- report -----------------------------------------------------------------------------------------

def mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def table(rows: list[tuple], k: int) -> str:
    head = ("variant", "seconds", "s / account", "CPU s", "largest process", "tree RSS", "tree PSS", "load")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, r in rows:
        per = r["seconds"] / k
        lines.append(f"| {label} | {r['seconds']:,.1f} | {per:.2f} | {r['cpu']:,.1f} | {mb(r['maxrss'])} | "
                     f"{mb(r['tree_rss'])} | {mb(r['tree_pss'])} | {r['load']:.1f} |")
    return "\n".join(lines)


#: K -> (naive / build at least, build / floor at most): the README's Performance targets. Small builds
#: are what an analyst runs most; their fixed costs (kernel start, imports, the portfolio) weigh more.
TARGETS: dict[int | None, tuple[float, float]] = {1: (0.0, 2.0), 8: (6.0, 1.3), None: (10.0, 1.3)}
BOOK_TARGETS = {8: 2.0}   # seconds the one-page-summary book may add to a build of K accounts


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_floor":
        floor_main(sys.argv[2:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_largest":
        largest_main(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=100, help="account packs to build (default 100)")
    parser.add_argument("--sample-accounts", type=int, help="accounts in the sample company (default max(150, 5K))")
    parser.add_argument("--naive-subset", type=int, default=5, help="accounts the naive way is timed on (default 5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the parallel floor")
    parser.add_argument("--skip", default="", help="comma-separated: naive,floor1,floor,build,book")
    parser.add_argument("--accounts-total", type=int,
                        help="instead: memory check, a build of this many account packs with the book")
    parser.add_argument("--patch", type=Path,
                        help="also time `build --no-book` with this unified diff (-p1) applied to a copy of the code")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run `build --no-book` (and its patched variant) this many times, alternating; "
                             "the table shows the median")
    parser.add_argument("--no-alternate", dest="alternate", action="store_false",
                        help="run the naive loop after everything else, not one notebook after each build "
                             "(with --repeat R, the first R notebooks alternate with the R builds)")
    parser.add_argument("--no-snapshot", action="store_true", help="run the live working tree, not a snapshot")
    parser.add_argument("--workdir", type=Path, help="keep data and output here (default: a temp folder, removed)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kam-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    print(f"work folder {work}; commands' output in {log}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if not args.no_snapshot:
        CODE.update(take_snapshot(work))
        print(f"code under test: snapshot of {REPO} in {CODE['root']}")
    patched = None
    if args.patch:
        patched = take_snapshot(work, "snapshot-patched", CODE["root"], args.patch)
        print(f"patched variant: {args.patch} applied to a copy in {patched['root']}")
    results: dict = {}
    try:
        if args.accounts_total:
            n = args.accounts_total
            data = make_sample(work, args.sample_accounts or n, log)
            ids, _ = largest_accounts(data, n)
            print(f"memory check: build of {n} account packs + portfolio, with the book ...")
            r = run_build(work, data, ids, True, log, f"build-{n}")
            results["memory_check"] = r
            print(f"\n{n}-account build with book: {r['seconds']:.0f} s ({r['built']}/{r['packs']} packs, "
                  f"{r['pages']} pages), peak tree RSS {mb(r['tree_rss'])} at {r['tree_rss_at']:.0f} s with "
                  f"{r['tree_rss_kernels']} kernels running (PSS {mb(r['tree_pss'])}; "
                  f"with no kernel running, i.e. the book: {mb(r['tree_rss_no_kernel'])}), largest process "
                  f"{mb(r['maxrss'])}; target < 2 GB: {'met' if r['tree_rss'] < 2 * 2**30 else 'MISSED'}")
        else:
            k = args.k
            skip = set(filter(None, args.skip.split(",")))
            data = make_sample(work, args.sample_accounts or max(150, 5 * k), log)
            ids, selected = largest_accounts(data, k)
            print(f"K = {k} account packs (+1 portfolio review): the {k} largest by T4Q revenue "
                  f"(the build's own rule selects {selected}); pinned with --accounts")
            naive = None
            if "naive" not in skip:
                naive = NaiveRun(work, data, ids, args.naive_subset, log)
                order = "alternating with the builds" if args.alternate and "build" not in skip else "after the rest"
                print(f"naive: {args.naive_subset} accounts + the portfolio notebook, {order}")
            if "build" not in skip:
                # With --repeat R, the book build and the floor run R times too, in turn with the builds
                # (and the naive notebooks): a machine whose speed drifts during the run then moves every
                # variant alike, and each ratio is of medians taken over the same minutes.
                beside = [key for key in ("book", "floor") if key not in skip] if args.repeat > 1 else []
                runs: dict[str, list[dict]] = {"build": [], "patched": [], "book": [], "floor": []}
                for i in range(args.repeat):
                    print(f"build (--no-book){f', run {i + 1} of {args.repeat}' if args.repeat > 1 else ''} ...")
                    runs["build"].append(run_build(work, data, ids, False, log, "build"))
                    if patched:
                        print("build (--no-book), patched ...")
                        runs["patched"].append(run_build(work, data, ids, False, log, "build-patched", patched))
                    if "book" in beside:
                        print("build with the book ...")
                        runs["book"].append(run_build(work, data, ids, True, log, "build-book"))
                    if "floor" in beside:
                        print(f"floor, {args.workers} processes ...")
                        runs["floor"].append(run_floor(work, data, ids, args.workers, log))
                    if naive and args.alternate and naive.pending:
                        naive.step()
                for key, got in runs.items():
                    if got:
                        got.sort(key=lambda r: r["seconds"])
                        results[key] = dict(got[len(got) // 2], runs=[(r["seconds"], r["cpu"]) for r in got])
            if "book" not in skip and "book" not in results:
                print("build with the book ...")
                results["book"] = run_build(work, data, ids, True, log, "build-book")
            if "floor" not in skip and "floor" not in results:
                print(f"floor, {args.workers} processes ...")
                results["floor"] = run_floor(work, data, ids, args.workers, log)
            if "floor1" not in skip:
                print("floor, 1 process ...")
                results["floor1"] = run_floor(work, data, ids, 1, log)
            if naive:
                if naive.pending:
                    print("naive, the rest of its notebooks ...")
                results["naive"] = naive.result()
            report(results, k, args)
    finally:
        if args.json:
            args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                             "results": results}, indent=2, default=str))
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


def report(results: dict, k: int, args: argparse.Namespace) -> None:
    rows = []
    naive = results.get("naive")
    if naive:
        rows.append((f"naive, extrapolated from {len(naive['subset'])} accounts*", naive))
    if "build" in results:
        rows.append(("`kamreports build --no-book`", results["build"]))
    if "patched" in results:
        rows.append((f"`build --no-book`, with {args.patch.name}", results["patched"]))
    if "book" in results:
        rows.append(("`kamreports build` (with book)", results["book"]))
    if "floor" in results:
        rows.append((f"floor, {args.workers} processes", results["floor"]))
    if "floor1" in results:
        rows.append(("floor, 1 process", results["floor1"]))
    print(f"\n{k} account packs + 1 portfolio review, {os.cpu_count()} cores\n")
    print(table(rows, k))
    if naive:
        print(f"\n* naive: measured {naive['measured_seconds']:.0f} s on {len(naive['subset'])} accounts "
              f"({', '.join(naive['subset'])}) + the portfolio notebook; total = portfolio "
              f"{naive['portfolio']:.1f} s + {k} x {naive['per_account']:.1f} s per account. Per account: "
              + ", ".join(f"{s} {v:.1f} s" for s, v in naive["per_step"].items())
              + f". PDF: {naive['pdf']}. Memory columns: the largest single command.")
    b, f = results.get("build"), results.get("floor")
    if b:
        print(f"build: {b['built']}/{b['packs']} packs, {b['pages']} pages; summed per pack: execute "
              f"{b['execute']:.1f} s, render {b['render']:.1f} s")
        for label, key in (("build --no-book", "build"), ("build with the book", "book"), ("floor", "floor")):
            if len(results.get(key, {}).get("runs", ())) > 1:
                print(f"{label} runs (wall s, CPU s), fastest first: "
                      + ", ".join(f"({w:.1f}, {c:.1f})" for w, c in results[key]["runs"]))
    for key in ("floor", "floor1"):
        if key in results:
            r = results[key]
            print(f"{key}: {r['pages']} pages; setup (imports, open_portfolio, plan_jobs) {r['setup']:.1f} s, "
                  f"summed per pack {r['pack_seconds']:.1f} s")
    print()
    over_naive, over_floor = TARGETS.get(k, TARGETS[None])
    if naive and b:
        ratio = naive["seconds"] / b["seconds"]
        target = f"target >= {over_naive:g}x: {'met' if ratio >= over_naive else 'MISSED'}; " if over_naive else ""
        print(f"naive / build      = {ratio:5.1f}x   ({target}CPU s: {naive['cpu'] / b['cpu']:.1f}x)")
    if naive and f and over_naive:
        # the most naive / build can be on this machine: a build exactly as fast as the floor
        ceiling = naive["seconds"] / f["seconds"]
        print(f"naive / floor({args.workers}p) = {ceiling:5.1f}x   (the ceiling: {over_naive:g}x asks build / floor "
              f"<= {ceiling / over_naive:.2f}x)")
    if b and f:
        ratio = b["seconds"] / f["seconds"]
        print(f"build / floor({args.workers}p) = {ratio:5.2f}x   "
              f"(target <= {over_floor:g}x: {'met' if ratio <= over_floor else 'MISSED'}; "
              f"CPU s: {b['cpu'] / f['cpu']:.2f}x)")
    if b and "book" in results:
        added = results["book"]["seconds"] - b["seconds"]
        limit = BOOK_TARGETS.get(k)
        verdict = "" if limit is None else f"   (target <= {limit:g} s: {'met' if added <= limit else 'MISSED'})"
        print(f"the book adds      = {added:5.1f} s{verdict}")
    if b and "floor1" in results:
        print(f"build / floor(1p)  = {b['seconds'] / results['floor1']['seconds']:5.2f}x")
    if b and "patched" in results:
        pr = results["patched"]
        print(f"patched / build    = {pr['seconds'] / b['seconds']:5.2f}x wall, {pr['cpu'] / b['cpu']:.2f}x CPU "
              f"(runs, wall/CPU s: build {b.get('runs')}, patched {pr.get('runs')})")
        if f:
            print(f"patched / floor({args.workers}p) = {pr['seconds'] / f['seconds']:5.2f}x")


if __name__ == "__main__":
    main()
