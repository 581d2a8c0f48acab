"""Everything a build reads, loaded and checked in one place: settings, data, portfolio, the
accounts asked for, and their plan files; and :func:`open_portfolio`, the notebooks' one call.

``kamreports validate`` and ``kamreports build`` both call :func:`check_inputs`, so the two can
never disagree about what is wrong. It never stops at the first kind of problem: a broken settings
file does not hide the data's problems, and every problem is listed with its file, row, column and
value.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings, load_settings, plans_folder, read_settings
from .data import Dataset, data_fingerprint, load_data, load_for_build
from .data.plans import PlanInputs, plan_files, validate_plan_files
from .data.sources import SourceRef
from .errors import ConfigError, DataValidationError, KamError, Problem, ProblemsError
from .files import path_fingerprint
from .model import Portfolio, build_portfolio, private_copy
from .periods import QuarterError, shift_quarter
from .protocol import SHARED_PORTFOLIO_ENV
from .records import attach_history, load_history, records_fingerprint, records_root


class InputError(DataValidationError, ConfigError):
    """Problems in both the data and the settings (or plans), listed together."""

    title = "problem(s) in the data and settings"


@dataclass
class CheckedInputs:
    """What :func:`check_inputs` found; the objects are None where they could not be made."""

    settings: Settings | None = None
    dataset: Dataset | None = None
    data_location: Path | SourceRef | None = None   # as load_for_build returns it
    portfolio: Portfolio | None = None
    accounts: list[str] = field(default_factory=list)      # the packs to build: --accounts, else the key accounts
    plans: dict[str, PlanInputs] = field(default_factory=dict)   # their plan files, loaded
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)   # "settings", "data", "plans"

    def add(self, kind: str, problems: list[Problem]) -> None:
        new = [p for p in problems if p not in self.problems]
        if new:
            self.problems += new
            self.kinds.add(kind)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_problems(self) -> None:
        """One error listing every problem: ConfigError for settings and plans only,
        DataValidationError for data only, InputError (both) for a mix."""
        if not self.problems:
            return
        if self.kinds <= {"settings", "plans"}:
            raise ConfigError(self.problems)
        if self.kinds == {"data"}:
            raise DataValidationError(self.problems)
        raise InputError(self.problems)


def _settings(config: Path | str | None, checked: CheckedInputs) -> Settings | None:
    """The settings, or when they have problems, the keys that were well-formed (so the data they
    name can still be checked); None when the file cannot be read at all."""
    try:
        settings, problems = read_settings(config)
    except ConfigError as exc:
        checked.add("settings", exc.problems)
        return None
    checked.add("settings", problems)
    return settings


def _requested_accounts(portfolio: Portfolio, accounts: list[str], checked: CheckedInputs) -> list[str]:
    """``--accounts`` as the data spells them (matched without regard to case), each once."""
    by_folded = {str(a).casefold(): a for a in portfolio.summary.index}
    found, unknown = [], []
    for wanted in accounts:
        match = wanted if wanted in portfolio.summary.index else by_folded.get(str(wanted).casefold())
        (found if match is not None else unknown).append(match if match is not None else wanted)
    checked.add("settings", [Problem("--accounts", f"no such account with revenue up to {portfolio.quarter}",
                                     value=a) for a in unknown])
    return list(dict.fromkeys(found))


def _quarter_named(problems: list[Problem], quarter: str | None, settings: Settings) -> list[Problem]:
    """A problem with the reporting quarter names where the quarter was given: ``--quarter``, or the
    settings file and its key (the model only knows it as "quarter")."""
    where = "--quarter" if quarter else settings.source
    return [dataclasses.replace(p, source=where, message=p.message if quarter else f"'quarter': {p.message}")
            if p.source == "quarter" else p for p in problems]


def _no_revenue(portfolio: Portfolio) -> list[Problem]:
    """A portfolio with no revenue in the four quarters to the reporting quarter has nothing to rank,
    select or forecast: every pack would be empty or fail, so it is bad input (exit 2), said once."""
    if float(portfolio.summary["revenue_t4q"].sum()) > 0:
        return []
    quarter = portfolio.quarter
    return [Problem(portfolio.dataset.source or "data",
                    f"revenue: no revenue in the four quarters {shift_quarter(quarter, -3)} to {quarter} (every "
                    "amount is zero or missing), so there is nothing to report; check the revenue table, or "
                    "choose a quarter with revenue (--quarter)")]


def check_inputs(config: Path | str | None = None, data: Path | str | None = None, quarter: str | None = None,
                 accounts: list[str] | None = None, all_plans: bool = True) -> CheckedInputs:
    """Check settings, data and plan files and collect every problem. ``all_plans`` checks every
    ``*.yaml`` in the plans folder (``kamreports validate``); otherwise only the plans of the
    packs to build: ``accounts``, or the key accounts (a build). Never raises for bad input."""
    checked = CheckedInputs()
    settings = _settings(config, checked)
    settings_ok = not checked.problems
    checked.settings = settings
    if settings is None and data in (None, ""):
        checked.warnings.append("the data was not checked: the settings file cannot be read, so where the data "
                                "is is unknown (or give --data)")
        return checked
    # unreadable settings: the defaults, but still the file's folder for the plans (config.plans_folder)
    settings = settings or Settings(source=str(config) if config not in (None, "") else "defaults")
    try:
        checked.dataset, checked.data_location = load_for_build(settings, data)
    except ProblemsError as exc:
        checked.add("data" if isinstance(exc, DataValidationError) else "settings", exc.problems)
    except KamError as exc:
        checked.add("data", [Problem(str(data or settings.source), str(exc))])
    except Exception as exc:  # only after settings problems, which it follows from
        if settings_ok:
            raise
        checked.warnings.append(f"the data was not checked: fix the settings problems first "
                                f"({type(exc).__name__}: {str(exc)[:200]})")

    dataset = checked.dataset
    if dataset is not None:
        checked.warnings += [str(p) for p in dataset.warnings]
        try:
            checked.portfolio = build_portfolio(dataset, settings, quarter)
        except ProblemsError as exc:
            checked.add("settings", _quarter_named(exc.problems, quarter, settings))
        except QuarterError as exc:
            checked.add("data", [Problem(dataset.source or "data", f"revenue: {exc}")])
        except Exception:  # settings already reported as broken; their effect is noise
            if settings_ok:
                raise

    portfolio = checked.portfolio
    if portfolio is not None:
        checked.add("data", _no_revenue(portfolio))
        checked.accounts = _requested_accounts(portfolio, accounts, checked) if accounts \
            else list(portfolio.key_accounts.index)
    sample_plans = portfolio is not None and portfolio.uses_sample_plans
    folder = portfolio.plans_folder if portfolio is not None else plans_folder(settings, data)
    if all_plans and not sample_plans:
        checked.add("plans", validate_plan_files(folder))
        if dataset is not None:
            known = set(dataset.accounts["account_id"].dropna())
            for path in plan_files(folder):
                if path.stem not in known:
                    checked.warnings.append(f"{path}: no account {path.stem!r} in the data, so this plan is "
                                            "never shown (the file name must be the account id)")
    if portfolio is not None and (sample_plans or not all_plans):
        for account_id in checked.accounts:
            try:
                checked.plans[account_id] = portfolio.plan(account_id)
            except ConfigError as exc:
                checked.add("plans", exc.problems)
    if portfolio is not None and checked.ok:   # advice for a run that can go on; problems come first
        if all_plans:   # validate: what the selection and the matrix lack (a build's pages say it in words)
            checked.warnings += portfolio.gap_warnings()
        checked.warnings += _plan_warnings(portfolio, checked.accounts if not all_plans else None, settings, data)
    return checked


def _plan_warnings(portfolio: Portfolio, building: list[str] | None, settings: Settings,
                   data: Path | str | None) -> list[str]:
    """What an analyst must hear about the plans, in the build log and from ``validate``: the key
    accounts (of the packs built, or all of them) without a plan file and the folder where the files
    go, and plan files in a folder that is not read. Never on a pack: an executive's page says only
    "No account plan agreed" (present.plan)."""
    folder = portfolio.plans_folder
    if portfolio.uses_sample_plans:
        if settings.source == "defaults" or not plan_files(folder):
            return []
        return [f"{folder} holds {len(plan_files(folder))} plan file(s), but the sample company's packs show "
                "its generated plans: name your data ('data:' in the settings) or set 'accounts_dir' to use them"]
    missing = portfolio.unplanned_key_accounts()
    if building is not None:
        missing = [a for a in missing if a in set(building)]
    if not missing:
        return []
    shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
    count = f"{len(missing)} key account{'s have' if len(missing) != 1 else ' has'}"
    message = (f"{count} no plan file, so their packs say \"No account plan agreed\": "
               f"{shown}. Put <account id>.yaml in {folder}; `{portfolio.plan_new_command(missing[0])}` drafts one "
               "from the data")
    located = Path(data) if data not in (None, "") else settings.data_path
    inside = located / "plans" if located is not None else None
    if inside is not None and inside.resolve() != folder.resolve() and plan_files(inside):
        message += (f" ({inside} holds plan files, but they are not read there: move them to {folder}, or set "
                    f"'accounts_dir' in a settings file)")
    return [message]


def load_inputs(config: Path | str | None = None, data: Path | str | None = None, quarter: str | None = None,
                accounts: list[str] | None = None) -> CheckedInputs:
    """:func:`check_inputs` for a build: only the plans of the packs to build; raise one error
    listing every problem, so nothing is written from bad input."""
    checked = check_inputs(config, data, quarter, accounts, all_plans=False)
    checked.raise_if_problems()
    return checked


_PORTFOLIOS: dict[tuple, Portfolio] = {}


def _portfolio_key(settings: Settings, data: str | Path | None, config: str | Path | None, quarter: str | None,
                   root: Path | None) -> tuple:
    """What identifies an opened portfolio: the data, profile, settings and records as they are now."""
    return (data_fingerprint(settings, data), path_fingerprint(config), quarter, str(root),
            records_fingerprint(root))


def share_portfolio(portfolio: Portfolio, path: Path, data: str | Path | None = None,
                    config: str | Path | None = None, quarter: str | None = None,
                    records: str | Path | None = None) -> Path:
    """Write ``portfolio`` (with its history) where :func:`open_portfolio`, called with the same
    arguments, finds it while ``SHARED_PORTFOLIO_ENV`` names ``path``. Why: the build has already
    computed what every kernel would compute again (about 3 s each on the sample, most of a small
    build); a pickle loads in a tenth of that. The key is taken now, so a file changed since makes
    the kernels compute afresh rather than use a stale copy. ``path`` must be private to the build:
    a pickle is code to whoever can write it."""
    import pickle

    settings = load_settings(config)
    root = Path(records).resolve() if records not in (None, "") else records_root(settings)
    key = _portfolio_key(settings, data, config, quarter, root)
    with open(path, "wb") as fh:
        pickle.dump((key, portfolio), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _shared_portfolio(key: tuple) -> Portfolio | None:
    """The build's portfolio when the build shared one under this key; None otherwise."""
    import os
    import pickle

    path = os.environ.get(SHARED_PORTFOLIO_ENV)
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            shared_key, portfolio = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None   # gone, or written by another version of the package: compute it
    return portfolio if shared_key == key else None


