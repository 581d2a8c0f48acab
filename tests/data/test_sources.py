"""Sources: the same data from CSV, Excel, Parquet, SQLite, DuckDB and a real PostgreSQL server gives the
same canonical tables; a database password never shows."""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kamreports.config import load_settings, settings_dict
from kamreports.data import SampleSpec, SourceRef, load_data, load_for_build, sample_dataset, write_folder
from kamreports.data.loaders import load_folder
from kamreports.data.sources import as_text
from kamreports.errors import ConfigError, DataValidationError
from kamreports.model import build_portfolio
from kamreports.urls import mask_url
from tests.conftest import FIXTURES, ROOT

SALESFORCE_EXPORT = FIXTURES / "salesforce_export"
SALESFORCE_FILES = {"accounts": "Accounts.csv", "products": "Products.csv",
                    "opportunities": "Opportunities with Products.csv"}
MAVEN = ROOT / "datasets" / "maven_crm"
MAVEN_PROFILE = ROOT / "params" / "examples" / "maven_crm_profile.yaml"
PASSWORD = "Kam-" + secrets.token_hex(6)


# --- helpers --------------------------------------------------------------------------------------

def write_settings(folder: Path, data: object, profile: object = None, name: str = "settings.yaml") -> Path:
    body = {"data": data}
    if profile is not None:
        body["profile"] = profile
    path = folder / name
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="mergesort", na_position="first").reset_index(drop=True)


def assert_same_dataset(got, want, tmp_path: Path, ordered: bool = True) -> None:
    """Identical canonical tables (same values, same types), and identical files when written out as
    <table>.csv. A SQL table has no row order, so ``ordered=False`` compares rows as sets."""
    assert got.present == want.present
    arrange = (lambda f: f.reset_index(drop=True)) if ordered else _sorted
    for name in want.present:
        pd.testing.assert_frame_equal(arrange(got.table(name)), arrange(want.table(name)), check_dtype=True, obj=name)
    a, b = write_folder(got, tmp_path / "got"), write_folder(want, tmp_path / "want")
    for name in want.present:
        lines = [sorted((folder / f"{name}.csv").read_text().splitlines()[1:]) if not ordered
                 else (folder / f"{name}.csv").read_text().splitlines() for folder in (a, b)]
        assert lines[0] == lines[1], name
        assert (a / f"{name}.csv").read_text().splitlines()[0] == (b / f"{name}.csv").read_text().splitlines()[0]
    quality = [q.assign(detail=q["detail"].where(q["step"] != "drop", "")) for q in (got.quality, want.quality)]
    pd.testing.assert_frame_equal(*quality)         # row numbers in a "drop" detail depend on the order


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory) -> Path:
    """The sample company (small) as canonical CSV: the reference every source must reproduce."""
    return write_folder(sample_dataset(SampleSpec(accounts=30)), tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def reference(sample_folder):
    return load_folder(sample_folder)


def typed_tables(reference) -> dict[str, pd.DataFrame]:
    """The canonical tables as a database would hold them: dates as timestamps, numbers as numbers."""
    return {name: reference.table(name).astype({c: "object" for c in reference.table(name).columns
                                                if pd.api.types.is_string_dtype(reference.table(name)[c])})
            for name in reference.present}


def raw_maven_typed() -> dict[str, pd.DataFrame]:
    """The Maven export as typed database tables: dates, whole numbers and decimals."""
    out = {}
    for name in ("accounts", "products", "sales_pipeline", "sales_teams"):
        frame = pd.read_csv(MAVEN / f"{name}.csv")
        for col in ("engage_date", "close_date"):
            if col in frame:
                frame[col] = pd.to_datetime(frame[col])
        out[name] = frame.astype({c: "object" for c in frame.columns if pd.api.types.is_string_dtype(frame[c])})
    return out


def _need_maven() -> None:
    assert (MAVEN / "sales_pipeline.csv").is_file(), f"the bundled Maven CRM export is missing at {MAVEN}"


def fill_sqlalchemy(url: str, tables: dict[str, pd.DataFrame], schema: str | None = None) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as conn:
            if schema:
                conn.execute(sqlalchemy.text(f"create schema if not exists {schema}"))
            for name, frame in tables.items():
                frame.to_sql(name, conn, schema=schema, index=False, if_exists="replace")
    finally:
        engine.dispose()


def fill_duckdb(path: Path, tables: dict[str, pd.DataFrame]) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f'create or replace table "{name}" as select * from frame')
            con.unregister("frame")
    finally:
        con.close()


