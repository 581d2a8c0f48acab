"""``kamreports``: build, validate, sample. Thin wiring around the package.

Exit codes: 0 every pack built; 1 some packs failed (the rest were built);
2 bad input or settings (nothing was built); 130 interrupted.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import BuildError, KamError

log = logging.getLogger("kamreports")


def _accounts(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("give one or more account ids separated by commas")
    return ids


def _quarter(text: str) -> str:
    from .periods import QuarterError, parse_quarter, quarter_label

    try:
        return quarter_label(parse_quarter(text))
    except QuarterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kamreports", description="Key-account QBR packs from notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the QBR packs for a quarter")
    b.add_argument("--data", type=Path, help="folder of CSV tables (default: the sample company)")
    b.add_argument("--config", type=Path, help="settings YAML (default: built-in defaults)")
    b.add_argument("--quarter", type=_quarter, help="e.g. 2026Q3 (default: latest complete quarter)")
    b.add_argument("--accounts", type=_accounts, help="comma-separated account ids (default: the key accounts)")
    b.add_argument("--output", type=Path, default=Path("output"), help="output folder (default: output)")
    b.add_argument("--workers", type=int, default=0, help="parallel workers (default: one per core)")
    b.add_argument("--timeout", type=int, default=600, help="seconds a notebook cell may run (default: 600)")
    b.add_argument("--no-book", action="store_true", help="skip the combined QBR book")
    b.add_argument("--quiet", action="store_true", help="no progress bar; only errors and the final line")

    v = sub.add_parser("validate", help="check data and settings, list every problem")
    v.add_argument("--data", type=Path)
    v.add_argument("--config", type=Path)

    s = sub.add_parser("sample", help="write the sample company's tables as CSV")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--accounts", type=int, default=150)
    return parser


def _cmd_build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .pipeline.build import BuildOptions, build

    bar: list[tqdm] = []

    def on_plan(jobs: list) -> None:
        if not args.quiet:
            log.info("building %d packs (%d accounts + portfolio)", len(jobs), len(jobs) - 1)
        bar.append(tqdm(total=len(jobs), unit="pack", disable=True if args.quiet else None, file=sys.stderr))

    def on_done(job, result) -> None:
        if result.status != "built":
            log.error("%s (%s) failed: %s%s", job.name, job.key, result.error,
                      f" [{result.failed_cell}]" if result.failed_cell else "")
        bar[0].set_postfix_str(job.name[:30])
        bar[0].update(1)

    options = BuildOptions(data=args.data, config=args.config, quarter=args.quarter, accounts=args.accounts,
                           output=args.output, workers=args.workers, timeout=args.timeout, book=not args.no_book)
    try:
        report = build(options, progress=on_done, on_plan=on_plan)
    finally:
        if bar:
            bar[0].close()
    built = len(report.results) - len(report.failed)
    if not args.quiet:
        print(f"\nQuarter {report.quarter}: {built} of {len(report.results)} packs built in {report.seconds:.1f} s")
        print(f"  output:   {report.folder}")
        print(f"  index:    {report.folder / 'index.html'}")
        if report.book:
            print(f"  QBR book: {report.book}")
    for key in report.failed:
        print(f"  FAILED:   {key}: {report.results[key].error}", file=sys.stderr)
    if args.quiet:
        print(f"{report.quarter}: {built}/{len(report.results)} packs built -> {report.folder}")
    return 0 if report.ok else 1


def _cmd_validate(args: argparse.Namespace) -> int:
    from .config import load_settings
    from .data import load_dataset
    from .model import build_portfolio

    settings = load_settings(args.config)
    dataset = load_dataset(args.data or settings.data_path)
    portfolio = build_portfolio(dataset, settings)
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in dataset.tables().items() if name in dataset.present)
    print(f"OK: {dataset.source}: {counts}; latest complete quarter {portfolio.quarter}; "
          f"{int(portfolio.summary['is_key'].sum())} key accounts")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from .data import SampleSpec, sample_dataset, write_folder

    folder = write_folder(sample_dataset(SampleSpec(seed=args.seed, accounts=args.accounts)), args.out)
    print(f"sample company written to {folder}")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    args = _parser().parse_args(argv)
    handlers = {"build": _cmd_build, "validate": _cmd_validate, "sample": _cmd_sample}
    try:
        return handlers[args.command](args)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the previous output is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
