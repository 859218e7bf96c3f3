"""``benches/bench_spark.py --check-only`` runs its correctness gate on tiny data.

The gate of the Spark benchmark: ``custseg.spark`` and the PySpark SQL version of the rules
(``benches/spark_sql_rules.py``) each equal single-machine custseg (every column, floats bit
for bit) at a period start and mid-period, in one local[2] SparkSession. Needs Java 17 and
pyspark. One task (``customer_value``) here: the gate runs the same code for ``rfm`` and
``clv``, whose equality on Spark is tested in ``test_spark.py`` (custseg.spark) and
``test_spark_sql_rules.py`` (the SQL version) with the shared session; each task here cost
a Spark job per contender and date (48 s for the three).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def test_bench_spark_check_only_gate_passes() -> None:
    r = subprocess.run(
        [
            sys.executable,
            str(BENCHES / "bench_spark.py"),
            *("--check-only", "--rows", "20k", "--ids", "str", "--order", "shuffled"),
            *("--tasks", "cv"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    checked = {
        (ln.split()[1], ln.split()[6], ln.split()[7])  # task, as_of, contender
        for ln in r.stdout.splitlines()
        if ln.startswith("check ") and ln.split()[8:9] == ["ok"]
    }
    want = {
        (task, as_of, name)
        for task in ("cv",)
        for as_of in ("2026-01-01", "2025-10-15")
        for name in ("custseg.spark", "spark-sql")
    }
    assert checked == want, r.stdout
    assert "all equal" in r.stdout
