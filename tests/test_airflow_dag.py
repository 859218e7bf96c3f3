"""The example Airflow DAG, examples/airflow/custseg_dag.py, run for real with
``dag.test()`` (issue 16).

Airflow is no dependency of custseg, so the test makes a virtual environment of
its own with a pinned apache-airflow (tests/airflow_constraints.txt), pyarrow
and numpy at the versions this process runs, and caches it under
``~/.cache/custseg-test`` (``$XDG_CACHE_HOME`` if set) between runs: the first
run takes about a minute more. The custseg this process imports, editable or an
installed wheel, is put on that environment's path through a folder holding
only a link to it. One subprocess runs the DAG three times, with AIRFLOW_HOME in
a temporary folder: at a period start on a small Parquet folder, on an empty
folder, and manually inside a period. If Airflow cannot be installed, the test
fails and says why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import custseg as cs
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

AIRFLOW_VERSION = "3.3.2"
TESTS = Path(__file__).resolve().parent
DAG_FILE = TESTS.parent / "examples" / "airflow" / "custseg_dag.py"
RUNNER = TESTS / "airflow_run_dag.py"
CONSTRAINTS = TESTS / "airflow_constraints.txt"
AS_OF = "2026-01-01"  # a scheduled run's period start: January 1
MEMORY_LIMIT = "4KB"  # small enough to spill


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "custseg-test"


def venv_name() -> str:
    """Named for everything installed in it, so that a change makes a new one."""
    what = [AIRFLOW_VERSION, sys.version, pa.__version__, np.__version__, CONSTRAINTS.read_text()]
    digest = hashlib.sha256("\n".join(what).encode()).hexdigest()[:12]
    return f"airflow-venv-{AIRFLOW_VERSION}-{digest}"


def run_or_fail(cmd: list[Any], what: str, timeout: float) -> None:
    """Runs a setup step; a failure fails the test with the step's own output."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what}: no answer in {timeout:.0f} s", pytrace=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-4000:]
        pytest.fail(f"{what} failed (exit {done.returncode}):\n{output}", pytrace=False)


