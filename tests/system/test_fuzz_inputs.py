"""Property-based fuzzing of everything a user hands us: CSV tables, settings YAML, plan YAML.

Whatever the bytes, each case must end in a success or in one of our errors
(DataValidationError / ConfigError) whose problems name the file: never another
exception, which the command line would show as a traceback.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamreports.cli import main
from kamreports.config import Settings, load_settings
from kamreports.data.loaders import load_folder
from kamreports.data.plans import load_plan
from kamreports.data.schema import TABLES
from kamreports.errors import ConfigError, DataValidationError
from kamreports.inputs import check_inputs
from tests.conftest import ROOT, write_company

FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much, HealthCheck.data_too_large])
FEW = settings(FUZZ, max_examples=40)
# Every property below runs 40 or 100 examples: marked slow, so `-m "not slow"` leaves them out.

# A tiny valid company; each property breaks one or more of its files.
VALID = {
    "accounts": "account_id,name,parent_id,industry,region,owner,start_date,wallet_estimate,product_fit\n"
                "A1,Acme Foods,,Food,EMEA,Maria Lopez,2020-01-15,50000,7\n"
                "A2,Birch Energy,,Energy,APAC,James Chen,2021-06-01,,\n"
                "A3,Acme Foods Nordic,A1,Food,EMEA,Maria Lopez,,1000,3\n",
    "products": "product_id,name,family,list_price\nP1,Core Platform,Software,1000\nP2,Support Plus,Services,250.5\n",
    "revenue": "account_id,date,product_id,revenue,cogs\n"
               "A1,2025-01-15,P1,1000.50,400\nA1,2025-04-02,P2,250,\nA2,2025-02-28,P1,\"1,200\",500\n"
               "A3,2025-07-31,P2,75.25,30\nA2,2025-10-03,P2,80,10\n",
    "targets": "account_id,quarter,target\nA1,2025Q1,1100\nA2,2025-Q1,1000\n",
    "opportunities": "opportunity_id,account_id,product_id,stage,amount,created_date,close_date,probability\n"
                     "O1,A1,P1,won,5000,2024-11-01,2025-01-10,1\nO2,A2,,open,2500,2025-03-01,,0.4\n",
    "stakeholders": "account_id,name,title,role,level,influence,sentiment,last_contact\n"
                    "A1,Anna Adams,CEO,economic_buyer,executive,5,2,2025-06-30\nA2,Ben Baker,,Champion,,3,-1,\n",
    "kam_costs": "account_id,quarter,cost\nA1,2025Q1,300\nA2,2025Q2,120\n",
    "feedback": "account_id,date,nps\nA1,2025-03-01,9\nA2,2025-05-01,4\n",
}
NAMES = list(VALID)


REQUIRED = [name for name, spec in TABLES.items() if not spec.optional]


def company(folder: Path, overrides: dict[str, bytes | None], full: bool = False) -> Path:
    """The required tables (all tables when ``full``) with ``overrides`` (None: leave the file out)."""
    return write_company(folder, {name: text for name, text in VALID.items() if full or name in REQUIRED}, **overrides)


def check_load(folder: Path) -> None:
    """load_folder succeeds, or raises DataValidationError whose every problem names a file of ours."""
    files = {str(folder / f"{name}.csv") for name in TABLES} | {str(folder)}
    try:
        dataset = load_folder(folder)
    except DataValidationError as exc:
        text = str(exc)
        assert exc.problems and "Traceback" not in text
        for problem in exc.problems:
            assert problem.source in files, problem
            assert str(problem)  # renders
        return
    # success: the tables are typed as the schema says
    assert str(dataset.revenue["revenue"].dtype) == "float64"
    assert str(dataset.revenue["date"].dtype).startswith("datetime64")
    assert dataset.accounts["account_id"].notna().all()


# --- cell and text strategies ----------------------------------------------------------------

NASTY_CELLS = [
    "", " ", "\ufeff", "\x00", "A1\x00", '"', '""', "'", "\\", ",", "\n", "\r", "\r\n", "nan", "NaN", "None", "null",
    "inf", "-inf", "1e400", "-1e400", "1e308", "9" * 40, "-" + "9" * 40, "0x10", "1_000", "1,2,3", "1.2.3", "+5",
    "-0", "0.0000000001", "1e-400", "5.5", "2026-02-30", "0001-01-01", "9999-12-31", "2262-04-12", "1677-09-21",
    "2026-13-01", "2026Q5", "2026Q0", "0000Q1", "9999Q4", "2026q3", "2026-Q3", "  2026 Q3 ", "1970-01-01T25:00",
    "A1", "A2", "P1", "won", "lost", "open", "champion", "executive", "株式会社テスト", "شركة", "🚀", "<script>",
    "=cmd|' /C calc'!A0", "x" * 5000,
]
cells = st.one_of(st.sampled_from(NASTY_CELLS), st.text(max_size=20),
                  st.integers(min_value=-10**30, max_value=10**30).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr),
                  st.dates().map(str))


def csv_quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\n\r') else cell


@st.composite
def table_text(draw, name: str) -> str:
    """The table's header (maybe shuffled, duplicated, trimmed) and rows of nasty cells, maybe ragged."""
    columns = list(TABLES[name].column_names)
    header = draw(st.lists(st.sampled_from(columns + ["extra", "", " account_id ", "ACCOUNT_ID"]),
                           min_size=0, max_size=len(columns) + 2)) if draw(st.booleans()) else columns
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, 0, -1, 1, 3]))
        rows.append(",".join(csv_quote(draw(cells)) for _ in range(max(width, 0))))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    body = eol.join([",".join(header)] + rows)
    return body + (eol if draw(st.booleans()) else "")


