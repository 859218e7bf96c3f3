"""Spill files and signals in API calls (issue 18, item 4), with real signals
sent to a subprocess that is spilling:

- SIGTERM (a scheduler stopping the job): the call cancels, the spill folder
  is removed, and the process still ends by SIGTERM (custseg._signals);
- SIGKILL (nothing runs): the folder stays, and the next run that spills into
  the same folder removes it (src/store/stale.rs);
- a program's own SIGTERM handler is left as it is.
(Ctrl-C in API calls: tests/test_concurrency.py; the CLI: tests/test_cli_atomic.py.)
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import custseg as cs
import pyarrow as pa

CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np, pyarrow as pa
    import custseg as cs

    schema = pa.schema(
        [("customer_id", pa.int64()), ("date", pa.date32()), ("amount", pa.float64())]
    )

    def batches():
        rng = np.random.default_rng(3)
        for _ in range(400):  # 400M rows: far longer than the test waits
            k = 1 << 20
            days = rng.integers(18_000, 19_000, k).astype("int32")
            yield pa.record_batch([pa.array(rng.integers(0, 1_000_000, k)),
                                   pa.array(days, pa.date32()), pa.array(rng.random(k))],
                                  schema=schema)

    cs.customer_value(pa.RecordBatchReader.from_batches(schema, batches()),
                      memory_limit=0, spill_dir=sys.argv[1])
    print("FINISHED")
    """
)


def spilling_child(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    """A child spilling into a fresh folder, once its spill folder exists."""
    spill = tmp_path / "spill"
    spill.mkdir()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    p = subprocess.Popen([sys.executable, str(script), str(spill)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(spill.glob("custseg-spill-*/part-*.bin")):
        assert p.poll() is None, p.stderr.read().decode()
        assert time.monotonic() < deadline, "the child never spilled"
        time.sleep(0.02)
    time.sleep(0.3)  # well inside the spilling run
    return p, spill


def test_sigterm_removes_the_spill_files_and_still_ends_the_process(tmp_path):
    p, spill = spilling_child(tmp_path)
    t = time.monotonic()
    p.send_signal(signal.SIGTERM)
    code = p.wait(timeout=30)
    took = time.monotonic() - t
    assert code == -signal.SIGTERM, (code, p.stderr.read().decode())
    assert list(spill.iterdir()) == [], "spill files left after SIGTERM"
    assert took < 1.0, f"{took:.2f} s from SIGTERM to the end of the process"


def test_after_sigkill_the_next_run_removes_the_stale_folder(tmp_path):
    p, spill = spilling_child(tmp_path)
    p.send_signal(signal.SIGKILL)
    assert p.wait(timeout=30) == -signal.SIGKILL
    (stale,) = spill.iterdir()  # nothing ran: the killed run's folder stays
    assert any(stale.glob("part-*.bin"))
    t = pa.table(
        {"customer_id": [1, 1, 2], "date": pa.array([18_000, 18_100, 18_050], pa.date32()),
         "amount": [5.0, 7.0, 3.0]}
    )  # fmt: skip
    plain = cs.customer_value(t, as_of="2020-01-01")
    spilled, rep = cs.customer_value(
        t, as_of="2020-01-01", memory_limit=0, spill_dir=spill, return_report=True
    )
    assert rep.bytes_spilled > 0
    assert spilled.equals(plain)
    assert list(spill.iterdir()) == [], "the stale folder and this run's are gone"


def test_a_programs_own_sigterm_handler_is_kept(tmp_path):
    seen = []

    def handler(signum, frame):
        seen.append(signum)

    old = signal.signal(signal.SIGTERM, handler)
    try:
        t = pa.table(
            {"customer_id": [1, 2], "date": pa.array([18_000, 18_001], pa.date32()),
             "amount": [1.0, 2.0]}
        )  # fmt: skip
        cs.customer_value(t, memory_limit=0, spill_dir=tmp_path)
        assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, old)
    assert seen == []
