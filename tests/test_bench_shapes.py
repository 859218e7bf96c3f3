"""``benches/bench_shapes.py`` still runs and its correctness gate passes (timings are never
asserted here).

20k rows, one timed run, three small slices of the options: every variant (plain,
sales_only, orders), every input form (Arrow table, pandas with Arrow strings, pandas with
object strings, Parquet read by the custseg CLI), cv and rfm, each contender at least once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHES = Path(__file__).resolve().parent.parent / "benches"

CASES = [
    # (variant, input, what, ids, order, contenders)
    ("plain", "arrow,parquet", "cv,rfm", "str", "grouped", "custseg,polars,duckdb,pandas"),
    ("sales_only", "pandas-object", "cv", "cust", "shuffled", "custseg,duckdb,pandas"),
    ("orders", "pandas-arrow", "cv,rfm", "uuid", "by-date", "custseg,polars"),
]


@pytest.mark.parametrize(("variant", "inputs", "whats", "ids", "order", "names"), CASES)
def test_bench_shapes_checks_and_reports(
    tmp_path: Path, variant: str, inputs: str, whats: str, ids: str, order: str, names: str
) -> None:
    out = tmp_path / "shapes.json"
    r = subprocess.run(
        [
            sys.executable,
            str(BENCHES / "bench_shapes.py"),
            *("--rows", "20k", "--repeat", "1", "--variant", variant, "--input", inputs),
            *("--what", whats, "--ids", ids, "--order", order, "--contenders", names),
            *("--json", str(out), "--data-dir", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "MISMATCH" not in r.stderr
    doc = json.loads(out.read_text())
    ran = {
        (x["what"], x["input"], x["contender"])
        for x in doc["results"]
        if x.get("checked_against_custseg") and x["best_s"] > 0
    }
    skipped = {(x["what"], x["contender"]) for x in doc["results"] if "skipped" in x}
    for what in whats.split(","):
        for form in inputs.split(","):
            for name in names.split(","):
                if name == "pandas" and what != "cv":
                    assert (what, name) in skipped
                    continue
                assert (what, form, name) in ran, r.stdout
    assert all(x["variant"] == variant and x["ids"] == ids for x in doc["results"])
    table = [ln for ln in r.stdout.splitlines() if ln.startswith("| 20k |")]
    assert len(table) == len(doc["results"]) + len(doc["summary"]), r.stdout
    if "parquet" in inputs:
        assert any(x.get("via") == "cli" for x in doc["results"])
        assert "custseg (CLI)" in r.stdout
