"""The warm kernel: notebooks share one kernel, never each other's state."""
from __future__ import annotations

import nbformat
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


def test_reusing_the_kernel_leaves_no_client_connected_between_notebooks(tmp_path):
    # papermill opens a client per notebook and leaves it open when it does not own the kernel;
    # each one kept an iopub subscription that queued every later chart (~13 MB a pack).
    nb = _notebook(tmp_path / "chart.ipynb", "print('x' * 100_000)")
    kernel = WarmKernel(cwd=tmp_path)
    try:
        kernel.run(nb, tmp_path / "out0.ipynb", {"account_id": "A"})
        after_first = _open_sockets()
        for i in range(1, 4):
            kernel.run(nb, tmp_path / f"out{i}.ipynb", {"account_id": str(i)})
        assert _open_sockets() == after_first
        assert kernel._km.opened_clients == []
    finally:
        kernel.shutdown()
