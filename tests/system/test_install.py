"""Installable like any package (issue 16, item 5): a wheel built from the repository, installed
non-editable into a fresh virtualenv, runs from an empty folder: ``kamreports build`` of the sample
company, ``kamreports init`` and a build of the new project's data.

Nothing of the checkout may help: the wheel is built from a copy of the sources, the virtualenv has
no system site-packages, the commands run in an empty temporary folder with no PYTHONPATH, and the
package is imported from the virtualenv. So the notebooks, default settings and templates must be
in the wheel (package data), and nothing may look for the repository.

Quick by a local wheelhouse: the dependencies' wheels are kept in ``~/.cache/kamreports-tests/wheelhouse``
(``KAM_WHEELHOUSE`` overrides) and installed with ``--no-index``; it is filled once by ``pip wheel``
(from pip's cache), and again only when a dependency is missing from it. About a minute and a half
on a 2-core machine, most of it the two builds.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, pdf_pages

pytestmark = pytest.mark.slow

WHEELHOUSE = Path(os.environ.get("KAM_WHEELHOUSE", Path.home() / ".cache" / "kamreports-tests" / "wheelhouse"))
# what the wheel needs to be built and used; the rest of the repository (tests, data sets, benchmarks,
# environments, output) stays out of the copy
SKIP = shutil.ignore_patterns(".git", ".venv*", "output", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
                              ".pytest_cache", ".ruff_cache", "datasets", "benchmarks", "tests", ".ci")


def run(args: list[str | Path], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def install(venv: Path, wheel: Path, cwd: Path) -> None:
    """The wheel and its dependencies into ``venv`` from the wheelhouse, filling it when it lacks one."""
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check"]
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    offline = [*pip, "--no-index", "--find-links", WHEELHOUSE, wheel]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if subprocess.run([str(a) for a in offline], cwd=cwd, env=env, capture_output=True).returncode != 0:
        for old in WHEELHOUSE.glob("kamreports-*.whl"):   # an older build of the same version would stand in
            old.unlink()                                  # for this one, with its older dependencies
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--find-links",
             WHEELHOUSE, "--wheel-dir", WHEELHOUSE, wheel], cwd)
        for built in WHEELHOUSE.glob("kamreports-*.whl"):  # only the dependencies are kept
            built.unlink()
        run(offline, cwd)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding kamreports from a wheel of this repository: its bin folder."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=SKIP, symlinks=True)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--wheel-dir", tmp / "dist", source], tmp)
    wheel = next((tmp / "dist").glob("kamreports-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("kamreports/resources/notebooks/account_plan.ipynb",
                   "kamreports/resources/notebooks/portfolio_review.ipynb", "kamreports/resources/default.yaml",
                   "kamreports/templates/index_page.html.j2", "kamreports/templates/print.css"):
        assert needed in names, f"{needed} is not in the wheel"
    assert not any(n.startswith(("notebooks/", "params/", "tests/")) for n in names)
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", venv], tmp)     # no --system-site-packages: nothing is borrowed
    install(venv, wheel, tmp)
    return venv / "bin"


def test_the_installed_package_is_the_wheel_not_the_checkout(installed, tmp_path):
    found = run([installed / "python", "-c", "import kamreports; print(kamreports.__file__)"], tmp_path)
    location = Path(found.stdout.strip())
    assert installed.parent in location.parents and ROOT not in location.parents


def test_build_of_the_sample_from_an_empty_folder(installed, tmp_path):
    # one worker: the packs one after the other in one kernel, gentle on a shared 2-core machine
    result = run([installed / "kamreports", "build", "--accounts", "ACC-0002", "--no-book", "--quiet",
                  "--workers", "1"], tmp_path)
    assert "2/2 packs built" in result.stdout
    pdf = next((tmp_path / "output" / "2026Q3" / "accounts").glob("acc-0002-*/account_plan.pdf"))
    assert "Solstice Textiles" in pdf_pages(pdf)[0]
    assert (tmp_path / "output" / "2026Q3" / "portfolio" / "portfolio_review.pdf").is_file()
    assert 'class="plans"' not in (tmp_path / "output" / "2026Q3" / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]   # nothing written elsewhere


def test_init_then_a_build_of_the_new_projects_data(installed, tmp_path):
    run([installed / "kamreports", "init", "proj"], tmp_path)
    project = tmp_path / "proj"
    assert {"settings.yaml", "README.md", "profiles", "plans"} <= {p.name for p in project.iterdir()}
    run([installed / "kamreports", "sample", "--out", "data"], project)
    run([installed / "kamreports", "plan", "new", "ACC-0002", "--config", "settings.yaml"], project)
    assert (project / "plans" / "ACC-0002.yaml").is_file()
    result = run([installed / "kamreports", "build", "--config", "settings.yaml", "--accounts", "ACC-0002,ACC-0005",
                  "--no-book", "--workers", "1"], project)
    assert "3 of 3 packs ready" in result.stdout
    # the plan beside the settings file is read; the key account without one is named for the analyst
    warning = next(line for line in result.stderr.splitlines() if "no plan file" in line)
    assert "1 key account has no plan file" in warning and ': ACC-0005.' in warning and "ACC-0002" not in warning
    assert f"Put <account id>.yaml in {project / 'plans'};" in warning
    index = (project / "output" / "2026Q3" / "index.html").read_text(encoding="utf-8")
    assert "19 key accounts have no account plan" in index