# --- URL masking and settings -----------------------------------------------------------------------

@pytest.mark.parametrize("url, shown", [
    ("postgresql://kam:s3cret@db.example/crm", "postgresql://kam:***@db.example/crm"),
    ("postgresql+psycopg://kam:p%40ss:w@127.0.0.1:5432/crm?sslmode=require",
     "postgresql+psycopg://kam:***@127.0.0.1:5432/crm?sslmode=require"),
    ("mssql+pyodbc://u:pw@dsn", "mssql+pyodbc://u:***@dsn"),
    ("postgresql://db/crm?user=kam&password=s3cret", "postgresql://db/crm?user=kam&password=***"),
    ("sqlite:///data/crm.db", "sqlite:///data/crm.db"),
    ("duckdb:///:memory:", "duckdb:///:memory:"),
    ("error at postgresql://a:b@h/d: refused", "error at postgresql://a:***@h/d: refused"),
])
def test_mask_url(url, shown):
    assert mask_url(url) == shown


def test_data_mapping_is_validated_like_settings(tmp_path):
    cases = {
        "data: {kind: access, path: x}\n": "'data.kind' must be one of csv, excel, parquet, sql",
        "data: {kind: sql}\n": "'data.url' is required for kind sql",
        "data: {kind: excel}\n": "'data.path' is required for kind excel",
        "data: {kind: csv, path: x, url: 'postgresql://a:b@h/d'}\n": "'data.url' is only for kind sql",
        "data: {kind: sql, url: 'sqlite://', tabels: {}}\n": "unknown key 'data.tabels'",
        "data: 5\n": "'data' must be text or a mapping or empty",
        "profile: p.yaml\n": "'profile' needs 'data'",
    }
    for i, (text, fragment) in enumerate(cases.items()):
        path = tmp_path / f"s{i}.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            load_settings(path)
        assert fragment in str(info.value), (text, str(info.value))
        assert "postgresql://a:b@" not in str(info.value)


def test_settings_dict_masks_the_password(tmp_path):
    path = write_settings(tmp_path, {"kind": "sql", "url": f"postgresql://kam:{PASSWORD}@db/crm"})
    settings = load_settings(path)
    assert settings.data.url.endswith("@db/crm")
    shown = settings_dict(settings)
    assert shown["data"]["url"] == "postgresql://kam:***@db/crm"
    assert PASSWORD not in repr(shown)


def test_url_environment_variables(tmp_path, monkeypatch):
    db = tmp_path / "crm.db"
    fill_sqlalchemy(f"sqlite:///{db}", {"t": pd.DataFrame({"a": [1]})})
    path = write_settings(tmp_path, {"kind": "sql", "url": "sqlite:///${KAM_TEST_DB}"})
    monkeypatch.delenv("KAM_TEST_DB", raising=False)
    with pytest.raises(ConfigError, match=r"\$\{KAM_TEST_DB\}, which is not set"):
        load_data(load_settings(path))
    monkeypatch.setenv("KAM_TEST_DB", str(db))
    with pytest.raises(DataValidationError, match="required table 'accounts' is missing"):
        load_data(load_settings(path))