def make_venv(path: Path) -> None:
    run_or_fail([sys.executable, "-m", "venv", path], f"creating a venv in {path}", 120)
    install = [path / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    packages = [f"apache-airflow=={AIRFLOW_VERSION}", f"pyarrow=={pa.__version__}"]
    packages.append(f"numpy=={np.__version__}")
    what = f"pip install {' '.join(packages)} -c {CONSTRAINTS.name}"
    run_or_fail([*install, "-c", CONSTRAINTS, *packages], what, 1500)


def airflow_python() -> Path:
    """The Python of the cached Airflow environment, made first if need be. It is
    built beside its final place and renamed when complete, so that an interrupted
    or concurrent build never leaves a half-made one behind that name."""
    venv = cache_dir() / venv_name()
    python = venv / "bin" / "python"
    if python.exists():
        return python
    build = venv.with_name(f"{venv.name}.building-{os.getpid()}")
    shutil.rmtree(build, ignore_errors=True)
    build.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        make_venv(build)
        build.rename(venv)
    except OSError:
        if not python.exists():  # not another run's build finishing first
            raise
    finally:
        shutil.rmtree(build, ignore_errors=True)
    print(f"made {venv} in {time.perf_counter() - started:.0f} s")
    return python


def custseg_path(folder: Path) -> Path:
    """A folder holding only a link to the custseg this process imports, for
    PYTHONPATH: the rest of this environment's packages stay out of Airflow's."""
    folder.mkdir()
    (folder / "custseg").symlink_to(Path(cs.__file__).parent, target_is_directory=True)
    return folder


def write_transactions(folder: Path) -> None:
    """Two Parquet files, with rows after AS_OF that the run must skip (I3)."""
    tx = cs.datasets.synthetic(customers=400, years=3, seed=16, end="2026-04-01")
    half = tx.num_rows // 2
    folder.mkdir()
    pq.write_table(tx.slice(0, half), folder / "part-0.parquet")
    pq.write_table(tx.slice(half), folder / "part-1.parquet")


def airflow_env(tmp: Path) -> dict[str, str]:
    """This environment without Airflow's, Python's and custseg's variables, plus the
    worker settings that the DAG reads from its worker's environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "CUSTSEG_", "PYTHON", "RAYON_", "VIRTUAL_ENV"))
    }
    env.update(
        AIRFLOW_HOME=str(tmp / "airflow_home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAG_FILE.parent),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        PYTHONPATH=str(custseg_path(tmp / "pythonpath")),
        CUSTSEG_MEMORY_LIMIT=MEMORY_LIMIT,
        CUSTSEG_SPILL_DIR=str(tmp / "spill"),
    )
    return env


def run_dag(python: Path, tmp: Path, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run's dag run state, task states and XCom return values."""
    (tmp / "runs.json").write_text(json.dumps(runs))
    cmd = [python, RUNNER, DAG_FILE, tmp / "runs.json", tmp / "result.json"]
    env = airflow_env(tmp)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    return json.loads((tmp / "result.json").read_text())


@pytest.fixture(scope="module")
def dag_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    python = airflow_python()
    tmp = tmp_path_factory.mktemp("airflow")
    write_transactions(tmp / "transactions")
    (tmp / "empty").mkdir()
    (tmp / "spill").mkdir()
    # Folders and threads go in the run conf, memory settings in the worker's environment.
    ok = {"input_dir": str(tmp / "transactions"), "output_dir": str(tmp / "segments"), "threads": 1}
    bad = {"input_dir": str(tmp / "empty"), "output_dir": str(tmp / "nothing"), "threads": 1}
    manual = dict(ok, output_dir=str(tmp / "manual"))
    runs = [
        {"logical_date": AS_OF, "conf": ok},
        {"logical_date": "2025-07-01", "conf": bad},
        {"logical_date": "2026-03-15", "conf": manual},  # a manual run inside a period
    ]
    started = time.perf_counter()
    ok_run, bad_run, manual_run = run_dag(python, tmp, runs)
    print(f"three DAG runs in {time.perf_counter() - started:.1f} s")
    return {"tmp": tmp, "ok": ok_run, "bad": bad_run, "manual": manual_run}


def expected_segments(tmp: Path) -> tuple[pa.Table, cs.Report]:
    """What the API gives in this process on the same files, as_of and options."""
    return cs.customer_value(
        ds.dataset(tmp / "transactions", format="parquet"),
        as_of=AS_OF,
        return_report=True,
        threads=1,
        memory_limit=MEMORY_LIMIT,
        spill_dir=tmp / "spill",
    )


def test_both_tasks_succeed_and_write_what_the_api_gives(dag_runs: dict[str, Any]) -> None:
    run, tmp = dag_runs["ok"], dag_runs["tmp"]
    assert run["state"] == "success", run
    assert run["tasks"] == {"customer_value_cli": "success", "customer_value_api": "success"}
    expected, _ = expected_segments(tmp)
    for style in ("cli", "api"):
        folder = tmp / "segments" / style / f"as_of={AS_OF}"
        assert sorted(p.name for p in folder.iterdir()) == ["part-0.parquet"]  # no temp left
        assert pq.read_table(folder / "part-0.parquet").equals(expected), style
    assert run["xcom"]["customer_value_cli"] == str(
        tmp / "segments" / "cli" / f"as_of={AS_OF}" / "part-0.parquet"
    )
    assert not list((tmp / "spill").iterdir())  # spill files are removed at the end


def test_the_api_task_pushes_its_report_to_xcom(dag_runs: dict[str, Any]) -> None:
    tmp = dag_runs["tmp"]
    pushed = dag_runs["ok"]["xcom"]["customer_value_api"]
    expected, report = expected_segments(tmp)
    assert pushed["output"] == str(tmp / "segments" / "api" / f"as_of={AS_OF}" / "part-0.parquet")
    assert pushed["customers"] == expected.num_rows
    assert pushed["rows_read"] == ds.dataset(tmp / "transactions").count_rows()
    assert pushed["rows_after_as_of"] > 0  # the run's as_of is the period start, not the data's end
    assert pushed["bytes_spilled"] > 0  # the worker's memory settings reach the call
    report_fields = dict(dataclasses.asdict(report), as_of=AS_OF)
    assert {k: v for k, v in pushed.items() if k != "output"} == report_fields


def test_an_empty_input_folder_fails_the_cli_task_and_the_run(dag_runs: dict[str, Any]) -> None:
    run, tmp = dag_runs["bad"], dag_runs["tmp"]
    assert run["state"] == "failed", run
    assert run["tasks"] == {"customer_value_cli": "failed", "customer_value_api": "failed"}
    assert run["xcom"] == {}
    assert not list((tmp / "nothing").rglob("*.parquet"))


def test_a_manual_run_inside_a_period_segments_at_its_start(dag_runs: dict[str, Any]) -> None:
    run, tmp = dag_runs["manual"], dag_runs["tmp"]
    assert run["state"] == "success", run
    assert run["xcom"]["customer_value_api"]["as_of"] == AS_OF
    expected, _ = expected_segments(tmp)
    for style in ("cli", "api"):
        written = tmp / "manual" / style / f"as_of={AS_OF}" / "part-0.parquet"
        assert pq.read_table(written).equals(expected), style


def test_the_docs_quote_the_example_as_it_is() -> None:
    """Every line of docs/airflow.md's Python blocks is a line of the DAG file
    (leaving out "..." and the one block that shows an addition)."""
    docs = (TESTS.parent / "docs" / "airflow.md").read_text()
    example = {line.strip() for line in DAG_FILE.read_text().splitlines()}
    blocks = re.findall(r"```python\n(.*?)```", docs, flags=re.S)
    quoted = [b for b in blocks if "def check(" not in b]
    assert len(quoted) >= 4
    missing = [
        line.strip()
        for block in quoted
        for line in block.splitlines()
        if line.strip() not in example and line.strip() not in ("", "...")
    ]
    assert not missing, missing
