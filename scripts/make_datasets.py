#!/usr/bin/env python3
"""Makes the data files shipped inside the package (``python/custseg/data/``) from the
original text files, so they can be made again and checked.

    python scripts/make_datasets.py CDNOW_FOLDER

CDNOW_FOLDER holds ``CDNOW_master.txt`` (customer id, date YYYYMMDD, number of CDs,
dollar value) and ``CDNOW_sample.txt`` (customer id, id in the sample, date, CDs, value),
whitespace separated, as distributed with Fader, Hardie and Lee (2005). Each becomes a
zstd-compressed Parquet file with the columns ``customer_id`` (int64), ``date`` (date32),
``quantity`` (int64) and ``amount`` (float64), in the file's row order; the counts of
rows and customers are checked against the published ones.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent.parent / "python" / "custseg" / "data"
# file: (columns of the text file, rows, customers)
FILES = {
    "master": ("CDNOW_master.txt", ["customer_id", "date", "quantity", "amount"], 69_659, 23_570),
    "sample": (
        "CDNOW_sample.txt",
        ["customer_id", "sample_id", "date", "quantity", "amount"],
        6_919,
        2_357,
    ),
}


def read(path: Path, names: list[str]) -> pa.Table:
    """The text file's rows (a header line, if any, is skipped)."""
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if rows and not rows[0][0].isdigit():
        rows = rows[1:]
    cols = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    return pa.table(
        {
            "customer_id": pa.array([int(x) for x in cols["customer_id"]], pa.int64()),
            "date": pa.array(
                [dt.datetime.strptime(x, "%Y%m%d").date() for x in cols["date"]], pa.date32()
            ),
            "quantity": pa.array([int(x) for x in cols["quantity"]], pa.int64()),
            "amount": pa.array([float(x) for x in cols["amount"]], pa.float64()),
        }
    )


def main(folder: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for which, (name, names, rows, customers) in FILES.items():
        table = read(Path(folder) / name, names)
        assert table.num_rows == rows, (name, table.num_rows)
        assert len(set(table["customer_id"].to_pylist())) == customers, name
        out = OUT / f"cdnow_{which}.parquet"
        pq.write_table(table, out, compression="zstd", compression_level=19)
        print(f"{out}: {table.num_rows:,} rows, {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
