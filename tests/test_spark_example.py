"""examples/spark_cdnow.py runs as written (``python examples/spark_cdnow.py``):
it exits 0 and says that custseg.spark equals the one-machine call on CDNOW.

The script starts its own local[2] Spark session, so it runs in a subprocess
(20-40 s on a 2-core machine: the session's start and the first Spark jobs);
its Python workers run this interpreter (``PYSPARK_PYTHON``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from spark_session import JAVA_MISSING

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "spark_cdnow.py"
EQUAL = "custseg.spark equals custseg.customer_value: 23,502 customers"


def test_the_spark_cdnow_example_runs_and_finds_the_same_segments() -> None:
    if shutil.which("java") is None:
        pytest.fail(JAVA_MISSING, pytrace=False)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert EQUAL in done.stdout, done.stdout
    assert "2 ACT     PLATINA          269" in done.stdout, done.stdout
