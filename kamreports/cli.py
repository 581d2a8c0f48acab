"""``kamreports``: build, validate, plan, sample, init, preview. Thin wiring around the package.

Exit codes: 0 every pack built; 1 some packs failed (the rest were built, a failed pack keeps its
previous PDF marked stale; when every pack failed the previous folder is kept as it was);
2 bad input or settings, or the output cannot be written (nothing was built);
3 another build is writing to the same output folder; 130 interrupted (Ctrl-C); 143 stopped by SIGTERM.
``preview`` runs until stopped: 0 after Ctrl-C or SIGTERM (its normal end), 2 when its port is taken.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BuildBusy, KamError, Terminated
from .pipeline.deadline import RENDER_TIMEOUT

if TYPE_CHECKING:
    from .pipeline.jobs import Job, JobResult

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
    b.add_argument("--workers", type=int, default=0,
                   help="parallel workers (default: one per core; one more from 16 packs a core)")
    b.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                   help="run the notebooks on this Dask distributed scheduler's workers instead of local processes "
                        "(also 'scheduler:' in the config); workers need kamreports[dask] and the same input paths")
    b.add_argument("--timeout", type=int, default=600, help="seconds a notebook cell may run (default: 600)")
    b.add_argument("--render-timeout", type=_seconds, default=RENDER_TIMEOUT, metavar="SECONDS",
                   help=f"seconds rendering one pack (HTML and PDF) may take (default: {RENDER_TIMEOUT})")
    b.add_argument("--no-book", action="store_true", help="skip the combined QBR book")
    b.add_argument("--force", action="store_true", help="rebuild every pack, even those whose inputs are unchanged")
    b.add_argument("--retry-failed", action="store_true", help="rebuild only the packs that failed last time")
    b.add_argument("--wait", action="store_true", help="if another build is writing here, wait for it")
    b.add_argument("--notebooks", type=Path, help="folder with your own account_plan/portfolio_review notebooks")
    b.add_argument("--log-dir", type=Path, help="where the build log goes (default: OUTPUT/logs)")
    b.add_argument("--quiet", action="store_true", help="no progress bar; only errors and the final line")
    b.add_argument("--backfill", type=_count, metavar="N",
                   help="instead of building packs, write the records of the N quarters before the reporting "
                        "quarter (recomputed from the data; an existing record is kept unless --force)")

    v = sub.add_parser("validate", help="check data and settings, list every problem")
    v.add_argument("--data", type=Path)
    v.add_argument("--config", type=Path)

    pl = sub.add_parser("plan", help="account plans: `plan new ACC-0001` drafts one from the data")
    plan_sub = pl.add_subparsers(dest="plan_command", required=True)
    new = plan_sub.add_parser("new", help="write a first plan file for an account, pre-filled from the data "
                                          "(never overwrites one)")
    new.add_argument("account_id")
    new.add_argument("--data", type=Path)
    new.add_argument("--config", type=Path)
    new.add_argument("--quarter", type=_quarter)

    i = sub.add_parser("init", help="write a starter project in FOLDER: settings.yaml (every setting, commented "
                                    "out), profiles/example.yaml, an empty plans/ and a README with the next steps; "
                                    "never overwrites")
    i.add_argument("folder", type=Path)

    pv = sub.add_parser("preview", help="build one pack, serve it on http://127.0.0.1:PORT and make it again "
                                        "whenever its data, settings, plan or notebook is saved")
    pv.add_argument("pack", metavar="ACCOUNT_ID|portfolio", help="an account id (ACC-0002), or portfolio")
    pv.add_argument("--data", type=Path, help="folder of CSV tables (default: the sample company)")
    pv.add_argument("--config", type=Path, help="settings YAML (default: built-in defaults)")
    pv.add_argument("--quarter", type=_quarter, help="e.g. 2026Q3 (default: latest complete quarter)")
    pv.add_argument("--port", type=_port, default=8765, help="loopback port to serve on (default: 8765; 0: any free)")
    pv.add_argument("--pdf", action="store_true", help="also write the pack's PDF beside its HTML on every change")
    pv.add_argument("--output", type=Path, default=Path("output"),
                    help="where earlier quarters' records are read, as for build; the preview writes OUTPUT/preview/")
    pv.add_argument("--notebooks", type=Path, help="folder with your own account_plan/portfolio_review notebooks")
    pv.add_argument("--timeout", type=int, default=600, help="seconds a notebook cell may run (default: 600)")

    s = sub.add_parser("sample", help="write the sample company's tables as CSV, and its plans in OUT/plans")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--accounts", type=int, default=150)
    return parser


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give at least 1 second")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("give a port from 1 to 65535 (or 0 for any free one)")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 40:
        raise argparse.ArgumentTypeError("give a number of quarters from 1 to 40")
    return value


def _cmd_backfill(args: argparse.Namespace) -> int:
    """``build --backfill N``: the records of the N quarters before the reporting quarter, no packs."""
    from .pipeline.build import BuildOptions, backfill

    options = BuildOptions(data=args.data, config=args.config, quarter=args.quarter, output=args.output,
                           force=args.force, wait=args.wait)
    report = backfill(options, args.backfill)
    for quarter in report.written:
        log.info("%s: record written to %s", quarter, report.folder / quarter / "record")
    for quarter, why in report.skipped:
        log.info("%s: skipped: %s", quarter, why)
    if not args.quiet:
        print(f"Backfill before {report.quarter}: {len(report.written)} record(s) written, {len(report.skipped)} "
              f"skipped, in {report.seconds:.1f} s -> {report.folder}")
        for quarter in report.written:
            print(f"  written:  {quarter}")
        for quarter, why in report.skipped:
            print(f"  skipped:  {quarter}: {why}")
    else:
        print(f"backfill: {len(report.written)} written, {len(report.skipped)} skipped -> {report.folder}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .pipeline.options import BuildOptions
    from .pipeline.pool import start_early

    if args.backfill:
        return _cmd_backfill(args)

    bar: list[tqdm] = []

    def on_plan(jobs: list) -> None:
        if not args.quiet:
            log.info("building %d packs (%d accounts + portfolio)", len(jobs), len(jobs) - 1)
        bar.append(tqdm(total=len(jobs), unit="pack", disable=True if args.quiet else None, file=sys.stderr))

    def on_done(job: Job, result: JobResult) -> None:
        log.debug("%s: %s in %.1f s", job.key, result.status, result.seconds)
        if result.status != "built" and not result.storage_error:   # a disk fault stops the build: said once
            log.error("%s (%s) failed: %s%s", job.name, job.key, result.error,
                      f" [{result.failed_cell}]" if result.failed_cell else "")
        bar[0].set_postfix_str(job.name[:30])
        bar[0].update(1)

    options = BuildOptions(data=args.data, config=args.config, quarter=args.quarter, accounts=args.accounts,
                           output=args.output, workers=args.workers, timeout=args.timeout, book=not args.no_book,
                           force=args.force, retry_failed=args.retry_failed, wait=args.wait, notebooks=args.notebooks,
                           scheduler=args.scheduler, render_timeout=args.render_timeout)
    log_file = getattr(args, "log_file", None)
    try:
        with start_early(options) as early:   # the workers boot while this process imports and reads the data
            from .pipeline.build import build

            report = build(options, progress=on_done, on_plan=on_plan, early=early)
    finally:
        if bar:
            bar[0].close()
    for key in report.failed:
        log.error("FAILED %s: %s", key, report.results[key].error)
    log.info("quarter %s: %d packs built, %d reused, %d failed, %.1f s -> %s", report.quarter,
             len(report.results) - len(report.failed) - len(report.reused), len(report.reused), len(report.failed),
             report.seconds, report.folder)
    built = len(report.results) - len(report.failed)
    if not args.quiet:
        if report.up_to_date:
            print(f"Quarter {report.quarter}: up to date, nothing rebuilt ({report.seconds:.1f} s; --force rebuilds)")
        else:
            fresh = built - len(report.reused)
            print(f"\nQuarter {report.quarter}: {built} of {len(report.results)} packs ready in {report.seconds:.1f} s "
                  f"({fresh} built, {len(report.reused)} unchanged)")
        print(f"  log:      {log_file}")
        print(f"  output:   {report.folder}")
        print(f"  index:    {report.folder / 'index.html'}")
        if report.book:
            print(f"  QBR book: {report.book}")
    for key in report.failed:
        stale = " (its previous pack is kept, marked stale)" if report.results[key].stale else ""
        print(f"  FAILED:   {key}: {report.results[key].error}{stale}", file=sys.stderr)
    if report.book_error:
        print(f"  FAILED:   book: {report.book_error}", file=sys.stderr)
    if report.kept_previous:
        print(f"  every pack failed: {report.folder} is kept as it was", file=sys.stderr)
    if args.quiet:
        print(f"{report.quarter}: {built}/{len(report.results)} packs built -> {report.folder}")
    return 0 if report.ok else 1


class _Masked(logging.Filter):
    """Every line logged, on the console and in the log file, with database passwords masked: a
    message quoting a driver's error or a URL can never show one."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .urls import mask_url

        message = record.getMessage()
        masked = mask_url(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _BuildLog(logging.FileHandler):
    """The build's log file. If a write fails (the disk is full), logging stops quietly and the
    failure is reported once at the end, instead of a traceback on the console for every line."""

    def __init__(self, path: Path):
        super().__init__(path, encoding="utf-8")
        self.failure: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.failure is None:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        exc = sys.exc_info()[1]
        self.failure = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            self.failure = self.failure or exc.strerror or str(exc)

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:
            self.failure = self.failure or exc.strerror or str(exc)


def _log_to_file(folder: Path) -> tuple[_BuildLog | None, str | None]:
    """Every build also logs to a file of its own, for unattended runs. When the file cannot be
    made, why (said after the build: if the output folder cannot be written either, the build's own
    error says it all, in one line)."""
    import time

    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = _BuildLog(folder / f"build-{time.strftime('%Y%m%d-%H%M%S')}.log")
    except OSError as exc:
        return None, f"no build log: cannot write to {folder} ({exc.strerror or exc})"
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    handler.addFilter(_Masked())
    logging.getLogger("kamreports").addHandler(handler)
    return handler, None


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises Terminated (a KeyboardInterrupt) in the main thread, so a build stopped by
    ``timeout``, systemd or Airflow cleans up as after Ctrl-C: workers and kernels stopped, staging
    removed, the lock released; then exit 143. A second SIGTERM ends the process at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _cmd_validate(args: argparse.Namespace) -> int:
    """Settings, data and every plan file, checked together: every problem listed in one run."""
    from .inputs import check_inputs

    checked = check_inputs(args.config, args.data)
    for warning in checked.warnings:
        log.warning("%s", warning)
    checked.raise_if_problems()  # exit 2 with the whole list (see _dispatch)
    dataset, portfolio = checked.dataset, checked.portfolio
    assert dataset is not None and portfolio is not None  # no problems: both were made
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in dataset.tables().items() if name in dataset.present)
    print(f"OK: {dataset.source}: {counts}; latest complete quarter {portfolio.quarter}; "
          f"{int(portfolio.summary['is_key'].sum())} key accounts")
    for row in dataset.quality.itertuples():  # what the profile did to the export
        print(f"  {row.step}: {row.table}: {row.what}: {row.count:,}" + (f" ({row.detail})" if row.detail else ""))
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    import yaml

    from .config import Settings
    from .data import SampleSpec, sample_dataset, write_folder
    from .data.sample_plans import sample_plans
    from .model import build_portfolio

    spec = SampleSpec(seed=args.seed, accounts=args.accounts)
    dataset = sample_dataset(spec)
    folder = write_folder(dataset, args.out)
    portfolio = build_portfolio(dataset, Settings())
    plans = sample_plans(dataset, list(portfolio.key_accounts.index), portfolio.quarter, spec.seed)
    (folder / "plans").mkdir(exist_ok=True)
    for account_id, plan in plans.items():
        (folder / "plans" / f"{account_id}.yaml").write_text(
            yaml.safe_dump(plan, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    print(f"sample company written to {folder}, with the plans of its {len(plans)} key accounts in "
          f"{folder / 'plans'}")
    print(f"  `kamreports build --data {folder}` reads them there (unless {folder.resolve().parent / 'plans'} "
          "exists); with a settings file, plans are read beside it: move them there")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from .project import init_project

    written = init_project(args.folder)
    print(f"starter project written to {args.folder}:")
    for path in written:
        print(f"  {path}")
    print(f"next: cd {args.folder}, put your tables in data/ (or try `kamreports sample --out data`), then "
          "`kamreports validate --config settings.yaml`; README.md lists every step")
    return 0


def _cmd_preview(args: argparse.Namespace) -> int:
    """``preview ACC-0002``: wiring only; kamreports.preview does the work."""
    from .preview import PreviewOptions, run_preview

    return run_preview(PreviewOptions(target=args.pack, data=args.data, config=args.config, quarter=args.quarter,
                                      notebooks=args.notebooks, output=args.output, port=args.port, pdf=args.pdf,
                                      timeout=args.timeout), say=lambda line: print(line, flush=True))


def _cmd_plan(args: argparse.Namespace) -> int:
    from .inputs import load_inputs
    from .plan_drafts import write_draft

    checked = load_inputs(args.config, args.data, args.quarter, [args.account_id])
    portfolio = checked.portfolio
    assert portfolio is not None and checked.settings is not None   # load_inputs raised otherwise
    path = write_draft(portfolio, checked.accounts[0], portfolio.plans_folder)
    where = f" --config {args.config}" if args.config else (f" --data {args.data}" if args.data else "")
    print(f"plan drafted: {path}\n  fill in every TODO, then run kamreports validate{where}")
    if portfolio.uses_sample_plans:
        print("  note: the sample company's packs show its own generated plans; this file is read once a "
              "settings file names your data ('data:') or sets 'accounts_dir' to this folder")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Bound to this call's stderr (not the first call's), quieter under --quiet.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr, force=True)
    log.setLevel(logging.INFO)
    if getattr(args, "quiet", False):
        for handler in logging.getLogger().handlers:
            handler.setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_Masked())
    handlers = {"build": _cmd_build, "validate": _cmd_validate, "sample": _cmd_sample, "plan": _cmd_plan,
                "init": _cmd_init, "preview": _cmd_preview}
    file_handler, log_problem = None, None
    if args.command == "build":
        file_handler, log_problem = _log_to_file(args.log_dir or args.output / "logs")
        args.log_file = Path(file_handler.baseFilename) if file_handler else None
    try:
        with _sigterm_as_interrupt():
            code = _dispatch(handlers[args.command], args)
    finally:
        if file_handler:
            logging.getLogger("kamreports").removeHandler(file_handler)
            file_handler.close()
    if file_handler is not None and file_handler.failure:
        log_problem = f"the build log {file_handler.baseFilename} is incomplete: {file_handler.failure}"
    if log_problem and code != 2:   # with exit 2 the error already says what is wrong with the output folder
        log.warning("%s", log_problem)
    return code


def _dispatch(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except BuildBusy as exc:
        log.error("%s", exc)
        return 3
    except KamError as exc:  # bad data, bad settings, unwritable output: the user's to fix, never a traceback
        log.error("%s", exc)
        return 2
    except Terminated:
        log.error("stopped (SIGTERM); the previous output is untouched")
        return 143
    except KeyboardInterrupt:
        log.error("interrupted; the previous output is untouched")
        return 130


if __name__ == "__main__":
    sys.exit(main())