@pytest.fixture
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- CSV properties ----------------------------------------------------------------------------

@pytest.mark.slow
@FUZZ
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=400))
def test_random_bytes_in_any_table(folder, name, data):
    check_load(company(folder, {name: data}))


@pytest.mark.slow
@FUZZ
@given(name=st.sampled_from(NAMES), text=st.text(max_size=300), encoding=st.sampled_from(["utf-8", "utf-8-sig",
                                                                                          "utf-16", "latin-1"]))
def test_random_text_in_any_table(folder, name, text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    check_load(company(folder, {name: data}))


@pytest.mark.slow
@FUZZ
@given(header=st.lists(st.text(alphabet=string.printable, max_size=12), max_size=8),
       rows=st.lists(st.lists(cells, max_size=9), max_size=5), name=st.sampled_from(NAMES))
def test_random_headers_and_rows(folder, header, rows, name):
    lines = [",".join(csv_quote(h) for h in header)] + [",".join(csv_quote(c) for c in row) for row in rows]
    check_load(company(folder, {name: "\n".join(lines).encode("utf-8")}))


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_random_cells_in_every_column(folder, data):
    names = data.draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    check_load(company(folder, {n: data.draw(table_text(n)).encode("utf-8") for n in names}))


@pytest.mark.slow
@FUZZ
@given(name=st.sampled_from(NAMES), at=st.integers(0, 10_000), what=st.sampled_from(
    ["\ufeff", "\x00", '"', "'", ",", "\n", "\r", "\n\n", ",,,,", '"\n"', "\\", "\t", "\x1a", "\u2028", "\ud7ff",
     "#", "=", "1e400", "9" * 400]), repeat=st.integers(1, 3))
def test_a_valid_table_with_a_nasty_character_inserted(folder, name, at, what, repeat):
    text = VALID[name]
    at = at % (len(text) + 1)
    check_load(company(folder, {name: (text[:at] + what * repeat + text[at:]).encode("utf-8")}))


@pytest.mark.slow
@FUZZ
@given(name=st.sampled_from(NAMES), bom=st.sampled_from([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf",
                                                         b"\xff\xfe", b"\xfe\xff", b""]),
       drop=st.booleans())
def test_boms_and_missing_files(folder, name, bom, drop):
    overrides: dict[str, bytes | None] = {name: None} if drop else {name: bom + VALID[name].encode("utf-8")}
    check_load(company(folder, overrides))


def test_a_table_that_is_a_folder_or_unreadable_is_a_clean_problem(folder):
    company(folder, {"revenue": None})
    (folder / "revenue.csv").mkdir()
    with pytest.raises(DataValidationError) as info:
        load_folder(folder)
    assert "revenue.csv" in str(info.value)


@pytest.mark.slow
@FEW
@given(data=st.data())
def test_validate_command_never_shows_a_traceback(folder, data, capsys):
    """The whole `kamreports validate` on fuzzed data: exit 0 or 2, never an exception."""
    names = data.draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True))
    company(folder, {n: data.draw(table_text(n)).encode("utf-8") for n in names})
    code = main(["validate", "--data", str(folder)])
    out = capsys.readouterr()
    assert code in (0, 2), out
    assert "Traceback" not in out.err + out.out


# --- YAML -------------------------------------------------------------------------------------

