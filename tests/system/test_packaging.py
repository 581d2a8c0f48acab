"""Packaging promises: environment.yml agrees with pyproject.toml; the runtime stays lean."""
from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT

# conda-forge spells a few packages differently from PyPI
CONDA_NAMES = {"pyyaml": "pyyaml", "duckdb": "python-duckdb"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_environment_yml_names_the_same_packages_as_pyproject():
    project = _pyproject()
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"]:
        wanted |= {_name(r) for r in project["optional-dependencies"][extra]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == {CONDA_NAMES.get(n, n) for n in wanted}


def test_environment_yml_pins_the_same_lower_bounds():
    project = _pyproject()
    reqs = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    bounds = {_name(r): r.split(">=")[1] for r in reqs if ">=" in r}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_bounds = {_name(d): d.split(">=")[1] for d in env["dependencies"] if isinstance(d, str) and ">=" in d}
    for name, bound in bounds.items():
        assert conda_bounds.get(CONDA_NAMES.get(name, name)) == bound, name


def test_jupyterlab_is_optional_not_runtime():
    project = _pyproject()
    runtime = {_name(r) for r in project["dependencies"]}
    assert not runtime & {"jupyter", "jupyterlab", "notebook"}
    assert "jupyterlab" in {_name(r) for r in project["optional-dependencies"]["lab"]}


def test_jupyterlab_stays_out_of_the_dev_environment_too():
    """.venv holds the dev extra; JupyterLab lives in .venv-lab/ (quickstart's lab_env), which the
    JupyterLab test and `./quickstart lab` use."""
    dev = {_name(r) for r in _pyproject()["optional-dependencies"]["dev"]}
    assert not dev & {"jupyter", "jupyterlab", "notebook", "jupyter-server"}
    quickstart = (ROOT / "quickstart").read_text()
    assert '.venv-lab/bin/python -m pip' in quickstart and 'install -e ".[lab]"' in quickstart


def test_the_wheel_carries_the_notebooks_and_default_settings_from_where_they_live():
    """notebooks/ and params/default.yaml stay at the top of the repository; kamreports/resources/ links
    to them, and package-data takes them into the wheel (tests/system/test_install.py builds one)."""
    resources = ROOT / "kamreports" / "resources"
    assert (resources / "notebooks").resolve() == (ROOT / "notebooks").resolve()
    assert (resources / "default.yaml").resolve() == (ROOT / "params" / "default.yaml").resolve()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {"templates/**/*", "resources/**/*"} <= set(package_data["kamreports"])
