"""Every notebook in ``notebooks/`` runs top to bottom without a cell error.

The notebooks are executed with nbclient on a kernel named ``python3`` that runs
*this* interpreter (``sys.executable``, the project's virtual environment), so
they use the custseg build under test. When the ``python3`` kernelspec found on
the machine would start another interpreter (a system-wide or user kernelspec
with an absolute path), a temporary kernelspec pointing at ``sys.executable``
is used instead: nothing has to be registered on a fresh CI machine.

Each notebook runs in a temporary working directory (so it cannot write into
the repository) with ``MPLBACKEND=Agg`` (no display needed).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL_NAME = "python3"
CELL_TIMEOUT_S = 300


def _same_interpreter(argv0: str) -> bool:
    """Whether a kernelspec's argv[0] starts the interpreter running the tests."""
    # jupyter_client replaces a bare "python", "python3" or "python3.X" with
    # sys.executable when it starts the kernel (KernelManager.format_kernel_cmd).
    major, minor = sys.version_info[:2]
    if argv0 in {"python", f"python{major}", f"python{major}.{minor}"}:
        return True
    path = shutil.which(argv0) or argv0
    # No symlink resolution: a venv's python is a link to the base interpreter,
    # yet it is a different environment.
    return os.path.normcase(os.path.abspath(path)) == os.path.normcase(
        os.path.abspath(sys.executable)
    )


@pytest.fixture(scope="module")
def kernel_manager_factory(tmp_path_factory: pytest.TempPathFactory):
    """A factory of KernelManagers for a ``python3`` kernel running sys.executable."""
    for module in ("nbclient", "nbformat", "ipykernel", "jupyter_client"):
        if importlib.util.find_spec(module) is None:
            pytest.fail(
                f"{module} is not importable from {sys.executable}: install the dev "
                "dependencies (nbclient, nbformat, ipykernel) to run the notebooks"
            )
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import KernelManager

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        ok = _same_interpreter(spec.argv[0])
    except NoSuchKernel:
        ok = False
    if ok:
        ksm = KernelSpecManager()
    else:
        kernels = tmp_path_factory.mktemp("jupyter") / "kernels"
        (kernels / KERNEL_NAME).mkdir(parents=True)
        (kernels / KERNEL_NAME / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3 (custseg tests)",
                    "language": "python",
                }
            ),
            encoding="utf-8",
        )
        ksm = KernelSpecManager(kernel_dirs=[str(kernels)])

    def make() -> KernelManager:
        return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)

    return make


def _execute(nb, kernel_manager_factory, cwd: Path):
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        km=kernel_manager_factory(),
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    return client.execute()


@pytest.fixture
def kernel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment the kernel inherits: matplotlib without a display."""
    monkeypatch.setenv("MPLBACKEND", "Agg")


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, f"no notebook in {NOTEBOOK_DIR}"


def test_kernel_runs_this_interpreter(kernel_manager_factory, kernel_env, tmp_path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("import sys, custseg\nprint(sys.prefix)")])
    _execute(nb, kernel_manager_factory, tmp_path)
    out = nb.cells[0].outputs
    text = "".join(o.get("text", "") for o in out if o.output_type == "stream").strip()
    assert text == sys.prefix, f"the kernel ran in {text!r}, the tests in {sys.prefix!r}"
    nbformat.validate(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, kernel_manager_factory, kernel_env, tmp_path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    # Saved with a portable kernel name so that any environment's python3 kernel runs it.
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL_NAME, (
        f"{path.name}: set the notebook's kernelspec name to {KERNEL_NAME!r}"
    )
    # nbclient raises CellExecutionError (with the cell and its traceback) on the first
    # cell error, except in cells tagged "raises-exception".
    _execute(nb, kernel_manager_factory, tmp_path)