def test_a_missing_extra_says_how_to_install_it(tmp_path, monkeypatch):
    import importlib

    real = importlib.import_module

    def no_openpyxl(name, *args, **kwargs):
        if name == "openpyxl":
            raise ImportError("No module named 'openpyxl'")
        return real(name, *args, **kwargs)

    book = tmp_path / "book.xlsx"
    book.write_bytes(b"not really a workbook")
    monkeypatch.setattr(importlib, "import_module", no_openpyxl)
    with pytest.raises(ConfigError) as info:
        load_data(load_settings(write_settings(tmp_path, {"kind": "excel", "path": "book.xlsx"})))
    assert 'pip install "kamreports[sources]"' in str(info.value) and "openpyxl" in str(info.value)


def test_cells_become_the_text_a_csv_would_hold():
    frame = pd.DataFrame({"n": [1.0, 2.5, None],
                          "d": pd.to_datetime(["2024-01-05", None, "2024-02-01 10:30"], format="ISO8601"),
                          "i": pd.array([3, None, 5], dtype="Int64"), "s": ["a", None, "c"]})
    text = as_text(frame)
    assert text.to_dict("list") == {"n": ["1", "2.5", ""], "d": ["2024-01-05", "", "2024-02-01T10:30:00"],
                                    "i": ["3", "", "5"], "s": ["a", "", "c"]}


# --- file sources ------------------------------------------------------------------------------------

def test_excel_and_parquet_give_the_csv_tables(reference, sample_folder, tmp_path):
    tables = typed_tables(reference)
    book = tmp_path / "crm.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    assert_same_dataset(load_data(load_settings(write_settings(tmp_path, {"kind": "excel", "path": "crm.xlsx"}))),
                        reference, tmp_path / "excel")
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    for name, frame in tables.items():
        frame.to_parquet(parquet / f"{name}.parquet", index=False)
    assert_same_dataset(load_data(load_settings(write_settings(tmp_path, {"kind": "parquet", "path": "parquet"}))),
                        reference, tmp_path / "pq")
    # --data infers the kind from the path
    assert_same_dataset(load_data(data=book), reference, tmp_path / "excel2")
    assert_same_dataset(load_data(data=parquet), reference, tmp_path / "pq2")


def test_salesforce_example_from_an_excel_workbook_with_sheets_mapped_by_name(tmp_path):
    book = tmp_path / "Salesforce.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        for name, file in SALESFORCE_FILES.items():
            frame = pd.read_csv(SALESFORCE_EXPORT / file, dtype=str, keep_default_na=False)
            frame.to_excel(writer, sheet_name=file.removesuffix(".csv")[:31], index=False)
    sheets = {name: file.removesuffix(".csv")[:31] for name, file in SALESFORCE_FILES.items()}
    settings = write_settings(tmp_path, {"kind": "excel", "path": book.name, "tables": sheets},
                              str(FIXTURES / "salesforce_profile.yaml"))
    want = load_data(load_settings(FIXTURES / "salesforce.yaml"))
    assert_same_dataset(load_data(load_settings(settings)), want, tmp_path)


def test_a_missing_sheet_is_named(tmp_path):
    book = tmp_path / "b.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(book, sheet_name="Other", index=False)
    with pytest.raises(DataValidationError) as info:
        load_data(load_settings(write_settings(tmp_path, {"kind": "excel", "path": "b.xlsx"})))
    assert f"{book} [sheet 'accounts']" in str(info.value)


# --- SQL: SQLite, DuckDB, PostgreSQL --------------------------------------------------------------------

def test_sqlite_gives_the_csv_tables(reference, tmp_path):
    db = tmp_path / "crm.sqlite"
    fill_sqlalchemy(f"sqlite:///{db}", typed_tables(reference))
    # a relative SQLite file is relative to the settings file, like every path in it
    got = load_data(load_settings(write_settings(tmp_path, {"kind": "sql", "url": "sqlite:///crm.sqlite"})))
    assert_same_dataset(got, reference, tmp_path, ordered=False)
    assert got.source == f"sqlite:///{db}"
    # rows stored in another order give the very same tables (and so the same inputs hash)
    shuffled = tmp_path / "shuffled.sqlite"
    fill_sqlalchemy(f"sqlite:///{shuffled}", {n: f.iloc[::-1] for n, f in typed_tables(reference).items()})
    again = load_data(load_settings(write_settings(tmp_path, {"kind": "sql", "url": f"sqlite:///{shuffled}"}, None,
                                                   "shuffled.yaml")))
    assert_same_dataset(again, got, tmp_path / "again", ordered=True)


