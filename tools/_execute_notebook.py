"""Execute one notebook top to bottom in a fresh kernel (run by .venv's python from tools/course.py).

    .venv/bin/python tools/_execute_notebook.py nbs/01_em.ipynb [--save] [--timeout 900]

The kernel is the python running this script (the project's .venv), started in the notebook's
folder as nbdev does. Without --save nothing is written; with --save the executed notebook
replaces the file (only when every cell ran). Exit status: 0 ok, 1 a cell failed, 2 other error.
"""
import argparse
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError


class VenvKernelManager(KernelManager):
    "Starts the kernel with *this* interpreter (.venv's python), whatever kernelspecs are installed."
    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="Python 3 (ipykernel)", language="python", name="python3")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--save", action="store_true", help="write the executed notebook back")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell")
    args = parser.parse_args()

    path = args.notebook.resolve()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_manager_class=VenvKernelManager, timeout=args.timeout,
                            kernel_name="python3",
                            allow_errors=False, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as err:
        print(str(err), file=sys.stderr)
        return 1
    n_code = sum(cell.cell_type == "code" for cell in nb.cells)
    print(f"{n_code} code cells ran in {time.perf_counter() - t0:.1f} s")
    if args.save:
        nbformat.write(nb, path)
        print(f"saved outputs to {path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except BaseException as err:  # kernel died, unreadable notebook, ...
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(2)
