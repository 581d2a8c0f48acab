"""Settings: defaults, YAML overrides, and every kind of bad file reported with its key path and file."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kamreports.config import (
    PROJECT_ROOT,
    Abc,
    Company,
    Matrix,
    Report,
    Selection,
    Settings,
    load_settings,
    settings_dict,
    validate,
)
from kamreports.errors import ConfigError
from tests.conftest import settings_file


def problems_of(path: Path) -> tuple[list, str]:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return info.value.problems, str(info.value)


def assert_one_problem(path: Path, *fragments: str):
    problems, text = problems_of(path)
    assert len(problems) == 1, text
    (p,) = problems
    assert p.source == str(path)
    assert str(path) in text
    for fragment in fragments:
        assert fragment in p.message, (fragment, p.message)
    return p


# --- defaults and overrides --------------------------------------------------------------------

def test_defaults_load_and_validate():
    settings = load_settings()
    assert settings == Settings()
    assert settings.source == "defaults"
    assert validate(settings) == []
    sel = settings.selection
    assert sum(sel.criteria.values()) == 100 and 3 <= len(sel.criteria) <= 5
    assert sum(settings.matrix.attractiveness.values()) == 100
    assert sum(settings.matrix.strength.values()) == 100
    assert settings.report == Report(page_size="A4", stale_contact_days=90)
    assert settings.abc == Abc(a=0.8, b=0.95)
    assert settings.accounts_path == Path.cwd() / "plans"   # never the tool's own files (config.plans_folder)
    assert settings.data_path is None


def test_one_overridden_key_keeps_every_other_default(tmp_path):
    path = settings_file(tmp_path, "selection:\n  threshold: 7\n")
    settings = load_settings(path)
    assert settings.selection.threshold == 7.0 and isinstance(settings.selection.threshold, float)
    assert settings.selection == dataclasses.replace(Selection(), threshold=7.0)
    assert (settings.company, settings.abc, settings.matrix, settings.report) == \
        (Company(), Abc(), Matrix(), Report())
    assert settings.quarter is None and settings.data is None
    assert settings.source == str(path)


def test_nested_and_top_level_overrides(tmp_path):
    path = settings_file(tmp_path, """
company:
  name: Acme Industrial
quarter: 2026-Q1
data: ../data
accounts_dir: plans
selection:
  max_key_accounts: 5
  include: {ACC-0001: "new CEO is an advocate"}
  criteria:
    revenue_volume: 50
    product_fit: 30
    solvency: 20
