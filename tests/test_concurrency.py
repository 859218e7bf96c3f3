"""Acceptance, issue 18 item 7: concurrency, fork and Ctrl-C.

- 16 threads calling the API at once, on different inputs (int and string ids;
  Arrow, pandas, polars) and options (spilling with ``memory_limit=0`` into a
  folder of their own, thread counts, calendars), give exactly the answers of
  the same calls made one after the other (I5), reports included;
- a call in a forked child (Airflow's LocalExecutor forks its task runners)
  after the parent has used the API, so rayon's pool exists in the parent,
  works and gives the parent's answer;
- Ctrl-C during a spilling run and during a BG/NBD fit (CLV4) ends the call
  with ``KeyboardInterrupt`` in under a second and leaves no file behind.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import custseg as cs
import pyarrow as pa
import pytest
from custseg._frames import as_table

pl = pytest.importorskip("polars")

THREADS = 16
MONTHLY = cs.Periods.monthly()
QUARTERLY = cs.Periods.quarterly(start_month=2)


# --------------------------------------------------------------------------- 16 threads
@pytest.fixture(scope="module")
def inputs() -> dict:
    """Small transaction sets of every id type and family, and BTYD summaries."""
    ints = cs.datasets.synthetic(customers=4_000, years=3, seed=1)
    strs = cs.datasets.synthetic(customers=3_000, years=3, seed=2, ids="str")
    return {
        "ints": ints,
        "strs": strs,
        "pandas": strs.to_pandas(),
        "polars": pl.from_arrow(ints),
        "summary ints": cs.rfm_summary(ints, as_of="2025-07-01"),
        "summary strs": cs.rfm_summary(strs, unit="D"),
    }


def fitted(model) -> tuple:
    """What a BTYD fit gives: the parameters, log-likelihood and iterations."""
    return model.params, model.log_likelihood, model.converged, model.iterations


# (function, input, keyword arguments, spills): 16 different calls (API, I5)
JOBS = [
    (cs.customer_value, "ints", {}, False),
    (cs.customer_value, "strs", {"periods": QUARTERLY, "sales_only": True, "threads": 1}, False),
    (cs.customer_value, "ints", {"as_of": "2025-07-01"}, True),
    (cs.customer_value, "pandas", {"as_of": "2025-01-01", "monetary_periods": 3}, False),
    (cs.rfm, "ints", {"threads": 2}, False),
    (cs.rfm, "strs", {"monetary": "mean"}, True),
    (cs.rfm, "polars", {"as_of": "2024-11-15"}, False),
    (cs.clv, "ints", {"lifetime_years": 3.0}, False),
    (cs.clv, "strs", {"periods": MONTHLY, "threads": 2}, True),
    (cs.segment, "ints", {"lifetime_years": 2.0}, True),
    (cs.segment, "pandas", {"what": ("cv", "rfm"), "threads": 1}, False),
    (cs.rfm_summary, "strs", {"unit": "D"}, True),
    (cs.customer_value_history, "ints", {"start": "2024-01-01", "end": "2025-07-01"}, False),
    ("BetaGeo", "summary ints", {}, False),
    ("BetaGeo", "summary strs", {"penalizer": 0.01}, False),
    ("GammaGamma", "summary ints", {}, False),
]


def run_job(job, inputs: dict, spill: Path | None):
    """One job's answer: (table, report) of a segmentation, or the fit of a model."""
    fn, data, kw, _ = job
    if isinstance(fn, str):
        return fitted(getattr(cs, fn)(**kw).fit(inputs[data]))
    if spill is not None:
        kw = {**kw, "memory_limit": 0, "spill_dir": spill}
    out, report = fn(inputs[data], return_report=True, **kw)
    return as_table(out), report


def same(a, b) -> bool:
    if isinstance(a[0], pa.Table):
        return a[0].equals(b[0]) and a[1] == b[1]
    return a == b


def test_sixteen_threads_give_the_serial_answers_I5(inputs, tmp_path):
    """16 calls started together (a barrier) on 16 threads, twice, equal the same
    calls made one by one: tables by ``.equals``, reports and fits exactly; every
    spill folder is left empty."""
    folders = {}

    def spill_dir(round_: str, i: int) -> Path | None:
        if not JOBS[i][3]:
            return None
        folders[round_, i] = tmp_path / f"{round_}-{i}"
        folders[round_, i].mkdir()
        return folders[round_, i]

    serial = [run_job(job, inputs, spill_dir("serial", i)) for i, job in enumerate(JOBS)]
    assert any(r[1].bytes_spilled > 0 for r in serial if isinstance(r[0], pa.Table))
    for round_ in ("parallel 1", "parallel 2"):
        start = threading.Barrier(THREADS)

        def job_at_once(i: int, round_=round_, start=start):
            folder = spill_dir(round_, i)
            start.wait(timeout=60)
            return run_job(JOBS[i], inputs, folder)

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            parallel = list(pool.map(job_at_once, range(len(JOBS))))
        for i, (a, b) in enumerate(zip(serial, parallel, strict=True)):
            assert same(a, b), f"job {i} ({JOBS[i][0]}, {JOBS[i][1]}) differs in {round_}"
    assert all(list(f.iterdir()) == [] for f in folders.values()), "spill files left behind"


# --------------------------------------------------------------------------- fork
def answers(tx: pa.Table, spill: Path) -> list:
    """A Customer Value run, a spilling RFM run and a BG/NBD fit of ``tx``."""
    return [
        cs.customer_value(tx, periods=QUARTERLY),
        cs.rfm(tx, memory_limit=0, spill_dir=spill),
        fitted(cs.BetaGeo().fit(cs.rfm_summary(tx))),
    ]


