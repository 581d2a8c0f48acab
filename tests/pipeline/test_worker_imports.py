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


def _loaded_once_a_pack_can_run() -> tuple[bool, bool]:
    """In a worker: what is loaded once the modules that run and render a pack are."""
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401
    import weasyprint  # noqa: F401

    return sys.modules.get("pyarrow") is not None, sys.modules.get("numpy") is not None   # None: refused


def _in_a_spawned_process(initializer: object = None, initargs: tuple = ()) -> tuple[bool, bool]:
    import concurrent.futures as cf
    import multiprocessing

    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=initializer,
                                initargs=initargs) as pool:
        return pool.submit(_loaded_once_a_pack_can_run).result(timeout=120)


def test_a_pool_worker_does_not_load_pyarrow_for_papermill() -> None:
    """papermill imports pyarrow (and numpy with it) only for notebooks on HDFS; a pool worker keeps it
    out (``jobs.UNUSED_IN_WORKERS``): about 0.25 CPU-s at each worker's start."""
    from kamreports.pipeline.jobs import _init_worker

    assert _in_a_spawned_process(_init_worker, (60, 60, False)) == (False, False)


def test_without_the_workers_setup_papermill_loads_pyarrow() -> None:
    """The same process without the worker's setup does load both: the check above can fail."""
    assert _in_a_spawned_process() == (True, True)


def _garbage_collector_state() -> tuple[int, int]:
    import gc

    return gc.get_freeze_count(), gc.get_threshold()[0]


def test_a_pool_worker_freezes_what_it_holds_after_starting_and_collects_young_garbage_less_often() -> None:
    """WeasyPrint's short-lived objects made each worker scan everything it held (imports, the warm
    renderer) again and again: 0.9-1.1 CPU-s of a K=8 build's worker (``jobs._settle_garbage_collector``).
    The caller's own process keeps its collector as it was."""
    import concurrent.futures as cf
    import gc
    import multiprocessing

    from kamreports.pipeline.jobs import WORKER_GC_THRESHOLD, _init_worker

    before = gc.get_threshold()
    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                                initargs=(60, 60, False)) as pool:
        frozen, threshold = pool.submit(_garbage_collector_state).result(timeout=120)
    assert frozen > 10_000 and threshold == WORKER_GC_THRESHOLD > before[0]   # the imports alone are > 10,000 objects
    assert gc.get_threshold() == before
    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:   # the check can fail
        assert pool.submit(_garbage_collector_state).result(timeout=120) == (0, before[0])