""")
    s = load_settings(path)
    assert s.company == Company(name="Acme Industrial")   # currency, colours stay default
    assert s.quarter == "2026-Q1"
    assert s.selection.max_key_accounts == 5
    assert s.selection.include == {"ACC-0001": "new CEO is an advocate"}
    assert s.selection.criteria == {"revenue_volume": 50, "product_fit": 30, "solvency": 20}
    assert s.selection.threshold == Selection().threshold
    # paths in a settings file are relative to that file's folder
    assert s.data_path.resolve() == tmp_path.resolve().parent / "data"
    assert s.accounts_path == tmp_path.resolve() / "plans"


def test_empty_file_and_empty_section_mean_defaults(tmp_path):
    assert load_settings(settings_file(tmp_path, "")) == Settings()
    assert load_settings(settings_file(tmp_path, "# nothing yet\n", "b.yaml")) == Settings()
    assert load_settings(settings_file(tmp_path, "selection:\nreport:\n", "c.yaml")) == Settings()


def test_settings_dict_is_plain_data():
    d = settings_dict(Settings())
    assert d["selection"]["threshold"] == 6.0
    assert d["matrix"]["split"] == 5.0


def test_params_default_yaml_is_exactly_the_defaults():
    path = PROJECT_ROOT / "params" / "default.yaml"
    if not path.exists():
        pytest.skip("params/default.yaml not written yet")
    settings = load_settings(path)
    assert settings == Settings()
    # the comparison above ignores `source`; check each section too so a drift says where
    for f in dataclasses.fields(Settings):
        if f.name != "source":
            assert getattr(settings, f.name) == getattr(Settings(), f.name), f.name


# --- one problem each ---------------------------------------------------------------------------

def test_unknown_key(tmp_path):
    assert_one_problem(settings_file(tmp_path, "selection:\n  treshold: 7\n"), "selection.treshold", "unknown key")
    assert_one_problem(settings_file(tmp_path, "colour: red\n", "b.yaml"), "'colour'", "unknown key")


def test_weights_not_summing_to_100(tmp_path):
    path = settings_file(tmp_path,
                         "selection:\n  criteria: {revenue_volume: 50, revenue_potential: 20, product_fit: 20}\n")
    assert_one_problem(path, "selection.criteria", "sum to 100", "90")   # 50 + 20 + 20


def test_too_few_criteria(tmp_path):
    path = settings_file(tmp_path, "selection:\n  criteria: {revenue_volume: 50, product_fit: 50}\n")
    assert_one_problem(path, "selection.criteria", "3-5", "2")


def test_too_many_criteria(tmp_path):
    path = settings_file(tmp_path, "selection:\n  criteria: {revenue_volume: 20, revenue_potential: 20,"
                                   " product_fit: 20, solvency: 20, strategic_value: 10, cultural_fit: 10}\n")
    assert_one_problem(path, "selection.criteria", "3-5", "6")


def test_unknown_criterion(tmp_path):
    path = settings_file(tmp_path, "selection:\n  criteria: {revenue_volume: 40, charm: 30, product_fit: 30}\n")
    assert_one_problem(path, "selection.criteria", "charm")


def test_unknown_matrix_factor(tmp_path):
    path = settings_file(tmp_path, "matrix:\n  strength: {share_of_wallet: 50, golf_handicap: 50}\n")
    assert_one_problem(path, "matrix.strength", "golf_handicap")


def test_bad_quarter_string(tmp_path):
    p = assert_one_problem(settings_file(tmp_path, "quarter: 2026Q5\n"), "'quarter'", "2026Q5")
    assert p.value == "2026Q5"


def test_quarter_of_the_wrong_type(tmp_path):
    assert_one_problem(settings_file(tmp_path, "quarter: 2026\n"), "'quarter'", "text")


def test_bad_page_size(tmp_path):
    p = assert_one_problem(settings_file(tmp_path, "report:\n  page_size: A5\n"), "report.page_size")
    assert p.value == "A5"
    letter = load_settings(settings_file(tmp_path, "report:\n  page_size: Letter\n", "ok.yaml"))
    assert letter.report.page_size == "Letter"


@pytest.mark.parametrize("text,fragment", [
    ("selection:\n  threshold: high\n", "selection.threshold"),
    ("selection:\n  threshold: true\n", "selection.threshold"),          # a bool is not a number
    ("selection:\n  max_key_accounts: 2.5\n", "selection.max_key_accounts"),
    ("selection:\n  include: [ACC-1, ACC-2]\n", "selection.include"),
    ("selection: 5\n", "selection"),
    ("selection:\n  threshold: 11\n", "selection.threshold"),
    ("selection:\n  max_key_accounts: 0\n", "selection.max_key_accounts"),
    ("selection:\n  tier_1: 5\n  tier_2: 6\n", "selection.tier_2"),
    ("abc:\n  a: 0.96\n", "abc"),
    ("matrix:\n  split: -1\n", "matrix.split"),
    ("selection:\n  include: {A1: x}\n  exclude: {A1: y}\n", "A1"),
])
def test_other_single_problems(tmp_path, text, fragment):
    assert_one_problem(settings_file(tmp_path, text), fragment)


def test_malformed_yaml(tmp_path):
    path = settings_file(tmp_path, "selection:\n  threshold: 7\n  criteria: {revenue_volume: 40\n")
    p = assert_one_problem(path, "not valid YAML")
    assert p.row is not None and p.row >= 3
    assert f"row {p.row}" in str(ConfigError([p]))


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "42\n"])
def test_top_level_must_be_a_mapping(tmp_path, text):
    assert_one_problem(settings_file(tmp_path, text), "top level", "mapping")


def test_file_that_cannot_be_read(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "missing.yaml")
    (p,) = info.value.problems
    assert p.source == str(tmp_path / "missing.yaml")
    assert "cannot be read" in p.message


# --- several problems together ---------------------------------------------------------------

def test_several_problems_are_reported_together(tmp_path):
    path = settings_file(tmp_path, """
colour: red
quarter: 2026Q9
selection:
  threshold: high
  criteria: {revenue_volume: 40, charm: 30}
report:
  page_size: A5
""")
    problems, text = problems_of(path)
    messages = [p.message for p in problems]
    assert all(p.source == str(path) for p in problems)
    expected = ["'colour'", "selection.threshold", "charm", "3-5", "sum to 100", "'quarter'", "report.page_size"]
    for fragment in expected:
        assert any(fragment in m for m in messages), (fragment, messages)
    # 40 + 30 = 70: one problem each for the unknown criterion, the count and the sum
    assert len(problems) == len(expected), text
    assert text.startswith(f"{len(problems)} settings problem(s)")
