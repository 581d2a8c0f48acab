"""Portfolio analytics at scale: load and compute 100,000 accounts x 12 quarters x 6 products.

Run (from the repository root):

    .venv/bin/python benchmarks/bench_scale.py                      # 100,000 accounts, ~7.2M revenue rows
    .venv/bin/python benchmarks/bench_scale.py --accounts 20000     # smaller, quicker
    .venv/bin/python benchmarks/bench_scale.py --profile            # also cProfile the same steps

The raw tables are generated here with vectorised numpy (``kamreports sample`` is a Python loop and
far too slow at this size) and written as CSV with pyarrow, in a separate process, so generation
does not count towards the measured process's peak memory. Every account buys every product in
every quarter, so revenue has accounts x quarters x products rows; targets and KAM costs have one
row per account and quarter; opportunities (~3), stakeholders (~3) and NPS answers (~2) per account.

Then, in a fresh process: ``kamreports.data.load_folder`` (read and validate every cell),
``kamreports.model.build_portfolio`` (summary, scores, selection, ABC, KAM matrix, Pareto) and the
growth, ROI and other portfolio analytics that exist in the package (each found by name, so a
function that does not exist yet is reported as skipped, not as a failure). Peak memory is the
process's ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after each step (tracemalloc would slow the
run several times over). Targets: load + portfolio under 30 s and under 4 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_SECONDS = 30.0
TARGET_BYTES = 4 * 2**30


# --- generation (child process) ----------------------------------------------------------------------

def generate(folder: Path, n: int, quarters: int, products: int, end_quarter: str = "2026Q3", seed: int = 7) -> dict:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    end = pd.Period(end_quarter, freq="Q")
    periods = [end - (quarters - 1 - i) for i in range(quarters)]
    q_start = np.array([p.start_time.to_datetime64() for p in periods], dtype="datetime64[D]")
    q_label = np.array([f"{p.year}Q{p.quarter}" for p in periods])
    as_of = np.datetime64(end.end_time.date(), "D")
    first_day = q_start[0]

    def take(values: np.ndarray, idx: np.ndarray) -> pa.Array:
        return pc.take(pa.array(values), pa.array(idx))

    def write(name: str, columns: dict) -> int:
        # from_pandas: NaN becomes an empty cell (a missing analyst score), not the text "nan"
        table = pa.table({k: v if isinstance(v, (pa.Array, pa.ChunkedArray)) else pa.array(v, from_pandas=True)
                          for k, v in columns.items()})
        pacsv.write_csv(table, folder / f"{name}.csv")
        return table.num_rows

    counts = {}
    ids = np.array([f"ACC-{i + 1:06d}" for i in range(n)])
    # accounts: heavy-tailed size (log-normal), tenure, analyst scores with gaps, a few subsidiaries
    size = np.sort(np.exp(rng.normal(np.log(60_000), 1.6, n)))[::-1]
    tenure_days = rng.uniform(180, 16 * 365, n).astype(int)
    start = as_of - quarters * 92 - tenure_days.astype("timedelta64[D]")
    keyish = np.arange(n) < max(3, int(n * 0.13))

    def score(lo: int, hi: int, gaps: float = 0.1) -> np.ndarray:
        values = rng.integers(lo, hi, n).astype(float)
        values[rng.random(n) < gaps] = np.nan
        return values

    parent = np.full(n, None, dtype=object)
    children = rng.choice(np.arange(n // 2, n), size=max(1, n // 200), replace=False)
    parent[children] = ids[rng.integers(0, n // 2, len(children))]
    industries = np.array(["Energy", "Healthcare", "Manufacturing", "Retail", "Telecommunications", "Life Sciences",
                           "Automotive", "Chemicals", "Financial Services", "Media"])
    regions = np.array(["North America", "EMEA", "APAC", "LATAM"])
    owners = np.array([f"Manager {i:03d}" for i in range(400)])
    counts["accounts"] = write("accounts", {
        "account_id": ids, "name": np.char.add("Account ", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
        "parent_id": pa.array(parent, type=pa.string()), "industry": industries[rng.integers(0, 10, n)],
        "region": regions[rng.integers(0, 4, n)], "owner": owners[rng.integers(0, len(owners), n)],
        "start_date": pa.array(start, type=pa.date32()),
        "wallet_estimate": np.round(size * 4 / rng.uniform(0.15, 0.8, n), -3),
        "product_fit": score(3, 11), "solvency": score(4, 11), "strategic_value": score(2, 11),
    })
    pids = np.array([f"P{j + 1:02d}" for j in range(products)])
    margin = rng.uniform(0.25, 0.7, products)
    families = np.array(["Software", "Services", "Hardware"])[np.arange(products) % 3]
    counts["products"] = write("products", {"product_id": pids, "name": np.char.add("Product ", pids),
                                            "family": families,
                                            "list_price": rng.integers(40, 500, products) * 100.0})

    # revenue: every account x quarter x product
    growth = rng.normal(0.05, 0.12, n) + np.where(keyish, 0.05, 0.0)
    mix = rng.dirichlet(np.ones(products) * 2, n)                                  # n x p
    years_from_end = (quarters - 1 - np.arange(quarters)) / 4                      # q
    level = size[:, None] / (1 + growth[:, None]) ** years_from_end[None, :]      # n x q
    amount = level[:, :, None] * mix[:, None, :] * rng.lognormal(0, 0.08, (n, quarters, products))
    amount = np.maximum(np.round(amount, 2), 50.0).ravel()
    a_idx = np.repeat(np.arange(n), quarters * products)
    q_idx = np.tile(np.repeat(np.arange(quarters), products), n)
    p_idx = np.tile(np.arange(products), n * quarters)
    dates = q_start[q_idx] + rng.integers(5, 85, len(q_idx)).astype("timedelta64[D]")
    cogs = np.round(amount * (1 - margin[p_idx] - rng.normal(0, 0.03, len(amount))), 2).clip(0)
    counts["revenue"] = write("revenue", {"account_id": take(ids, a_idx), "date": pa.array(dates, type=pa.date32()),
                                          "product_id": take(pids, p_idx), "revenue": amount, "cogs": cogs})
    del amount, cogs, dates, q_idx, p_idx, a_idx

    # targets and KAM costs: one row per account and quarter
    a_q = np.repeat(np.arange(n), quarters)
    q_q = np.tile(np.arange(quarters), n)
    quarter_rev = level.ravel() * rng.normal(1.0, 0.05, n * quarters)
    counts["targets"] = write("targets", {"account_id": take(ids, a_q), "quarter": take(q_label, q_q),
                                          "target": np.round(quarter_rev * 1.08, -2)})
    share = np.where(keyish, 0.05, 0.015)[a_q]
    fixed = np.where(keyish, 6_000, 500)[a_q]
    counts["kam_costs"] = write("kam_costs", {
        "account_id": take(ids, a_q), "quarter": take(q_label, q_q),
        "cost": np.round(quarter_rev * share + fixed * rng.uniform(0.8, 1.2, len(a_q)), 2)})

    # opportunities
    k = rng.poisson(np.where(keyish, 8, 2))
    o_acc = np.repeat(np.arange(n), k)
    o_seq = np.arange(len(o_acc)) - np.repeat(np.cumsum(k) - k, k)
    span = int((as_of - first_day).astype(int))
    created = first_day + rng.integers(0, span, len(o_acc)).astype("timedelta64[D]")
    close = created + rng.integers(30, 240, len(o_acc)).astype("timedelta64[D]")
    won = rng.random(len(o_acc)) < 0.45
    stage = np.where(close > as_of, "open", np.where(won, "won", "lost"))
    prob = np.where(stage == "open", np.round(rng.uniform(0.1, 0.9, len(o_acc)), 2), np.where(stage == "won", 1.0, 0.0))
    counts["opportunities"] = write("opportunities", {
        "opportunity_id": np.char.add(np.char.add(ids[o_acc], "-"), np.char.zfill(o_seq.astype(str), 3)),
        "account_id": take(ids, o_acc), "product_id": take(pids, rng.integers(0, products, len(o_acc))),
        "stage": stage, "amount": np.round(size[o_acc] * rng.uniform(0.1, 0.8, len(o_acc)), -2),
        "created_date": pa.array(created, type=pa.date32()), "close_date": pa.array(close, type=pa.date32()),
        "probability": prob})

    # stakeholders: 3-12 for key accounts, 0-3 for the rest; unique names within an account
    first = np.array(["Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kara",
                      "Liam", "Mei", "Nora", "Omar", "Paula", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen",
                      "Yara", "Zoe"])
    last = np.array(["Adams", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
                     "Khan", "Larsen", "Moreau", "Novak", "Olsen", "Patel", "Quinn", "Reyes", "Schmidt", "Tanaka",
                     "Ueda", "Vogel", "Weber", "Young", "Zhang"])
    k = np.where(keyish, rng.integers(3, 13, n), rng.choice([0, 0, 1, 2, 3], n))
    s_acc = np.repeat(np.arange(n), k)
    s_seq = np.arange(len(s_acc)) - np.repeat(np.cumsum(k) - k, k)
    combo = (rng.integers(0, 625, n)[s_acc] + s_seq * 53) % 625                      # distinct per account
    titles = np.array(["Chief Executive Officer", "Chief Financial Officer", "VP Procurement", "VP Operations",
                       "Head of IT Architecture", "Procurement Manager", "Plant Manager", "Operations Analyst"])
    t = rng.integers(0, len(titles), len(s_acc))
    levels = np.array(["executive", "executive", "management", "management", "management", "operational",
                       "operational", "operational"])
    roles = np.array(["economic_buyer", "decision_maker", "champion", "technical", "end_user", "influencer"])
    counts["stakeholders"] = write("stakeholders", {
        "account_id": take(ids, s_acc), "name": np.char.add(np.char.add(first[combo // 25], " "), last[combo % 25]),
        "title": titles[t], "role": roles[rng.integers(0, len(roles), len(s_acc))], "level": levels[t],
        "influence": rng.integers(1, 6, len(s_acc)), "sentiment": rng.choice([-2, -1, 0, 1, 1, 2, 2], len(s_acc)),
        "last_contact": pa.array(as_of - rng.exponential(60, len(s_acc)).astype(int).astype("timedelta64[D]"),
                                 type=pa.date32())})

    # NPS answers: two thirds of accounts answer 1-4 times
    k = np.where(rng.random(n) < 0.35, 0, rng.integers(1, 5, n))
    f_acc = np.repeat(np.arange(n), k)
    base = np.where(keyish, 8.2, 7.0)[f_acc]
    counts["feedback"] = write("feedback", {
        "account_id": take(ids, f_acc),
        "date": pa.array(first_day + rng.integers(0, span, len(f_acc)).astype("timedelta64[D]"), type=pa.date32()),
        "nps": np.clip(np.round(rng.normal(base, 1.6)), 0, 10).astype(int)})
    return counts


# --- measurement (fresh process) ---------------------------------------------------------------------

def peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # KiB on Linux


def analytics_steps():
    """(label, callable(portfolio) -> object) for every portfolio-wide analysis the package has now."""
    import importlib

    def fn(module: str, name: str):
        try:
            return getattr(importlib.import_module(f"kamreports.analytics.{module}"), name)
        except (ImportError, AttributeError):
            return None

    steps = []

    def add(label: str, module: str, name: str, call: Callable[[Callable, Any], Any]) -> None:
        f = fn(module, name)
        steps.append((label, (lambda p, f=f: call(f, p)) if f else None))

    key_ids = lambda p: list(p.key_accounts.index)  # noqa: E731 - one line beside the lambdas that use it
    add("growth.quarterly_growth", "growth", "quarterly_growth",
        lambda f, p: f(p.quarterly, p.dataset.targets, p.quarter))
    add("growth.year_forecast", "growth", "year_forecast", lambda f, p: f(p.quarterly, p.dataset.targets, p.quarter))
    add("growth.portfolio_growth", "growth", "portfolio_growth",
        lambda f, p: f(p.quarterly, p.dataset.targets, p.quarter, key_ids(p)))
    add("roi.roi_report", "roi", "roi_report",
        lambda f, p: f(p.dataset, p.summary, p.quarter, p.settings.roi, p.formats, quarterly=p.quarterly))
    add("health.account_health", "health", "account_health",
        lambda f, p: f(p.summary, p.dataset.stakeholders, p.quarter, getattr(p.settings, "health", None),
                       p.settings.report.stale_contact_days))
    add("relationship.relationship_stages", "relationship", "relationship_stages",
        lambda f, p: f(p.summary, p.dataset.stakeholders, getattr(p.settings, "stages", None)))
    add("whitespace.cross_sell_opportunities", "whitespace", "cross_sell_opportunities",
        lambda f, p: f(p.dataset.revenue, p.dataset.products, p.dataset.accounts, p.quarter))
    add("selection.promotion_candidates", "selection", "promotion_candidates",
        lambda f, p: f(p.summary, exclude=dict(p.settings.selection.exclude)))
    add("selection.demotion_candidates", "selection", "demotion_candidates",
        lambda f, p: f(p.summary, p.settings.selection.threshold))
    add("selection.weight_sensitivity", "selection", "weight_sensitivity",
        lambda f, p: f(p.summary, p.settings.selection.criteria, p.settings.selection.threshold,
                       p.settings.selection.max_key_accounts, p.settings.selection.include,
                       p.settings.selection.exclude))
    return steps


def measure(folder: Path, extra: bool, profile_to: Path | None) -> dict:
    import cProfile

    rows = []
    prof = cProfile.Profile() if profile_to else None

    def step(label: str, call: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        c = time.process_time()
        if prof:
            prof.enable()
        try:
            value, error = call(), None
        except Exception as exc:  # noqa: BLE001 - report and go on: other developers change these functions
            value, error = None, f"{type(exc).__name__}: {str(exc)[:300]}"
        if prof:
            prof.disable()
        rows.append({"step": label, "seconds": time.perf_counter() - t, "cpu": time.process_time() - c,
                     "peak": peak(), "error": error})
        return value

    base = peak()
    rows.append({"step": "python + imports", "seconds": 0.0, "cpu": time.process_time(), "peak": base, "error": None})
    t0 = time.perf_counter()
    from kamreports.config import load_settings
    from kamreports.data import load_folder
    from kamreports.model import build_portfolio

    rows[0]["seconds"] = time.perf_counter() - t0
    rows[0]["peak"] = peak()
    dataset = step("load_folder (read + validate)", lambda: load_folder(folder))
    if dataset is None:
        return {"rows": rows}
    sizes = {name: len(frame) for name, frame in dataset.tables().items()}
    settings = load_settings(None)
    portfolio = step("build_portfolio", lambda: build_portfolio(dataset, settings))
    if portfolio is not None and extra:
        for label, call in analytics_steps():
            if call is None:
                rows.append({"step": label, "seconds": 0.0, "cpu": 0.0, "peak": peak(), "error": "not in the package"})
            else:
                step(label, lambda call=call: call(portfolio))
    if prof:
        prof.dump_stats(str(profile_to))
    return {"rows": rows, "sizes": sizes,
            "key_accounts": int(portfolio.summary["is_key"].sum()) if portfolio is not None else None}


# --- driver ------------------------------------------------------------------------------------------

def fmt_gb(n: int) -> str:
    return f"{n / 2**30:.2f} GB"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_generate":
        folder, n, q, p = sys.argv[2], *map(int, sys.argv[3:6])
        print(json.dumps(generate(Path(folder), n, q, p)))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        folder, extra, prof, out = sys.argv[2:6]
        result = measure(Path(folder), extra == "1", Path(prof) if prof else None)
        Path(out).write_text(json.dumps(result))
        return

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--products", type=int, default=6)
    parser.add_argument("--data-dir", type=Path, help="generate into (or reuse) this folder; default a temp folder")
    parser.add_argument("--no-extra", action="store_true", help="only load_folder and build_portfolio")
    parser.add_argument("--profile", action="store_true",
                        help="second run under cProfile; prints the top functions (timings then include its overhead)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()

    tmp = None
    folder = args.data_dir
    if folder is None:
        tmp = Path(tempfile.mkdtemp(prefix="kam-scale-"))
        folder = tmp / "data"
    me = str(Path(__file__).resolve())
    try:
        if not (folder / "revenue.csv").is_file():
            t = time.perf_counter()
            out = subprocess.run([sys.executable, me, "_generate", str(folder), str(args.accounts), str(args.quarters),
                                  str(args.products)], check=True, capture_output=True, text=True).stdout
            mb = sum(f.stat().st_size for f in folder.glob("*.csv")) / 2**20
            print(f"generated {json.loads(out)} in {time.perf_counter() - t:.1f} s ({mb:,.0f} MB of CSV) -> {folder}")
        else:
            print(f"reusing {folder}")
        result = run_measure(me, folder, not args.no_extra, None)
        print_report(result, args)
        if args.profile:
            prof = (tmp or folder.parent) / "bench_scale.prof"
            run_measure(me, folder, not args.no_extra, prof)
            import pstats

            for key in ("cumulative", "tottime"):
                print(f"\ncProfile, top 30 by {key} (timings include the profiler's overhead); saved to {prof}")
                pstats.Stats(str(prof)).sort_stats(key).print_stats(30)
        if args.json:
            args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, **result}, indent=2))
    finally:
        if tmp is not None and not args.profile:
            shutil.rmtree(tmp, ignore_errors=True)


def run_measure(me: str, folder: Path, extra: bool, prof: Path | None) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    try:
        subprocess.run([sys.executable, me, "_measure", str(folder), "1" if extra else "0", str(prof or ""), str(out)],
                       check=True)
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def print_report(result: dict, args: argparse.Namespace) -> None:
    rows = result["rows"]
    sizes = result.get("sizes", {})
    print(f"\n{args.accounts:,} accounts x {args.quarters} quarters x {args.products} products; rows: "
          + ", ".join(f"{k} {v:,}" for k, v in sizes.items()) + f"; load average {os.getloadavg()[0]:.1f}\n")
    print("| step | seconds | CPU s | peak RSS after | note |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['step']} | {r['seconds']:.1f} | {r['cpu']:.1f} | {fmt_gb(r['peak'])} | {r['error'] or ''} |")
    core = [r for r in rows if r["step"] in ("python + imports", "load_folder (read + validate)", "build_portfolio")]
    core_s = sum(r["seconds"] for r in core)
    all_s = sum(r["seconds"] for r in rows)
    top = max(r["peak"] for r in rows)
    core_peak = max(r["peak"] for r in core)
    print(f"\nimports + load + build_portfolio: {core_s:.1f} s, peak {fmt_gb(core_peak)}  "
          f"(targets < {TARGET_SECONDS:.0f} s: {'met' if core_s < TARGET_SECONDS else 'MISSED'}, "
          f"< 4 GB: {'met' if core_peak < TARGET_BYTES else 'MISSED'})")
    # What issue 8 asks for: loading, selection and matrix (build_portfolio), growth and the ROI tables.
    issue_steps = {"growth.quarterly_growth", "growth.year_forecast", "growth.portfolio_growth", "roi.roi_report"}
    issue = core + [r for r in rows if r["step"] in issue_steps]
    if len(issue) > len(core):
        issue_s = sum(r["seconds"] for r in issue)
        issue_peak = max(r["peak"] for r in issue)
        print(f"+ growth and ROI tables (the issue's set): {issue_s:.1f} s, peak {fmt_gb(issue_peak)}  "
              f"(targets < {TARGET_SECONDS:.0f} s: {'met' if issue_s < TARGET_SECONDS else 'MISSED'}, "
              f"< 4 GB: {'met' if issue_peak < TARGET_BYTES else 'MISSED'})")
    if len(rows) > len(issue):
        print(f"with every other portfolio analytic:  {all_s:.1f} s, peak {fmt_gb(top)}  "
              f"(targets < {TARGET_SECONDS:.0f} s: {'met' if all_s < TARGET_SECONDS else 'MISSED'}, "
              f"< 4 GB: {'met' if top < TARGET_BYTES else 'MISSED'})")


if __name__ == "__main__":
    main()
