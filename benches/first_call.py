"""The first call in a fresh process: what an Airflow task, a script or a Spark
worker pays once, which best-of-N benchmarks never show.

Writes synthetic rows (``C0000042`` ids, by date) to an Arrow IPC file, then
runs ``customer_value`` twice in each of ``--repeat`` fresh interpreters that
read the file, and prints both times and whether pandas was imported
(docs/performance.md, "A first call no longer imports pandas")::

    .venv/bin/python benches/first_call.py --rows 100k --repeat 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, sys, time
import custseg as cs, pyarrow as pa
table = pa.ipc.open_file(pa.memory_map(sys.argv[1])).read_all()
times = []
for _ in range(2):
    t0 = time.perf_counter()
    cs.customer_value(table, as_of="2026-01-01")
    times.append(time.perf_counter() - t0)
print(json.dumps({"first": times[0], "second": times[1], "pandas": "pandas" in sys.modules}))
"""

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}


def write_rows(rows: int, path: Path) -> None:
    """Synthetic rows (about 9.7 a customer) sorted by date, as an IPC file."""
    import custseg as cs
    import pyarrow as pa

    table = cs.datasets.synthetic(customers=max(1, rows // 10), years=4, seed=42, ids="str")
    table = table.sort_by([("date", "ascending")])
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="100k", choices=sorted(SIZES))
    ap.add_argument("--repeat", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.arrow"
        write_rows(SIZES[args.rows], path)
        print(f"{args.rows} rows by date, C0000042 ids; customer_value twice per fresh process")
        print("| run | first call s | second call s | pandas imported |")
        print("|---:|---:|---:|---|")
        for run in range(1, args.repeat + 1):
            cmd = [sys.executable, "-c", CHILD, str(path)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"| {run} | {r['first']:.3f} | {r['second']:.3f} | {r['pandas']} |")


if __name__ == "__main__":
    main()