def _child(queue, tx, spill):
    queue.put(answers(tx, spill))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_child_after_the_parent_used_the_api_gives_its_answer(tmp_path):
    """multiprocessing's "fork" start method, as Airflow's LocalExecutor: the
    parent's rayon pool is started (it ran the same calls) before the fork."""
    tx = cs.datasets.synthetic(customers=3_000, years=3, seed=7, ids="str")
    expected = answers(tx, tmp_path)
    fork = multiprocessing.get_context("fork")
    queue = fork.Queue()
    child = fork.Process(target=_child, args=(queue, tx, tmp_path))
    child.start()
    try:
        got = queue.get(timeout=120)  # raises queue.Empty when the child hangs
        child.join(timeout=60)
    finally:
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
    assert got[0].equals(expected[0]) and got[1].equals(expected[1])
    assert got[2] == expected[2]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_os_fork_while_another_thread_computes(tmp_path):
    """A bare ``os.fork()`` while a thread of the parent is inside a call (its
    worker threads busy): the child's own call works and matches the parent's."""
    tx = cs.datasets.synthetic(customers=3_000, years=3, seed=8)
    expected = cs.customer_value(tx)
    big = cs.datasets.synthetic(customers=200_000, years=4, seed=9)
    stop, calls = threading.Event(), []

    def keep_busy():
        while not stop.is_set():
            calls.append(cs.customer_value(big).num_rows)

    busy = threading.Thread(target=keep_busy)
    busy.start()
    time.sleep(0.3)
    assert busy.is_alive()
    out = tmp_path / "child.arrow"
    pid = os.fork()
    if pid == 0:  # the child: write the answer and leave at once
        code = 1
        try:
            with pa.OSFile(str(out), "wb") as f, pa.ipc.new_file(f, expected.schema) as w:
                w.write_table(cs.customer_value(tx))
            code = 0
        finally:
            os._exit(code)
    try:
        _, status = _wait(pid, timeout=120)
    finally:
        stop.set()
        busy.join()
    assert os.waitstatus_to_exitcode(status) == 0
    assert pa.ipc.open_file(str(out)).read_all().equals(expected)


def _wait(pid: int, timeout: float) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return done, status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"the forked child hung for {timeout} s")


# --------------------------------------------------------------------------- Ctrl-C
CHILD = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np, pyarrow as pa, custseg as cs

    def files(folder):
        return [os.path.join(r, f) for r, _, fs in os.walk(folder) for f in fs]

    what, folder = sys.argv[1], sys.argv[2]
    if what == "spill":
        # about 70M rows, generated while read: far longer than the test waits
        rows = cs.datasets.synthetic_stream(customers=6_000_000, years=6, seed=1,
                                            batch_customers=10_000)
        call = lambda: cs.customer_value(rows, memory_limit=0, spill_dir=folder)
    else:
        # 1M distinct summaries: each log-likelihood pass takes a while and BFGS
        # needs hundreds of iterations on these (CLV4)
        rng = np.random.default_rng(0)
        T = rng.uniform(10, 100, 1_000_000)
        f = rng.poisson(2, T.size).astype(float)
        s = pa.table({"frequency": f, "recency": np.where(f > 0, T * rng.uniform(0, 1, T.size), 0),
                      "T": T})
        call = lambda: cs.BetaGeo().fit(s)
    print("started", flush=True)
    try:
        call()
    except KeyboardInterrupt:
        print(f"caught KeyboardInterrupt, files left: {len(files(folder))}", flush=True)
        sys.exit(0)
    print("finished before the signal", flush=True)
    sys.exit(1)
    """
)


def interrupt(what: str, folder: Path, tmp: Path, ready) -> tuple[float, str]:
    """Starts the child, waits until ``ready(seconds since it started the
    call)`` says the call is under way,
    sends SIGINT; returns the seconds from the signal to the child's exit and
    its output."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, what, str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "started"
        begun = time.monotonic()
        while not ready(time.monotonic() - begun) and time.monotonic() - begun < 60:
            time.sleep(0.01)
        assert child.poll() is None, child.stdout.read()
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)
        took = time.monotonic() - sent
        return took, child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def all_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_ctrl_c_during_a_spilling_run_is_prompt_and_leaves_no_files(tmp_path):
    """SIGINT once spill files exist: KeyboardInterrupt, exit within a second,
    the spill folder empty (issue 18 items 4 and 7)."""
    spill, tmp = tmp_path / "spill", tmp_path / "tmp"
    spill.mkdir()
    tmp.mkdir()
    took, out = interrupt("spill", spill, tmp, ready=lambda _: bool(all_files(spill)))
    assert "caught KeyboardInterrupt, files left: 0" in out, out
    assert took < 1.0, f"{took:.2f} s from SIGINT to exit"
    assert all_files(spill) == [] and all_files(tmp) == []


def test_ctrl_c_during_a_btyd_fit_is_prompt_CLV4(tmp_path):
    """SIGINT half a second into a BG/NBD fit of 1M customers: KeyboardInterrupt,
    exit within a second, no file left in the temporary folder."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    took, out = interrupt("btyd", tmp, tmp, ready=lambda seconds: seconds > 0.5)
    assert "caught KeyboardInterrupt, files left: 0" in out, out
    assert took < 1.0, f"{took:.2f} s from SIGINT to exit"
    assert all_files(tmp) == []
