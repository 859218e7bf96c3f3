"""The floor of any Spark design that moves every transaction row through a Python
task (issue 16): the time to read a Parquet folder, repartition its rows by customer,
sort them within partitions and hand them to a ``mapInArrow`` that only counts them,
each step into Spark's ``noop`` sink, in one warm ``local[N]`` session.

    .venv/bin/python benches/spark_floor.py /tmp/bsdata/tx-10M-int-by-date --repeat 3

(``bench_spark.py --data-dir DIR`` leaves its Parquet folders in DIR.)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator

import pyarrow as pa


def count(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    n = sum(b.num_rows for b in batches)
    yield pa.record_batch([pa.array([n])], ["n"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--customer", default="customer_id")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--conf", action="append", default=[], help="a Spark setting KEY=VALUE")
    args = ap.parse_args()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "6g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for kv in args.conf:
        spark.conf.set(*kv.split("=", 1))
    sdf = spark.read.parquet(args.folder)
    c, parts = args.customer, max(args.cores, sdf.rdd.getNumPartitions())
    steps = {
        "read": sdf,
        "repartition": sdf.repartition(parts, c),
        "repartition+sort": sdf.repartition(parts, c).sortWithinPartitions(c),
        "repartition+sort+mapInArrow": sdf.repartition(parts, c)
        .sortWithinPartitions(c)
        .mapInArrow(count, "n long"),
    }
    best = {k: float("inf") for k in steps}
    for _ in range(args.repeat + 1):  # the first round warms the JVM up
        for name, q in steps.items():
            t = time.perf_counter()
            q.write.format("noop").mode("overwrite").save()
            best[name] = min(best[name], time.perf_counter() - t)
    for name, s in best.items():
        print(f"{name:30s} {s:7.2f} s (best of {args.repeat + 1})")
    spark.stop()


if __name__ == "__main__":
    main()
