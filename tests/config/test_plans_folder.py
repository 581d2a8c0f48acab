"""Where account plans are read (config.plans_folder, issue 16 item 2): they belong to the user's
project, never to the tool's own files."""
from __future__ import annotations

from pathlib import Path

from kamreports.config import PROJECT_ROOT, Settings, load_settings, plans_folder
from tests.conftest import settings_file


def test_accounts_dir_is_relative_to_the_settings_file(tmp_path):
    path = settings_file(tmp_path, "accounts_dir: team/plans\n")
    wanted = tmp_path.resolve() / "team" / "plans"
    assert plans_folder(load_settings(path)) == wanted
    assert plans_folder(load_settings(path), data=tmp_path / "elsewhere" / "data") == wanted


def test_without_accounts_dir_plans_sit_beside_the_settings_file(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    path = settings_file(project, "data: ../exports\n")
    assert plans_folder(load_settings(path)) == project.resolve() / "plans"
    # --data moves the data, not the project: the plans stay beside the settings file
    assert plans_folder(load_settings(path), data=tmp_path / "other" / "data") == project.resolve() / "plans"


def test_with_data_and_no_settings_file_plans_sit_beside_the_data(tmp_path):
    assert plans_folder(Settings(), data=tmp_path / "exports" / "2026-09") == tmp_path.resolve() / "exports" / "plans"
    assert plans_folder(Settings(), data=tmp_path / "crm.xlsx") == tmp_path.resolve() / "plans"   # a workbook too


def test_with_nothing_given_the_current_folder_never_the_tools_own(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = plans_folder(Settings())
    assert folder == tmp_path / "plans"
    assert Settings().accounts_path == folder   # the old name answers with the same rule


def test_no_setting_or_argument_reaches_params_accounts(tmp_path, monkeypatch):
    """The rule the issue reported: plans read from the checkout's params/accounts unless accounts_dir was set."""
    monkeypatch.chdir(tmp_path)
    cases = [plans_folder(Settings()), plans_folder(Settings(), tmp_path / "d"),
             plans_folder(load_settings(settings_file(tmp_path, "quarter: 2026Q3\n")))]
    assert all(Path(PROJECT_ROOT / "params") not in folder.parents for folder in cases)


def test_with_data_alone_a_plans_folder_inside_it_is_read_when_none_is_beside_it(tmp_path):
    data = tmp_path / "export"
    (data / "plans").mkdir(parents=True)            # as `kamreports sample --out export` writes it
    assert plans_folder(Settings(), data) == (data / "plans").resolve()
    (tmp_path / "plans").mkdir()                    # the project's own folder wins once it exists
    assert plans_folder(Settings(), data) == (tmp_path / "plans").resolve()
