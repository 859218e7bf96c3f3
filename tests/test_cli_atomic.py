"""Nothing lost, nothing half-written at the command line (issue 18, item 4).

The CLI writes its output into a temporary file of the target folder and
renames it over the target only once complete. An error, Ctrl-C (exit code
130) or SIGTERM (exit code 143) therefore leaves an earlier output byte for
byte as it was, no temporary file, and (the core removes its spill folder when
a run ends in an error or an interrupt) an empty spill folder.

The signals are real: ``python -m custseg cv`` runs in a subprocess on a few
million rows with ``--memory-limit 0`` (every input window spills), and the
signal is sent once its spill folder appears, that is while the core works.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import custseg as cs
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from custseg import _cli_report
from custseg.cli import main

EXIT_BAD_INPUT = 2
OLD = b"an earlier output, kept byte for byte"


def leftovers(folder: Path) -> list[str]:
    """Temporary outputs left in ``folder``."""
    return [p.name for p in folder.iterdir() if ".custseg-tmp-" in p.name]


@pytest.fixture(scope="module")
def tx() -> pa.Table:
    return cs.datasets.synthetic(customers=300, years=2, seed=4)


# --------------------------------------------------------------------------- write_output


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".arrow"])
def test_output_replaced_whole_and_no_temporary_file(
    tx: pa.Table, suffix: str, tmp_path: Path
) -> None:
    out = tmp_path / f"cv{suffix}"
    out.write_bytes(OLD)
    _cli_report.write_output(cs.customer_value(tx), str(out))
    assert out.read_bytes() != OLD and out.stat().st_size > 0
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_a_write_stopped_halfway_leaves_the_old_output(
    tx: pa.Table, stop: type[BaseException], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or a full disk) in the middle of writing: the partial bytes were in
    the temporary file, which is gone; the old output is untouched."""
    out = tmp_path / "cv.parquet"
    out.write_bytes(OLD)

    def half_then_stop(table: Any, where: str, **_: Any) -> None:
        Path(where).write_bytes(b"PAR1 half a file")
        raise stop()

    monkeypatch.setattr(pq, "write_table", half_then_stop)
    with pytest.raises(stop):
        _cli_report.write_output(cs.customer_value(tx), str(out))
    assert out.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_a_new_output_gets_the_usual_permissions_an_old_one_keeps_its(
    tx: pa.Table, tmp_path: Path
) -> None:
    """mkstemp makes 0600 files: the output gets what a plain write would give."""
    umask = os.umask(0o022)
    try:
        new = tmp_path / "new.parquet"
        _cli_report.write_output(cs.customer_value(tx), str(new))
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        old = tmp_path / "old.parquet"
        old.write_bytes(OLD)
        old.chmod(0o640)
        _cli_report.write_output(cs.customer_value(tx), str(old))
        assert stat.S_IMODE(old.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


def test_an_output_through_a_link_writes_the_target(tx: pa.Table, tmp_path: Path) -> None:
    target = tmp_path / "store" / "cv.parquet"
    target.parent.mkdir()
    target.write_bytes(OLD)
    link = tmp_path / "latest.parquet"
    link.symlink_to(target)
    _cli_report.write_output(cs.customer_value(tx), str(link))
    assert link.is_symlink()
    assert pq.read_table(target).num_rows > 0
    assert leftovers(target.parent) == [] and leftovers(tmp_path) == []


def test_an_error_leaves_the_old_output(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    amounts = tx["amount"].to_numpy().copy()
    amounts[3] = np.nan
    pq.write_table(tx.set_column(2, "amount", pa.array(amounts)), tmp_path / "bad.parquet")
    out = tmp_path / "cv.parquet"
    out.write_bytes(OLD)
    code = main(["cv", str(tmp_path / "bad.parquet"), "-o", str(out)])
    assert code == EXIT_BAD_INPUT, capsys.readouterr().err
    assert out.read_bytes() == OLD
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- real signals


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4M rows of 400k customers over three years: about a second of work with
    every window spilled, on two cores, enough to land a signal in the middle."""
    n = 4_000_000
    rng = np.random.default_rng(18)
    days = rng.integers(19_000, 20_100, n).astype("datetime64[D]")
    table = pa.table(
        {
            "customer_id": rng.integers(0, 400_000, n),
            "date": pa.array(days),
            "amount": rng.integers(100, 20_000, n) / 100,
        }
    )
    path = tmp_path_factory.mktemp("big") / "tx.parquet"
    pq.write_table(table, path, row_group_size=250_000)
    return path


@pytest.mark.parametrize(
    ("sig", "code", "said"),
    [(signal.SIGINT, 130, "custseg: interrupted"), (signal.SIGTERM, 143, "custseg: terminated")],
)
def test_a_signal_while_spilling_loses_nothing(
    big: Path, sig: signal.Signals, code: int, said: str, tmp_path: Path
) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "cv.parquet"
    out.write_bytes(OLD)
    argv = ["cv", big, "-o", out, "--memory-limit", "0", "--spill-dir", spill, "-q"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "custseg", *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(spill.iterdir()):  # the core's spill folder: it is at work
            assert proc.poll() is None, f"ended before it spilled: {proc.communicate()}"
            assert time.monotonic() < deadline, "no spill folder after 120 s"
            time.sleep(0.002)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, stderr
    assert stderr.splitlines() == [said]
    assert stdout == ""
    assert out.read_bytes() == OLD
    assert leftovers(out_dir) == []
    assert list(spill.iterdir()) == []


def test_sigterm_handler_is_restored_after_main(tx: pa.Table, tmp_path: Path) -> None:
    """main() turns SIGTERM into an interrupt only while it runs (in-process callers
    keep their own handler)."""
    before = signal.getsignal(signal.SIGTERM)
    pq.write_table(tx, tmp_path / "tx.parquet")
    assert main(["cv", str(tmp_path / "tx.parquet"), "-o", str(tmp_path / "cv.parquet"), "-q"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before
