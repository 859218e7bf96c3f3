"""The command line of the segments over time (rule CV8): ``custseg history`` and
``custseg migration`` write what ``custseg.customer_value_history`` and
``custseg.migration`` return for the same table and options; bad input gives exit
code 2 and one line ``custseg: error: ...`` on stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import custseg as cs
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from custseg.cli import main

EXIT_BAD_INPUT = 2


@pytest.fixture(scope="module")
def tx_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Table, Path]:
    tx = cs.datasets.synthetic(customers=1_500, years=3, seed=7)
    path = tmp_path_factory.mktemp("cli") / "tx.parquet"
    pq.write_table(tx, path)
    return tx, path


def test_history_writes_the_history(tx_file, tmp_path, capsys):
    tx, path = tx_file
    out = tmp_path / "h.parquet"
    args = ["history", str(path), "-o", str(out), "--start", "2024-07-01", "--period", "quarterly"]
    assert main(args) == 0
    want = cs.customer_value_history(tx, start="2024-07-01", periods=cs.Periods.quarterly())
    got = pq.read_table(out)
    assert got.num_rows == want.num_rows > 0
    assert got.cast(want.schema).equals(want)
    printed = capsys.readouterr().out
    assert "period starts" in printed and "2024-07-01" in printed


def test_history_takes_the_cv_options(tx_file, tmp_path):
    tx, path = tx_file
    out = tmp_path / "h.parquet"
    args = ["history", str(path), "-o", str(out), "--sales-only", "--sales-months", "1,7", "-q"]
    assert main(args) == 0
    want = cs.customer_value_history(tx, sales_only=True, sales_months=(1, 7))
    assert pq.read_table(out).cast(want.schema).equals(want)


def test_migration_writes_the_tidy_table(tx_file, tmp_path):
    tx, path = tx_file
    out = tmp_path / "m.csv"
    args = ["migration", str(path), "-o", str(out), "--by", "cv_group", "--end", "2025-07-01", "-q"]
    assert main(args) == 0
    want = cs.migration(data=tx, by="cv_group", end="2025-07-01")
    got = pcsv.read_csv(out)
    assert got.column_names == want.column_names
    assert got.column("customers").to_pylist() == want.column("customers").to_pylist()
    assert got.column("to_segment").to_pylist() == want.column("to_segment").to_pylist()
    assert got.column("monetary_to").to_pylist() == pytest.approx(
        want.column("monetary_to").to_pylist()
    )


def test_a_range_without_a_boundary_is_a_clear_error(tx_file, tmp_path):
    _, path = tx_file
    out = tmp_path / "h.parquet"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "custseg",
            "history",
            str(path),
            "-o",
            str(out),
            "--start",
            "2031-01-01",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == EXIT_BAD_INPUT
    assert r.stderr.startswith("custseg: error: no period boundary") and "CV8" in r.stderr
    assert not out.exists(), "nothing written on failure"


def test_history_has_no_as_of(tx_file, tmp_path, capsys):
    _, path = tx_file
    with pytest.raises(SystemExit):
        main(["history", str(path), "-o", str(tmp_path / "h.parquet"), "--as-of", "2025-01-01"])
    assert "--as-of" in capsys.readouterr().err