def test_sql_tables_may_be_queries_or_other_names(reference, tmp_path):
    db = tmp_path / "crm.sqlite"
    tables = typed_tables(reference)
    tables["crm_revenue"] = tables.pop("revenue")
    fill_sqlalchemy(f"sqlite:///{db}", tables)
    data = {"kind": "sql", "url": f"sqlite:///{db}",
            "tables": {"revenue": "crm_revenue",
                       "accounts": "select * from accounts order by rowid",
                       "feedback": "with f as (select * from feedback) select * from f"}}
    assert_same_dataset(load_data(load_settings(write_settings(tmp_path, data))), reference, tmp_path, ordered=False)
    data["tables"]["kam_costs"] = "no_such_table"
    with pytest.raises(DataValidationError, match="table 'no_such_table' in sqlite:///.*does not exist"):
        load_data(load_settings(write_settings(tmp_path, data)))
    data["tables"]["kam_costs"] = "select nonsense from nowhere"
    with pytest.raises(DataValidationError, match="query for 'kam_costs' .* cannot be read: OperationalError"):
        load_data(load_settings(write_settings(tmp_path, data)))


def test_duckdb_gives_the_csv_tables(reference, tmp_path):
    db = tmp_path / "crm.duckdb"
    fill_duckdb(db, typed_tables(reference))
    got = load_data(load_settings(write_settings(tmp_path, {"kind": "sql", "url": f"duckdb:///{db}"})))
    assert_same_dataset(got, reference, tmp_path, ordered=False)


def test_maven_through_its_profile_from_sqlite_and_duckdb(tmp_path):
    _need_maven()
    want = load_data(load_settings(write_settings(tmp_path, str(MAVEN), str(MAVEN_PROFILE), "csv.yaml")))
    sqlite = tmp_path / "maven.sqlite"
    fill_sqlalchemy(f"sqlite:///{sqlite}", raw_maven_typed())
    got = load_data(load_settings(write_settings(tmp_path, {"kind": "sql", "url": f"sqlite:///{sqlite}"},
                                                 str(MAVEN_PROFILE), "sqlite.yaml")))
    assert_same_dataset(got, want, tmp_path / "sqlite", ordered=False)
    duck = tmp_path / "maven.duckdb"
    fill_duckdb(duck, raw_maven_typed())
    got = load_data(load_settings(write_settings(tmp_path, {"kind": "sql", "url": f"duckdb:///{duck}"},
                                                 str(MAVEN_PROFILE), "duck.yaml")))
    assert_same_dataset(got, want, tmp_path / "duck", ordered=False)


# --- a real PostgreSQL server, started for these tests ---------------------------------------------------

