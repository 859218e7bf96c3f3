"""One local Spark session for the whole test run (the Spark tests share it).

``spark_session()`` starts ``local[2]`` once (cached): the JVM start takes several seconds,
every later call returns the same session. Python workers run this interpreter
(``PYSPARK_PYTHON``), the session time zone is UTC, the UI is off and shuffles use few
partitions (the test data is small).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
from typing import Any

import pytest

JAVA_MISSING = (
    "the Spark tests need a Java runtime (Java 17) on PATH and none was found: install one, "
    "e.g. `apt install openjdk-17-jre-headless` (Debian/Ubuntu), or set JAVA_HOME and put "
    "$JAVA_HOME/bin on PATH"
)


@functools.lru_cache(maxsize=1)
def spark_session() -> Any:
    """The shared local[2] SparkSession; fails the test with a clear message without Java."""
    if shutil.which("java") is None:
        pytest.fail(JAVA_MISSING, pytrace=False)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("custseg-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    atexit.register(spark.stop)
    return spark
