"""WeasyPrint imported without the C compiler (``pipeline/libraries.py``), in fresh processes: a process
that has imported WeasyPrint once cannot import it again.

The compiler and the linker are replaced on PATH by scripts that write down that they ran, so the tests
see every call ``ctypes.util.find_library`` makes to them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldconfig and /proc: Linux only")

REPORT = textwrap.dedent("""
    import json, sys
    {load}
    import weasyprint.text.ffi as ffi
    loaded = sorted({{line.split()[-1] for line in open("/proc/self/maps")
                     if any(k in line for k in ("libpango", "libharfbuzz", "libfontconfig", "libgobject"))}})
    print(json.dumps({{"loaded": loaded, "subset": ffi.harfbuzz_subset is not None,
                      "vector": ffi.harfbuzz_vector is not None}}))
""")


def _run(tmp_path: Path, load: str, env: dict[str, str] | None = None) -> tuple[dict, list[str], str]:
    """Run REPORT in a new interpreter with logging gcc, cc and ld first on PATH: (its report, the
    tools called, its whole stdout)."""
    fake, calls = tmp_path / "bin", tmp_path / "calls.log"
    fake.mkdir(exist_ok=True)
    calls.write_text("")
    for tool in ("gcc", "cc", "ld"):
        script = fake / tool
        script.write_text(f"#!/bin/sh\necho {tool} >> {calls}\nexit 1\n")
        script.chmod(0o755)
    run_env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    run_env.update(PATH=f"{fake}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {}))
    done = subprocess.run([sys.executable, "-c", REPORT.format(load=load)], env=run_env, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]), calls.read_text().split(), done.stdout


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[str]]:
    """WeasyPrint's own import, once for the module: (its report, the tools it called)."""
    report, calls, _ = _run(tmp_path_factory.mktemp("plain"), "import weasyprint")
    return report, calls


def test_weasyprint_loads_the_same_libraries_without_calling_the_compiler(tmp_path: Path, plain) -> None:
    plain, plain_calls = plain
    # the control: WeasyPrint's own import asks the compiler for the names ldconfig does not know
    assert "gcc" in plain_calls and "ld" in plain_calls

    fast, fast_calls, stdout = _run(tmp_path, "from kamreports.pipeline import libraries; libraries.load()")
    assert fast_calls == []
    assert fast == plain
    assert any("libpango-1.0" in path for path in fast["loaded"])
    assert stdout.count("\n") == 1   # the report only: no installation help printed


def test_without_an_ldconfig_listing_the_usual_lookup_runs(tmp_path: Path, plain) -> None:
    """With no ldconfig listing (here: ldconfig missing), WeasyPrint is imported the usual way."""
    load = ("from kamreports.pipeline import libraries\n"
            f"libraries.LDCONFIG = {str(tmp_path / 'no-ldconfig')!r}\n"
            "libraries.load()")
    got, calls, _ = _run(tmp_path, load)
    assert got == plain[0] and "gcc" in calls


def test_a_failed_first_attempt_is_dropped_and_the_usual_lookup_loads_weasyprint(tmp_path: Path, plain) -> None:
    """A required library the listing misses makes WeasyPrint print its installation help and raise
    OSError half-way through its import (here made to happen once, by an import hook: on this machine
    every library is found by its Linux name). The help is not printed, the half-imported modules are
    dropped (by Python), and the import done again the usual way."""
    load = textwrap.dedent("""
        import importlib.abc, sys
        class FailOnce(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name == "weasyprint.text.ffi":
                    sys.meta_path.remove(self)
                    print("WeasyPrint could not import some external libraries.")
                    raise OSError("cannot load library 'libpango-1.0-0'")
        sys.meta_path.insert(0, FailOnce())
        from kamreports.pipeline import libraries
        libraries.load()
        import weasyprint
        weasyprint.HTML(string="<p>x</p>").write_pdf()
    """)
    got, calls, stdout = _run(tmp_path, load)
    assert got == plain[0]
    assert "gcc" in calls
    assert "WeasyPrint could not import" not in stdout


def test_with_ld_library_path_set_the_usual_lookup_is_kept(tmp_path: Path) -> None:
    """LD_LIBRARY_PATH may hold libraries that only the linker's search finds."""
    _, calls, _ = _run(tmp_path, "from kamreports.pipeline import libraries; libraries.load()",
                       env={"LD_LIBRARY_PATH": str(tmp_path)})
    assert "gcc" in calls


def test_the_renderer_imports_weasyprint_through_load(tmp_path: Path) -> None:
    load = ("from kamreports.pipeline.render import Renderer, document_html, PageFrame\n"
            "Renderer().pdf_bytes(document_html('<p>x</p>', PageFrame('t', '', '')))")
    _, calls, _ = _run(tmp_path, load)
    assert calls == []
