"""The warm kernel: notebooks share one kernel, never each other's state."""
from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from kamreports.pipeline.execute import WarmKernel


def _notebook(path, *sources: str, parameters: str = "account_id = None"):
    cells = [new_code_cell(parameters, metadata={"tags": ["parameters"]}), *(new_code_cell(s) for s in sources)]
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                      "display_name": "Python 3"}}), path)
    return path


def test_a_second_notebook_sees_none_of_the_first_ones_names_figures_or_settings(tmp_path):
    first = _notebook(tmp_path / "first.ipynb",
                      "leaked = account_id\nimport matplotlib as mpl, matplotlib.pyplot as plt\n"
                      "mpl.rcParams['lines.linewidth'] = 9.0\nplt.figure()")
    second = _notebook(tmp_path / "second.ipynb",
                       "import matplotlib as mpl, matplotlib.pyplot as plt\n"
                       "state = ('leaked' in globals(), mpl.rcParams['lines.linewidth'], len(plt.get_fignums()), "
                       "account_id)\nprint(state)")
    kernel = WarmKernel(cwd=tmp_path)
    try:
        kernel.run(first, tmp_path / "out1.ipynb", {"account_id": "A"})
        assert nbformat.read(tmp_path / "out1.ipynb", as_version=4).metadata.papermill["input_path"] == str(first)
        pid = kernel._km.provisioner.process.pid
        result = kernel.run(second, tmp_path / "out2.ipynb", {"account_id": "B"})
        assert kernel._km.provisioner.process.pid == pid, "the kernel was restarted, not reused"
    finally:
        kernel.shutdown()
    cells = result.notebook.cells
    printed = "".join(o.get("text", "") for o in cells[-1].outputs)
    assert printed.strip() == "(False, 1.5, 0, 'B')"        # 1.5: matplotlib's default line width
    assert not any("kamreports-reset" in c.metadata.get("tags", []) for c in cells)  # the reset cell is not kept
    assert nbformat.read(tmp_path / "out2.ipynb", as_version=4).metadata.papermill["input_path"] == str(second)


def _open_sockets() -> int:
    import gc

    import zmq

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, zmq.Socket) and not o.closed)


def test_reusing_the_kernel_keeps_one_client_and_no_socket_more_per_notebook(tmp_path):
    # papermill opens a client per notebook and leaves it open when it does not own the kernel;
    # each one kept an iopub subscription that queued every later chart (~13 MB a pack). The
    # kernel's manager now hands every notebook the same client, ready once.
    nb = _notebook(tmp_path / "chart.ipynb", "print('x' * 100_000)")
    kernel = WarmKernel(cwd=tmp_path)
    try:
        kernel.run(nb, tmp_path / "out0.ipynb", {"account_id": "A"})
        after_first = _open_sockets()
        (client,) = kernel._km.opened_clients
        for i in range(1, 4):
            kernel.run(nb, tmp_path / f"out{i}.ipynb", {"account_id": str(i)})
        assert _open_sockets() == after_first
        assert kernel._km.opened_clients == [client]
    finally:
        kernel.shutdown()
    assert not client.channels_running   # stopped with its kernel


def test_the_kept_client_runs_no_heartbeat_and_still_sees_a_dead_kernel(tmp_path):
    # The heartbeat thread pinged the kernel every second for nothing (a client its manager made asks
    # the manager whether the kernel lives) and once hung a worker at exit. Without it, a kernel that
    # dies in a cell is still reported, by the cell, as a failure.
    import threading

    from kamreports.pipeline.execute import NotebookFailed

    kernel = WarmKernel(cwd=tmp_path)
    try:
        kernel.run(_notebook(tmp_path / "ok.ipynb", "x = 1"), tmp_path / "ok-out.ipynb", {"account_id": "A"})
        (client,) = kernel._km.opened_clients
        assert client._hb_channel is None or not client._hb_channel.is_alive()
        assert not any(type(t).__name__ == "HBChannel" for t in threading.enumerate())
        dies = _notebook(tmp_path / "dies.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
        with pytest.raises(NotebookFailed):
            kernel.run(dies, tmp_path / "dies-out.ipynb", {"account_id": "B"})
    finally:
        kernel.shutdown()


def test_what_a_notebook_prints_after_it_ended_does_not_reach_the_next_one(tmp_path):
    # One client for every notebook: a message the kernel sends late for the first notebook is still
    # on the channel when the second runs, and must not become one of the second's outputs.
    late = _notebook(tmp_path / "late.ipynb",
                     "import threading, time\n"
                     "def _late():\n    time.sleep(0.3)\n    print('LATE FROM THE FIRST NOTEBOOK', flush=True)\n"
                     "threading.Thread(target=_late).start()")
    second = _notebook(tmp_path / "second.ipynb", "import time\ntime.sleep(0.8)\nprint('second', account_id)")
    kernel = WarmKernel(cwd=tmp_path)
    try:
        kernel.run(late, tmp_path / "out1.ipynb", {"account_id": "A"})
        result = kernel.run(second, tmp_path / "out2.ipynb", {"account_id": "B"})
    finally:
        kernel.shutdown()
    printed = ["".join(o.get("text", "") for o in c.get("outputs", [])) for c in result.notebook.cells]
    assert printed[-1].strip() == "second B"
    assert not any("LATE" in text for text in printed)


def test_a_notebook_after_a_failed_one_runs_on_a_fresh_kernel_and_client(tmp_path):
    failing = _notebook(tmp_path / "fails.ipynb", "raise ValueError('boom')")
    fine = _notebook(tmp_path / "fine.ipynb", "print('fine', account_id)")
    kernel = WarmKernel(cwd=tmp_path)
    try:
        kernel.run(fine, tmp_path / "out0.ipynb", {"account_id": "A"})
        (first_client,) = kernel._km.opened_clients
        try:
            kernel.run(failing, tmp_path / "out1.ipynb", {"account_id": "B"})
        except Exception as exc:   # noqa: BLE001 - NotebookFailed, checked below
            assert "boom" in str(exc)
        else:
            raise AssertionError("the failing notebook did not fail")
        assert not first_client.channels_running
        result = kernel.run(fine, tmp_path / "out2.ipynb", {"account_id": "C"})
        assert kernel._km.opened_clients and kernel._km.opened_clients[0] is not first_client
    finally:
        kernel.shutdown()
    assert "".join(o.get("text", "") for o in result.notebook.cells[-1].outputs).strip() == "fine C"
