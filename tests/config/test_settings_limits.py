"""Settings a hostile or unlucky user hands us: .nan and .inf in any number, a logo that is not an image,
an alias bomb anywhere (under quarter:, selection.include, an unknown key, a profile), a key written
twice, a quarter with no data. Each is a problem naming the file and the key, never a NaN score, a
dropped criterion or a MemoryError."""
from __future__ import annotations

import dataclasses
import os
import time
import typing

import pytest

from kamreports.config import Settings, read_settings
from kamreports.errors import ConfigError
from kamreports.inputs import check_inputs
from tests.foundation.test_yaml_limits import alias_bomb


def _numbers() -> list[tuple[str, str, str]]:
    """(section, key, YAML holding .nan there) for every float setting and every weights mapping."""
    out = []
    for section in dataclasses.fields(Settings):
        cls = section.default_factory if section.default_factory is not dataclasses.MISSING else None
        if cls is None or not dataclasses.is_dataclass(cls):
            continue
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            if hint is float:
                out.append((section.name, f.name, f"{section.name}:\n  {f.name}: VALUE\n"))
            elif typing.get_origin(hint) is dict and typing.get_args(hint)[1] is float:
                default = getattr(cls(), f.name)
                first = next(iter(default), "x")
                out.append((section.name, f"{f.name}.{first}",
                            f"{section.name}:\n  {f.name}: {{{first}: VALUE}}\n"))
    return out


NUMBERS = _numbers()


def test_every_number_setting_is_covered():
    keys = {f"{s}.{k}" for s, k, _ in NUMBERS}
    assert {"selection.criteria.revenue_volume", "health.weights.growth", "selection.tier_1", "roi.discount_rate",
            "matrix.attractiveness.revenue_potential", "candidates.promote_growth"} <= keys


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf"])
@pytest.mark.parametrize("section,key,text", NUMBERS, ids=[f"{s}.{k}" for s, k, _ in NUMBERS])
def test_nan_and_infinity_are_refused_in_every_number_setting(tmp_path, section, key, text, value):
    path = tmp_path / "settings.yaml"
    path.write_text(text.replace("VALUE", value), encoding="utf-8")
    settings, problems = read_settings(path)
    shown = {".nan": ".nan", ".NaN": ".nan", ".inf": ".inf", "-.inf": "-.inf"}[value]
    assert [str(p) for p in problems] == [f"{path}: '{section}.{key}' must be a finite number, not {shown}"]
    assert settings == Settings(source=str(path))   # the key keeps its default: nothing downstream sees NaN


def test_nan_in_a_whole_number_setting_is_a_type_problem(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("selection:\n  max_key_accounts: .nan\n", encoding="utf-8")
    assert [str(p) for p in read_settings(path)[1]] == [
        f"{path}: value 'nan': 'selection.max_key_accounts' must be a whole number"]


@pytest.mark.parametrize("name,content,expected", [
    ("logo.png", b"<html>404 Not Found</html>", "is not a PNG image"),
    ("logo.jpg", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "is not a JPEG image"),
    ("logo.svg", b"%PDF-1.7\n", "is not an SVG image"),
    ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024), "is 3.0 MB; a logo must be at most 2 MB"),
])
def test_a_logo_that_is_not_the_image_its_name_says_is_a_problem(tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)
    path = tmp_path / "settings.yaml"
    path.write_text(f"company:\n  logo: {name}\n", encoding="utf-8")
    found = [str(p) for p in read_settings(path)[1]]
    assert len(found) == 1 and expected in found[0] and str(path) in found[0] and name in found[0]


@pytest.mark.parametrize("name,content", [("logo.png", b"\x89PNG\r\n\x1a\n\0\0"), ("logo.jpeg", b"\xff\xd8\xff\xe0"),
                                          ("logo.svg", b'<?xml version="1.0"?>\n<svg xmlns="x"/>')])
def test_real_logos_are_accepted(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    path = tmp_path / "settings.yaml"
    path.write_text(f"company:\n  logo: {name}\n", encoding="utf-8")
    assert read_settings(path)[1] == []


def test_a_logo_that_is_a_named_pipe_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "logo.png")
    path = tmp_path / "settings.yaml"
    path.write_text("company:\n  logo: logo.png\n", encoding="utf-8")
    assert ["'company.logo' is a named pipe, not a regular file" in str(p) for p in read_settings(path)[1]] == [True]


@pytest.mark.parametrize("tail", ["quarter: LAST", "selection:\n  include: {ACC-0001: LAST}", "nosuchkey: LAST",
                                  "company:\n  name: LAST"])
def test_an_alias_bomb_in_the_settings_is_a_clean_problem(tmp_path, tail):
    path = tmp_path / "settings.yaml"
    path.write_text(alias_bomb(tail), encoding="utf-8")
    started = time.perf_counter()
    checked = check_inputs(path)
    assert time.perf_counter() - started < 10
    assert [p.source for p in checked.problems] == [str(path)]
    assert "values once its aliases" in str(checked.problems[0])


def test_an_alias_bomb_in_a_profile_is_a_clean_problem_naming_the_profile(tmp_path):
    (tmp_path / "profile.yaml").write_text(alias_bomb("tables: LAST"), encoding="utf-8")
    (tmp_path / "export").mkdir()
    path = tmp_path / "settings.yaml"
    path.write_text("data: export\nprofile: profile.yaml\n", encoding="utf-8")
    checked = check_inputs(path)
    assert [p.source for p in checked.problems] == [str(tmp_path / "profile.yaml")]
    assert "profile holds more than" in checked.problems[0].message


def test_a_key_written_twice_in_the_settings_is_a_problem(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("company:\n  name: A\nquarter: 2026Q3\ncompany:\n  name: B\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"row 4: the key 'company' is written twice .*lines 1 and 4"):
        read_settings(path)


def test_a_quarter_with_no_data_names_the_settings_file_and_key(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("quarter: 2099Q1\n", encoding="utf-8")
    found = [str(p) for p in check_inputs(path).problems]
    assert found == [f"{path}: value '2099Q1': 'quarter': the data has no revenue in 2099Q1 (it covers 2023Q4 to "
                     "2026Q3)"]
    found = [str(p) for p in check_inputs(None, quarter="2099Q1").problems]
    assert found == ["--quarter: value '2099Q1': the data has no revenue in 2099Q1 (it covers 2023Q4 to 2026Q3)"]
