"""``kamreports init DIR`` (issue 16, item 2): a starter project whose settings file holds every
declared setting, commented out with its default and a meaning, and never overwrites anything.
The build of such a project, installed from a wheel, is tests/system/test_install.py."""
from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import pytest
import yaml

from kamreports.cli import main
from kamreports.config import Settings, load_settings
from kamreports.data.profiles import load_profile
from kamreports.files import resource
from kamreports.project import STARTER_FILES, init_project, starter_settings

KEY_LINE = re.compile(r"^(?:# )?(?P<indent> *)(?P<key>[A-Za-z_]\w*):(?P<rest>.*)$")


def declared(cls: type = Settings, prefix: str = "") -> list[str]:
    """Every key the settings declare, as dotted paths; nested sections (and data's mapping form) too."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.name == "source":
            continue
        out.append(prefix + f.name)
        for inner in typing.get_args(hints[f.name]) or (hints[f.name],):
            if dataclasses.is_dataclass(inner):
                out += declared(inner, f"{prefix}{f.name}.")
    return out


def key_lines(text: str) -> dict[str, list[str]]:
    """Dotted key path -> what follows the key on each of its lines (a commented key counts)."""
    found: dict[str, list[str]] = {}
    stack: list[str] = []
    for line in text.splitlines():
        match = KEY_LINE.match(line)
        if match:
            stack = stack[:len(match["indent"]) // 2] + [match["key"]]
            found.setdefault(".".join(stack), []).append(match["rest"])
    return found


def test_every_declared_setting_is_in_the_starter_file_commented_with_its_meaning():
    text = starter_settings()
    lines = key_lines(text)
    for key in declared():
        assert key in lines, f"{key} is not in the starter settings"
        meaning = [re.sub(r'"[^"]*"', "", rest).partition("#")[2].strip() for rest in lines[key]]
        assert any(meaning), f"{key} has no comment saying what it means"
    active = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(active) == 1 and active[0].startswith("data: data ")   # the only key set: the project's data


def test_the_starter_file_loads_and_uncommented_gives_every_default(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text(starter_settings(), encoding="utf-8")
    assert load_settings(path) == dataclasses.replace(Settings(), data="data")
    # remove the "# " the starter put before each line of the default settings: the defaults, all written out
    default_lines = set(resource("default.yaml").read_text(encoding="utf-8").splitlines())
    _header, _, body = starter_settings().partition("\n\n")
    uncommented = [line[2:] if line.startswith("# ") and line not in default_lines else line
                   for line in body.splitlines()]
    path.write_text("\n".join(uncommented), encoding="utf-8")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(raw) == {f.name for f in dataclasses.fields(Settings) if f.name != "source"}
    assert load_settings(path) == dataclasses.replace(Settings(), data="data")


def test_init_writes_the_starter_project(tmp_path, capsys):
    assert main(["init", str(tmp_path / "acme")]) == 0
    root = tmp_path / "acme"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == sorted(STARTER_FILES)
    assert not list((root / "plans").glob("*.yaml"))          # an empty plans folder, with a README line
    assert "plan new" in (root / "plans" / "README.md").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    for step in ("kamreports validate --config settings.yaml", "kamreports plan new ACC-0001 --config settings.yaml",
                 "kamreports build --config settings.yaml", "kamreports sample --out data"):
        assert step in readme
    assert str(root / "settings.yaml") in capsys.readouterr().out
    profile = load_profile(root / "profiles" / "example.yaml", "example")   # a profile the loader accepts
    assert {"accounts", "products", "revenue"} <= set(profile.tables)


@pytest.mark.parametrize("existing", ["settings.yaml", "plans/README.md"])
def test_init_never_overwrites_and_says_which_files_are_in_the_way(tmp_path, capsys, existing):
    root = tmp_path / "acme"
    (root / existing).parent.mkdir(parents=True)
    (root / existing).write_text("mine\n", encoding="utf-8")
    assert main(["init", str(root)]) == 2
    err = capsys.readouterr().err
    assert str(root / existing) in err and "nothing was written" in err and "Traceback" not in err
    assert (root / existing).read_text(encoding="utf-8") == "mine\n"
    assert [p for p in root.rglob("*") if p.is_file()] == [root / existing]


def test_init_into_a_folder_with_other_files_keeps_them(tmp_path):
    (tmp_path / "notes.txt").write_text("keep\n", encoding="utf-8")
    written = init_project(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == list(STARTER_FILES)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep\n"


def test_validate_of_a_new_project_says_the_data_is_missing_then_passes_with_data(tmp_path, capsys):
    init_project(tmp_path / "acme")
    config = tmp_path / "acme" / "settings.yaml"
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'acme' / 'data'}: data folder does not exist" in err and "Traceback" not in err

    assert main(["sample", "--out", str(tmp_path / "acme" / "data")]) == 0
    capsys.readouterr()
    assert main(["validate", "--config", str(config)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("OK: ")
    warning = next(line for line in captured.err.splitlines() if "no plan file" in line)
    assert f"Put <account id>.yaml in {Path(tmp_path / 'acme' / 'plans').resolve()};" in warning
    assert "holds plan files, but they are not read there" in warning    # the sample's, in data/plans
