"""``benches/bench_compare.py`` still runs (its timings are never asserted here).

Two names for the custseg installed in the virtual environment, on 20k rows (2k customers
for BG/NBD), one round: the probe, the correctness check of every case against the first
build, the interleaved timing and the Markdown table go through the same code as a real
old-against-new comparison. One row order and one id type (each case and build is a
worker process of its own: all 12 took a minute of the test suite).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def test_bench_compare_runs_every_case(tmp_path: Path) -> None:
    out = tmp_path / "compare.json"
    r = subprocess.run(
        [
            sys.executable,
            str(BENCHES / "bench_compare.py"),
            *("--build", "a=installed", "--build", "b=installed"),
            *("--rows", "20k", "--repeat", "1", "--inner", "1", "--json", str(out)),
            *("--orders", "by-date", "--ids", "str"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "every build gives the result of a on every case" in r.stdout, r.stdout
    table = [ln.split("|")[1:-1] for ln in r.stdout.splitlines() if ln.startswith("| ")]
    assert [c.strip() for c in table[0][:4]] == ["case", "order", "ids", "size"], r.stdout
    keys = {tuple(c.strip() for c in row[:3]) for row in table[1:]}
    want = {(case, "by-date", "str") for case in ("customer_value", "rfm", "clv")}
    assert keys == want | {
        ("btyd", "-", "-"),
        ("btyd (fit)", "-", "-"),
        ("btyd (predict)", "-", "-"),
    }, r.stdout
    assert all(row[-1].strip() in ("yes", "**no**", "(yes)", "(**no**)") for row in table[1:])
    doc = json.loads(out.read_text())
    assert doc["problems"] == []
    assert all(c["equal"] == {"b": True} for c in doc["checks"].values())