SETTINGS_KEYS = ["company", "selection", "abc", "matrix", "report", "forecast", "whitespace", "health", "candidates",
                 "sensitivity", "stages", "roi", "data", "profile", "quarter", "accounts_dir", "criteria",
                 "threshold", "weights", "name", "logo", "page_size", "include", "exclude", "kind", "path", "url",
                 "tables", "a", "b", "split", "primary_color", "swot", "goals", "actions", "strengths", "horizon",
                 "goal", "owner", "due", "action", "status", "account_id", "revenue_volume", "product_fit"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=15),
                    st.sampled_from(["2026Q3", "A4", "#1f3b5c", "short", "~nosuchuser/x.png", "../../etc/passwd",
                                     "logo.png", "csv", "sql", "x\x00y", ""]),
                    st.dates(), st.datetimes())
keys = st.one_of(st.sampled_from(SETTINGS_KEYS), st.text(max_size=8), st.integers(-3, 3), st.booleans())
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(keys, inner, max_size=5)), max_leaves=25)
top_level = st.dictionaries(st.sampled_from(SETTINGS_KEYS), documents, max_size=6)

TAG_ATTACKS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "x: !!python/object/apply:os.system ['touch {marker}']",
    "company: !!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
    "swot: !!python/object:builtins.dict {}",
    "goals: !!python/tuple [1, 2]",
    "selection: !!set {a, b}",
    "quarter: !!binary aGVsbG8=",
    "x: &a [*a]",
    "a: &x 1\nb: *y",
    "quarter: 2026-13-45",
    "due: 2026-02-30",
    "report: {page_size: 2026-02-30 25:61:61}",
    "? [a, b]\n: 1",
    "? {a: 1}\n: 1",
    "%YAML 9.9\n---\nx: 1",
    "--- 1\n--- 2",
    "[" * 3000 + "]" * 3000,
    "{a: " * 2000 + "1" + "}" * 2000,
    "- " * 2000 + "x",
    "\t- x",
    "a: 'unterminated",
    "\x00",
    "\ufeffquarter: 2026Q3",
    "\ufeff\ufeffx: 1",
]


def yaml_text(draw_obj) -> str:
    return yaml.safe_dump(draw_obj, allow_unicode=True, default_flow_style=bool(len(str(draw_obj)) % 2))


def check_settings(path: Path) -> None:
    """load_settings gives Settings or a ConfigError naming the file."""
    try:
        settings_ = load_settings(path)
    except ConfigError as exc:
        assert exc.problems and str(path) in str(exc), str(exc)
        for problem in exc.problems:
            assert str(problem)
    else:
        assert isinstance(settings_, Settings)


def check_validate(path: Path, data: Path, marker: Path | None = None) -> None:
    """`kamreports validate --config path --data data`: every problem listed, nothing raised."""
    checked = check_inputs(path, data)
    for problem in checked.problems:
        assert str(problem)
    if checked.settings is None or checked.problems:
        assert any(str(path) in p.source for p in checked.problems) or checked.warnings, checked.problems
    if marker is not None:
        assert not marker.exists(), "YAML executed code"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return company(tmp_path_factory.mktemp("tiny"), {}, full=True)


def check_plan(folder: Path, account_id: str, marker: Path | None = None) -> None:
    try:
        plan = load_plan(folder, account_id)
    except ConfigError as exc:
        assert exc.problems and all(p.source == str(folder / f"{account_id}.yaml") for p in exc.problems), str(exc)
        assert str(exc)
    else:
        assert all(isinstance(v, list) and all(isinstance(t, str) for t in v) for v in plan.swot.values())
        for item in plan.goals + plan.actions:   # every value typed as its section declares it
            for name, value in dataclasses.asdict(item).items():
                assert value is None or isinstance(value, (str, float, bool, tuple, dt.date)), (name, value)
    if marker is not None:
        assert not marker.exists(), "YAML executed code"


@pytest.mark.slow
@FUZZ
@given(doc=st.one_of(top_level, documents))
def test_settings_random_structures(folder, doc):
    path = folder / "settings.yaml"
    path.write_text(yaml_text(doc), encoding="utf-8")
    check_settings(path)


SETTINGS_TEXT = st.one_of(st.text(max_size=200), st.text(alphabet=":-[]{}!&*?|>'\"%@`#,\n \t\\ab1", max_size=80))


@pytest.mark.slow
@settings(FUZZ, report_multiple_bugs=False)
@given(text=SETTINGS_TEXT, raw=st.binary(max_size=100), as_bytes=st.booleans())
def test_settings_random_text_and_bytes(folder, text, raw, as_bytes):
    path = folder / "settings.yaml"
    path.write_bytes(raw if as_bytes else text.encode("utf-8"))
    check_settings(path)