def _pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]),
                            reverse=True):
        if Path(candidate, "initdb").is_file() and Path(candidate, "pg_ctl").is_file():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster on loopback, in a temp dir, password-protected; stopped afterwards.

    Locally it is skipped only when PostgreSQL is not installed and CI is unset; in CI (CI=true) a
    server that cannot be started fails the tests (./quickstart test installs it)."""
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (Debian: apt-get install postgresql; ./quickstart test does it)")
        pytest.skip("PostgreSQL binaries are not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="kam-pg-"))
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    (root / "pw").write_text(PASSWORD + "\n")
    if as_root:
        os.chmod(root, 0o700)
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(root / "pw", "postgres", "postgres")
    data, port = root / "data", _free_port()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(prefix + [str(a) for a in args], capture_output=True, text=True, timeout=120,
                              cwd="/", env={**os.environ, "LC_ALL": "C.UTF-8"})

    started = False
    try:
        done = run(bindir / "initdb", "-D", data, "-U", "kam", f"--pwfile={root / 'pw'}", "-A", "scram-sha-256",
                   "-E", "UTF8", "--locale=C.UTF-8")
        if done.returncode != 0:
            pytest.fail(f"initdb failed: {done.stderr[-2000:]}")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        done = run(bindir / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-t", "60", "-o", options, "start")
        started = done.returncode == 0
        if not started:
            log = (root / "server.log").read_text(errors="replace")[-2000:] if (root / "server.log").exists() else ""
            pytest.fail(f"PostgreSQL did not start: {done.stderr[-1000:]} {log}")
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="kam", password=PASSWORD, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute("create database crm")
        yield {"host": "127.0.0.1", "port": port, "url": f"postgresql+psycopg://kam:{PASSWORD}@127.0.0.1:{port}/crm"}
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "60", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_gives_the_csv_tables_and_never_shows_the_password(postgres, reference, tmp_path):
    fill_sqlalchemy(postgres["url"], typed_tables(reference), schema="kam")
    tables = {name: f"kam.{name}" for name in reference.present}
    settings_file = write_settings(tmp_path, {"kind": "sql", "url": postgres["url"], "tables": tables})
    settings = load_settings(settings_file)
    got, location = load_for_build(settings)
    assert_same_dataset(got, reference, tmp_path, ordered=False)

    masked = f"postgresql+psycopg://kam:***@127.0.0.1:{postgres['port']}/crm"
    assert isinstance(location, SourceRef) and str(location) == masked == got.source
    # what the build writes: the manifest's inputs.data and settings, and the notebooks' parameters
    from kamreports.pipeline.build import plan_jobs
    from kamreports.pipeline.pack import write_manifest

    portfolio = build_portfolio(got, settings)
    jobs = plan_jobs(portfolio, list(portfolio.key_accounts.index[:1]), location, settings_file,
                     ROOT / "notebooks")
    assert all(job.parameters["data"] == "" for job in jobs)
    manifest = write_manifest(tmp_path, portfolio, [], {}, None, settings, location, "digest", 0.0, {}, {}, "b")
    assert manifest["inputs"]["data"] == masked
    text = (tmp_path / "manifest.json").read_text()
    assert PASSWORD not in text and masked in text and PASSWORD not in repr(jobs)


def test_postgres_through_an_environment_variable_and_a_wrong_password(postgres, tmp_path, monkeypatch):
    _need_maven()
    fill_sqlalchemy(postgres["url"], raw_maven_typed())
    monkeypatch.setenv("KAM_TEST_PG_PASSWORD", PASSWORD)
    url = f"postgresql+psycopg://kam:${{KAM_TEST_PG_PASSWORD}}@127.0.0.1:{postgres['port']}/crm"
    got = load_data(load_settings(write_settings(tmp_path, {"kind": "sql", "url": url}, str(MAVEN_PROFILE))))
    want = load_data(load_settings(write_settings(tmp_path, str(MAVEN), str(MAVEN_PROFILE), "csv.yaml")))
    assert_same_dataset(got, want, tmp_path, ordered=False)

    wrong = "Wrong-" + secrets.token_hex(4)
    bad = write_settings(tmp_path, {"kind": "sql", "url": url.replace("${KAM_TEST_PG_PASSWORD}", wrong)},
                         str(MAVEN_PROFILE), "bad.yaml")
    with pytest.raises(DataValidationError) as info:
        load_data(load_settings(bad))
    text = str(info.value)
    assert "cannot be read" in text and "kam:***@127.0.0.1" in text
    assert wrong not in text and PASSWORD not in text


def test_cli_error_with_a_password_in_the_url_is_masked(tmp_path, capsys, caplog):
    from kamreports.cli import main

    settings = write_settings(tmp_path, {"kind": "sql", "url": f"postgresql+psycopg://kam:{PASSWORD}@127.0.0.1:1/x"})
    assert main(["validate", "--config", str(settings)]) == 2
    err = capsys.readouterr().err + caplog.text
    assert "kam:***@127.0.0.1:1/x" in err and PASSWORD not in err and "Traceback" not in err
