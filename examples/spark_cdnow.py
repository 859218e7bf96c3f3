"""custseg on Spark with the bundled CDNOW transactions (docs/spark.md).

Starts a local[2] Spark session, writes the 69,659 CDNOW rows to a Parquet
folder and reads them back as a PySpark DataFrame, segments them with
``custseg.spark.customer_value``, prints the customers per segment, and checks
that every row equals the one-machine ``custseg.customer_value`` on the same
transactions. Exits 1 if anything differs.

    python examples/spark_cdnow.py

Needs pyspark (``pip install "custseg[spark]"``) and a Java 17 runtime.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from typing import Any

import custseg as cs
import custseg.spark as css
import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

AS_OF = "1998-07-01"  # the day after the last CDNOW day; the start of 1998H2 (P2)


def plain(t: pa.Table) -> list[dict[str, Any]]:
    """Rows sorted by customer, labels as strings (Spark has no categoricals)."""
    cols = [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in t.columns]
    return pa.table(dict(zip(t.column_names, cols, strict=True))).sort_by("customer_id").to_pylist()


def main() -> int:
    # The Python workers must import the same custseg: here, this interpreter's.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("custseg-cdnow")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")  # small data: few partitions
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        tx = cs.datasets.cdnow()  # customer_id, date, quantity, amount
        with tempfile.TemporaryDirectory() as folder:
            pq.write_table(tx, f"{folder}/part-0.parquet")
            sdf = spark.read.parquet(folder)
            cv, report = css.customer_value(sdf, as_of=AS_OF, return_report=True)
            by = cv.groupBy("cv_group", "cv_segment").count().orderBy("cv_group", "cv_segment")
            counts = {(r["cv_group"], r["cv_segment"]): r["count"] for r in by.collect()}
            got = cv.toArrow()
        print(report)
        want = cs.customer_value(tx, as_of=AS_OF)  # the one-machine call
        order = want["cv_segment"].combine_chunks().dictionary.to_pylist()  # spec order
        print(f"{'cv_group':<9} {'cv_segment':<10} {'customers':>9}")
        for group, segment in sorted(counts, key=lambda k: (k[0], order.index(k[1]))):
            print(f"{group:<9} {segment:<10} {counts[group, segment]:>9,}")

        pairs = zip(want["cv_group"].to_pylist(), want["cv_segment"].to_pylist(), strict=True)
        if counts != dict(Counter(pairs)) or plain(got) != plain(want):
            print("custseg.spark DIFFERS from custseg.customer_value", file=sys.stderr)
            return 1
        print(
            f"custseg.spark equals custseg.customer_value: {want.num_rows:,} customers, "
            "the same segment counts and every column of every row"
        )
        return 0
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
