"""Plans belong to the user's project (issue 16, item 2): validate, build, the notebooks' portfolio and
``plan new`` all read and write the folder config.plans_folder names; the sample company keeps its
generated plans; the key accounts without a plan file are listed for the analyst, with the folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kamreports.cli import main
from kamreports.config import PROJECT_ROOT
from kamreports.data import sample_dataset, write_folder
from kamreports.inputs import check_inputs, open_portfolio
from kamreports.model import SAMPLE_PLAN_SOURCE
from tests.conftest import ROOT

EXAMPLE_PLAN = ROOT / "docs" / "examples" / "ACC-0002.yaml"   # a valid plan of the sample's largest key account


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(sample_dataset(), tmp_path_factory.mktemp("sample") / "data")


def project(root: Path, tables: Path, settings: str = "data: data\n") -> Path:
    """A project as `kamreports init` lays it out: settings.yaml, data/, plans/ with ACC-0002's plan."""
    shutil.copytree(tables, root / "data")
    (root / "settings.yaml").write_text(settings, encoding="utf-8")
    (root / "plans").mkdir()
    shutil.copy(EXAMPLE_PLAN, root / "plans" / "ACC-0002.yaml")
    return root / "settings.yaml"


def plan_warnings(checked: object) -> list[str]:
    return [w for w in checked.warnings if "no plan file" in w]


def test_a_project_reads_the_plans_beside_its_settings_and_names_the_accounts_without_one(tmp_path, tables):
    config = project(tmp_path, tables)
    checked = check_inputs(config)
    assert checked.ok, checked.problems
    portfolio = checked.portfolio
    assert portfolio.plans_folder == tmp_path.resolve() / "plans"
    assert portfolio.plan("ACC-0002").source == str(tmp_path.resolve() / "plans" / "ACC-0002.yaml")
    keys = list(portfolio.key_accounts.index)
    assert portfolio.unplanned_key_accounts() == [a for a in keys if a != "ACC-0002"]
    [warning] = plan_warnings(checked)
    assert warning.startswith(f"{len(keys) - 1} key accounts have no plan file")
    assert f"Put <account id>.yaml in {tmp_path.resolve() / 'plans'};" in warning
    first = next(a for a in keys if a != "ACC-0002")
    assert f"`kamreports plan new {first} --config {config}`" in warning
    assert "ACC-0002" not in warning.split("Put")[0]
    assert str(PROJECT_ROOT / "params") not in " ".join(checked.warnings)


def test_a_build_warns_only_about_the_packs_it_builds(tmp_path, tables):
    config = project(tmp_path, tables)
    keys = list(check_inputs(config).portfolio.key_accounts.index)
    other = next(a for a in keys if a != "ACC-0002")
    assert plan_warnings(check_inputs(config, accounts=["ACC-0002"], all_plans=False)) == []
    [warning] = plan_warnings(check_inputs(config, accounts=["ACC-0002", other], all_plans=False))
    assert warning.startswith("1 key account has no plan file") and f": {other}." in warning


def test_with_data_and_no_settings_the_plans_are_beside_the_data_folder(tmp_path, tables):
    project(tmp_path, tables)
    checked = check_inputs(data=tmp_path / "data")
    assert checked.portfolio.plans_folder == tmp_path.resolve() / "plans"
    assert checked.portfolio.plan("ACC-0002").exists
    assert "--data" in plan_warnings(checked)[0]
    # the notebooks open the same portfolio with the same plans
    assert open_portfolio(data=tmp_path / "data").plan("ACC-0002").source == \
        str(tmp_path.resolve() / "plans" / "ACC-0002.yaml")


def test_plans_left_inside_the_data_folder_are_pointed_out(tmp_path, tables):
    config = project(tmp_path, tables)
    (tmp_path / "data" / "plans").mkdir()
    shutil.copy(EXAMPLE_PLAN, tmp_path / "data" / "plans" / "ACC-0003.yaml")
    [warning] = plan_warnings(check_inputs(config))
    assert f"({tmp_path / 'data' / 'plans'} holds plan files, but they are not read there" in warning


def test_accounts_dir_still_names_the_folder(tmp_path, tables):
    config = project(tmp_path, tables, "data: data\naccounts_dir: team_plans\n")
    shutil.move(tmp_path / "plans", tmp_path / "team_plans")
    checked = check_inputs(config)
    assert checked.portfolio.plans_folder == tmp_path.resolve() / "team_plans"
    assert checked.portfolio.has_plan("ACC-0002")


def test_the_sample_company_keeps_its_generated_plans_and_gets_no_plan_warning():
    checked = check_inputs()
    assert checked.ok
    assert plan_warnings(checked) == []
    assert checked.portfolio.plan("ACC-0002").source == f"{SAMPLE_PLAN_SOURCE} ACC-0002"
    assert checked.portfolio.unplanned_key_accounts() == []


def test_plan_files_beside_settings_for_the_sample_company_are_said_to_be_unused(tmp_path):
    (tmp_path / "settings.yaml").write_text("selection: {threshold: 6.0}\n", encoding="utf-8")
    (tmp_path / "plans").mkdir()
    shutil.copy(EXAMPLE_PLAN, tmp_path / "plans" / "ACC-0002.yaml")
    checked = check_inputs(tmp_path / "settings.yaml")
    assert checked.portfolio.uses_sample_plans
    assert any("holds 1 plan file(s), but the sample company's packs show its generated plans" in w
               for w in checked.warnings)


def test_plan_new_writes_into_the_projects_plans_folder(tmp_path, tables, capsys):
    config = project(tmp_path, tables)
    keys = list(check_inputs(config).portfolio.key_accounts.index)
    other = next(a for a in keys if a != "ACC-0002")
    assert main(["plan", "new", other, "--config", str(config)]) == 0
    assert (tmp_path / "plans" / f"{other}.yaml").is_file()
    assert f"validate --config {config}" in capsys.readouterr().out
    assert other not in check_inputs(config).portfolio.unplanned_key_accounts()
