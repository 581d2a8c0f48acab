"""A pool worker renders packs; it must not pay for the presentation layer's imports.

pandas and matplotlib are the kernel's business. Importing them in each worker cost about a CPU-second
at its start, which on a small build is a good part of the whole (issue 18). This checks the modules a
worker loads: the console script (which spawn re-runs as ``__mp_main__``), the job runner, the
renderer and the kernel driver; and what the command line loads to start the pool early
(``pool.start_early``), before the build itself is imported.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

WORKER_IMPORTS = ("import kamreports.cli, kamreports.pipeline.jobs, kamreports.pipeline.render, "
                  "kamreports.pipeline.execute, kamreports.pipeline.deadline, "
                  "kamreports.pipeline.options, kamreports.pipeline.pool")


@pytest.mark.parametrize("heavy", ["pandas", "matplotlib", "kamreports.present"])
def test_a_pool_worker_does_not_import_the_presentation_layer(heavy: str) -> None:
    code = f"{WORKER_IMPORTS}\nimport sys\nprint({heavy!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"a worker's imports load {heavy}"


def test_the_check_above_can_fail() -> None:
    """The same check sees pandas once something imports it (so the test above is not vacuous)."""
    code = f"{WORKER_IMPORTS}, kamreports.present.html\nimport sys\nprint('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


BOOK_PIECES = ("import kamreports.pipeline.pack, kamreports.pipeline.covers\n"
               "from kamreports.pipeline.document import PageFrame, document_html\n"
               "html = document_html('<h1>Front</h1><table><tr><td>1</td></tr></table>', PageFrame('t', 'h', 'f'))\n"
               "assert 'kam-keep' in html and 'Page ' in html\n")


def test_the_build_process_frames_the_books_pieces_without_nbconvert() -> None:
    """The build's own process makes the book's front and chunks (``document_html``) while the workers
    run packs; importing nbconvert for that cost it half a CPU-second in the middle of the build."""
    code = f"{BOOK_PIECES}import sys\nprint('nbconvert' in sys.modules, 'weasyprint' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
    seen = subprocess.run([sys.executable, "-c", f"{BOOK_PIECES}import kamreports.pipeline.render, sys\n"
                           "print('nbconvert' in sys.modules)"], capture_output=True, text=True, check=True)
    assert seen.stdout.strip() == "True"   # the check sees nbconvert once the renderer is imported