def open_portfolio(data: str | Path | None = None, config: str | Path | None = None,
                   quarter: str | None = None, records: str | Path | None = None) -> Portfolio:
    """Load settings and data, compute the quarter and attach its history (``portfolio.history``, and
    the summary's ``prev_*`` columns). ``data`` (a CSV or Parquet folder, or an Excel workbook)
    overrides where the settings' data is read from; the settings' profile still applies. With
    neither, the sample company. ``records``: the folder holding earlier quarters' records
    (``<records>/<quarter>/record/``); the build passes its own; by default the settings' ``records:``,
    else the repository's ``output/`` folder.

    A warm kernel runs many notebooks on the same inputs, so the result is cached for as long as
    the files it came from (data, profile, settings, records) are unchanged; a database is read once.
    In a build's kernels it is the build's own, computed once (:func:`share_portfolio`).
    """
    settings = load_settings(config)
    root = Path(records).resolve() if records not in (None, "") else records_root(settings)
    key = _portfolio_key(settings, data, config, quarter, root)
    if key not in _PORTFOLIOS:
        if len(_PORTFOLIOS) >= 4:
            _PORTFOLIOS.clear()
        portfolio = _shared_portfolio(key)
        if portfolio is None:
            portfolio = build_portfolio(load_data(settings, data), settings, quarter)
            portfolio = attach_history(portfolio, load_history(portfolio, root))
        _PORTFOLIOS[key] = portfolio
    cached = _PORTFOLIOS[key]
    portfolio = private_copy(cached)
    portfolio.dataset.quality = cached.dataset.quality.copy()  # the data-quality report and notes
    portfolio.dataset.notes = cached.dataset.notes
    return portfolio
