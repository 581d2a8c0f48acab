"""files.read_yaml on untrusted files: bounded in size, alias expansion, depth and text length; a key
written twice and a file that is not a regular file are refused. Each is a ConfigError naming the file
(and the line where there is one), in well under a second, never a MemoryError or a hang."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from kamreports import files
from kamreports.errors import ConfigError
from kamreports.files import read_yaml


def alias_bomb(tail: str, levels: int = 9) -> str:
    """10 ** levels values through nested aliases: a few lines of YAML."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + tail.replace("LAST", f"*a{levels - 1}") + "\n"


def refused(path: Path, text: str | bytes) -> str:
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        read_yaml(path)
    assert time.perf_counter() - started < 5
    message = str(info.value)
    assert str(path) in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("tail", ["quarter: LAST", "selection: {include: {ACC-0001: LAST}}", "nosuchkey: LAST",
                                  "swot: {strengths: LAST}", "x: [LAST, LAST]"])
def test_an_alias_bomb_is_refused_quickly_wherever_it_is_used(tmp_path, tail):
    message = refused(tmp_path / "settings.yaml", alias_bomb(tail))
    assert f"more than {files.YAML_MAX_VALUES:,} values" in message


def test_aliases_used_sensibly_are_read(tmp_path):
    path = tmp_path / "profile.yaml"
    path.write_text("base: &base {a: 1, b: [1, 2]}\none: *base\ntwo: {<<: *base, b: 3}\n", encoding="utf-8")
    assert read_yaml(path) == {"base": {"a": 1, "b": [1, 2]}, "one": {"a": 1, "b": [1, 2]}, "two": {"a": 1, "b": 3}}


def test_an_alias_inside_its_own_value_is_refused(tmp_path):
    assert "is used inside the value it names" in refused(tmp_path / "s.yaml", "x: &a [1, *a]")


@pytest.mark.parametrize("text", ["[" * 3000 + "]" * 3000, "{a: " * 2000 + "1" + "}" * 2000, "- " * 2000 + "x",
                                  "a: &a " + "[" * 40 + "1" + "]" * 40 + "\nb: " + "[" * 20 + "*a" + "]" * 20])
def test_nesting_deeper_than_the_limit_is_refused(tmp_path, text):
    assert f"more than {files.YAML_MAX_DEPTH} deep" in refused(tmp_path / "s.yaml", text)


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    path = tmp_path / "settings.yaml"
    with path.open("wb") as handle:            # sparse: 50 MB on the disk's books, nothing written
        handle.truncate(50 * 1024 * 1024)
    read = []
    real = os.fdopen

    def spy(fd, *args, **kwargs):
        handle = real(fd, *args, **kwargs)
        original = handle.read
        handle.read = lambda n=-1: read.append(n) or original(n)
        return handle

    monkeypatch.setattr(files.os, "fdopen", spy)
    with pytest.raises(ConfigError) as info:
        read_yaml(path)
    message = str(info.value)
    assert "larger than 5 MB" in message and str(path) in message
    assert read == [files.YAML_MAX_BYTES + 1]


def test_a_company_name_of_fifty_megabytes_is_refused(tmp_path):
    message = refused(tmp_path / "s.yaml", "company:\n  name: " + "N" * (50 * 1024 * 1024) + "\n")
    assert "larger than 5 MB" in message


def test_a_value_longer_than_the_limit_is_refused_with_its_line(tmp_path):
    message = refused(tmp_path / "s.yaml", "quarter: 2026Q3\ncompany:\n  name: " + "N" * 20_000 + "\n")
    assert "row 3" in message and "20,000 characters" in message
    (tmp_path / "ok.yaml").write_text("company:\n  name: " + "N" * files.YAML_MAX_TEXT + "\n", encoding="utf-8")
    assert len(read_yaml(tmp_path / "ok.yaml")["company"]["name"]) == files.YAML_MAX_TEXT


def test_a_key_written_twice_is_refused_with_both_lines(tmp_path):
    message = refused(tmp_path / "s.yaml", "company:\n  name: A\n  currency: $\n  name: B\n")
    assert "the key 'name' is written twice" in message and "lines 2 and 4" in message


def test_the_same_key_in_different_mappings_is_fine(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("a: {name: 1}\nb: {name: 2}\nc: [{x: 1}, {x: 2}]\n'1': one\n1: number\n", encoding="utf-8")
    assert read_yaml(path)["b"] == {"name": 2}


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_a_special_file_is_refused_at_once(tmp_path, kind):
    path = tmp_path / "settings.yaml"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            read_yaml(path)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():   # unblock the reader so the test run can end, then fail
        with open(path, "wb"):   # noqa: PTH123 - opening the pipe's write end releases the reader
            pass
        pytest.fail("reading a named pipe blocked")
    assert isinstance(outcome[0], ConfigError)
    expected = {"folder": "is a folder", "fifo": "is a named pipe", "device": "is a character device"}[kind]
    assert expected in str(outcome[0]) and str(path) in str(outcome[0])


def test_storage_errors_are_told_from_other_errors():
    import errno

    assert files.is_storage_error(OSError(errno.ENOSPC, "No space left on device"))
    assert files.is_storage_error(OSError(errno.EROFS, "Read-only file system"))
    assert not files.is_storage_error(FileNotFoundError(errno.ENOENT, "No such file"))
    assert not files.is_storage_error(TimeoutError())
    assert not files.is_storage_error(ValueError("x"))


ROOT = Path(__file__).resolve().parents[2]
YAML_FILES = sorted([*(ROOT / "params").glob("*.yaml"), *(ROOT / "tests/fixtures").glob("*.yaml"),
                     *(ROOT / "tests/fixtures/plan_files").rglob("*.yaml")])


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_the_bounded_reader_reads_what_pyyamls_safe_loader_reads(path: Path) -> None:
    """The bounded loader parses with libyaml where PyYAML has it (about 4x faster on a plan file); what
    it reads must be what PyYAML's own pure-Python safe loader reads from the same file."""
    import yaml

    expected = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)   # noqa: S506 - the safe loader
    assert read_yaml(path) == expected


def test_the_files_above_are_there() -> None:
    assert len(YAML_FILES) >= 5 and any("plan_files" in str(p) for p in YAML_FILES)


def test_the_bounded_reader_parses_with_libyaml_when_pyyaml_has_it() -> None:
    import yaml

    if not yaml.__with_libyaml__:
        pytest.skip("this PyYAML is built without libyaml: the pure-Python parser is the only one")
    from yaml.cyaml import CParser

    assert issubclass(files._BoundedLoader, CParser)


@pytest.mark.parametrize("text, words", [("a: 1\n\tb: 2\n", "row 2"), ("a: [1, 2\n", "is not valid YAML"),
                                          ("a: b: c\n", "row 1"), ("a: \x01\n", "is not valid YAML")])
def test_a_malformed_file_names_the_file_and_line(tmp_path, text, words):
    assert words in refused(tmp_path / "plan.yaml", text)