@pytest.mark.slow
@FEW
@given(doc=st.one_of(top_level, documents), text=SETTINGS_TEXT, raw=st.binary(max_size=60),
       form=st.sampled_from(["doc", "text", "bytes"]))
def test_validate_lists_settings_problems_and_never_raises(folder, tiny, doc, text, raw, form):
    path = folder / "settings.yaml"
    path.write_bytes({"doc": yaml_text(doc).encode("utf-8"), "text": text.encode("utf-8"), "bytes": raw}[form])
    check_validate(path, tiny)


@pytest.mark.parametrize("attack", TAG_ATTACKS)
def test_settings_tags_and_pathological_yaml_are_refused(tmp_path, tiny, attack):
    marker = tmp_path / "pwned"
    path = tmp_path / "settings.yaml"
    path.write_text(attack.replace("{marker}", str(marker)), encoding="utf-8")
    check_validate(path, tiny, marker)
    check_settings(path)  # a ConfigError naming the file, or settings; never another exception
    assert not marker.exists(), "YAML executed code"


PLAN_SHAPES = st.fixed_dictionaries({}, optional={
    "account_id": scalars,
    "swot": st.one_of(documents, st.dictionaries(st.sampled_from(["strengths", "weaknesses", "opportunities",
                                                                  "threats", "other"]), documents, max_size=4)),
    "goals": st.one_of(documents, st.lists(st.dictionaries(st.sampled_from(["horizon", "goal", "owner", "due", "x"]),
                                                           scalars, max_size=5), max_size=4)),
    "actions": st.one_of(documents, st.lists(st.dictionaries(st.sampled_from(["action", "owner", "due", "status"]),
                                                             documents, max_size=4), max_size=4)),
})


@pytest.mark.slow
@FUZZ
@given(doc=st.one_of(PLAN_SHAPES, documents))
def test_plan_random_structures(folder, doc):
    (folder / "A1.yaml").write_text(yaml_text(doc), encoding="utf-8")
    check_plan(folder, "A1")


@pytest.mark.slow
@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.text(alphabet=":-[]{}!&*?|>'\"%@`#,\n \t\\ab1", max_size=80)),
       raw=st.binary(max_size=100), as_bytes=st.booleans())
def test_plan_random_text_and_bytes(folder, text, raw, as_bytes):
    path = folder / "A1.yaml"
    path.write_bytes(raw if as_bytes else text.encode("utf-8"))
    check_plan(folder, "A1")


@pytest.mark.parametrize("attack", TAG_ATTACKS)
def test_plan_tags_and_pathological_yaml_are_refused(tmp_path, attack):
    marker = tmp_path / "pwned"
    (tmp_path / "A1.yaml").write_text(attack.replace("{marker}", str(marker)), encoding="utf-8")
    check_plan(tmp_path, "A1", marker)


def test_plan_that_is_a_folder_is_not_read(tmp_path):
    (tmp_path / "A1.yaml").mkdir()
    check_plan(tmp_path, "A1")


@pytest.mark.parametrize("account_id", ["../A1", "/etc/passwd", "sub/A1", "..", "", "A1\x00", "C:\\A1", "A1/../A1"])
def test_plan_file_names_cannot_leave_the_plans_folder(tmp_path, account_id):
    plans = tmp_path / "plans"
    plans.mkdir()
    (tmp_path / "A1.yaml").write_text("goals: [{horizon: never}]", encoding="utf-8")  # would be a ConfigError
    (plans / "sub").mkdir()
    (plans / "sub" / "A1.yaml").write_text("goals: [{horizon: never}]", encoding="utf-8")
    plan = load_plan(plans, account_id)
    assert plan.source is None


def test_nothing_in_the_package_uses_an_unsafe_yaml_loader():
    root = ROOT / "kamreports"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for bad in ("yaml.load(", "yaml.unsafe_load", "yaml.full_load", "yaml.Loader", "UnsafeLoader", "FullLoader"):
            assert bad not in text, f"{path}: {bad}"


def alias_bomb(key_path: str) -> str:
    """10**8 leaves through nested aliases: tiny as YAML, endless if anything calls str() on it."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    return "\n".join(lines) + "\n" + key_path + "\n"


@pytest.mark.parametrize("tail", ["swot: {strengths: *a7}", "swot: {strengths: [*a7]}", "goals: [{goal: *a7}]",
                                  "goals: *a7", "actions: [*a7]", "account_id: *a7", "swot: *a7"])
def test_plan_alias_bombs_are_refused_quickly(tmp_path, tail):
    import time

    (tmp_path / "A1.yaml").write_text(alias_bomb(tail), encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_plan(tmp_path, "A1")
    str(info.value)
    assert time.perf_counter() - started < 5
