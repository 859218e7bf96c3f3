"""Memory that holds (issue 18, item 5): the peak RSS of ``customer_value``
with ``memory_limit=L`` over a stream of rows grouped by customer, by date and
shuffled, against the documented bound (docs/reliability.md):

    peak - before  <=  stream + 1.25 L + 100 B x customers + 128 MiB

- ``stream``: what the input's own batches take (measured here by reading the
  same stream without custseg, in its own process);
- ``1.25 L``: the lines held (at most L, plus the window that passes it before
  it is spilled) and the 64 spill files' write buffers (L / 8);
- ``100 B x customers``: the per-customer state (32 bytes, held twice while it
  is gathered into key order) and the result's columns (about 38 bytes), for
  integer ids (string ids add their bytes and about 24 bytes each);
- ``128 MiB``: one window of up to 1M rows in flight (its converted columns and
  its lines, 32 bytes a row), the partitions being segmented (one per thread),
  and what the allocator keeps between windows.

Each run is its own process (peak RSS: its ``VmHWM``), the rows come from a
generator (never all in memory at once).

    .venv/bin/python benches/bench_memory.py --rows 5M --customers 500k --limit 64MB
    .venv/bin/python benches/bench_memory.py --rows 100M --customers 10M --limit 1GB --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

MIB = 1 << 20
WINDOW_AND_SLACK = 128 * MIB
PER_CUSTOMER = 100
BATCH = 1 << 20

CHILD = r"""
import sys, time
import numpy as np, pyarrow as pa

rows, customers, order, limit, spill = sys.argv[1:6]
rows, customers = int(rows), int(customers)
schema = pa.schema([("customer_id", pa.int64()), ("date", pa.date32()), ("amount", pa.float64())])

def batches():
    rng = np.random.default_rng(7)
    for s in range(0, rows, BATCH):
        k = min(BATCH, rows - s)
        if order == "by-date":  # a transaction log: days rise batch after batch
            day = np.full(k, 18_000 + s * 1_400 // rows, dtype="int32")
        else:
            day = rng.integers(18_000, 19_400, k).astype("int32")
        c = rng.integers(0, customers, k)
        if order == "grouped":  # each customer's rows together, customers rising
            lo = s * customers // rows
            c = np.sort(rng.integers(lo, max(lo + 1, (s + k) * customers // rows), k))
        amount = np.round(rng.random(k) * 100, 2)
        cols = [pa.array(c), pa.array(day, pa.date32()), pa.array(amount)]
        yield pa.record_batch(cols, schema=schema)

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key))

def rss():
    return status("VmRSS")

import custseg as cs  # imported before the baseline in both modes
before, t = rss(), time.perf_counter()
if limit == "stream-only":
    n = sum(b.num_rows for b in batches())
    customers_out, spilled = 0, 0
else:
    reader = pa.RecordBatchReader.from_batches(schema, batches())
    mem = None if limit == "none" else int(limit)
    out, rep = cs.customer_value(reader, memory_limit=mem, spill_dir=spill or None,
                                 return_report=True)
    n, customers_out, spilled = rep.rows_read, rep.customers, rep.bytes_spilled
# VmHWM, not getrusage's ru_maxrss: Linux keeps the latter across exec, so a
# child of a large process (pytest after other tests) would report its parent's.
peak = status("VmHWM")
print(f"{before} {peak} {n} {customers_out} {spilled} {time.perf_counter() - t:.3f}")
""".replace("BATCH", str(BATCH))


def size(text: str) -> int:
    units = {"k": 1e3, "M": 1e6, "G": 1e9, "KB": 1e3, "MB": 1e6, "GB": 1e9}
    for u in sorted(units, key=len, reverse=True):
        if text.endswith(u):
            return int(float(text[: -len(u)]) * units[u])
    return int(float(text))


def child(rows: int, customers: int, order: str, limit: str, spill: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(rows), str(customers), order, limit, spill],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    before, peak, n, custs, spilled, secs = out
    return {
        "extra": int(peak) - int(before),
        "rows": int(n),
        "customers": int(custs),
        "spilled": int(spilled),
        "seconds": float(secs),
    }


def bound(stream: int, limit: int, customers: int) -> int:
    """The documented bound on the peak above the baseline (module docs)."""
    return stream + limit * 5 // 4 + PER_CUSTOMER * customers + WINDOW_AND_SLACK


def measure(rows: int, customers: int, limit: int, orders: list[str], spill: str) -> list[dict]:
    """The stream alone, then customer_value per order, each against the bound."""
    stream = child(rows, customers, "shuffled", "stream-only", spill)["extra"]
    results = []
    for order in orders:
        r = child(rows, customers, order, str(limit), spill)
        r.update(order=order, limit=limit, stream=stream)
        r["bound"] = bound(stream, limit, r["customers"])
        results.append(r)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="5M")
    ap.add_argument("--customers", default="500k")
    ap.add_argument("--limit", default="64MB")
    ap.add_argument("--orders", default="grouped,by-date,shuffled")
    ap.add_argument("--spill-dir", default="")
    ap.add_argument("--json", default=None, help="also write the results here")
    a = ap.parse_args()
    rows, customers, limit = size(a.rows), size(a.customers), size(a.limit)
    results = measure(rows, customers, limit, a.orders.split(","), a.spill_dir)
    print(f"{rows:,} rows, {customers:,} customers, memory_limit {limit / MIB:.0f} MiB, "
          f"the stream alone {results[0]['stream'] / MIB:.0f} MiB")  # fmt: skip
    for r in results:
        ok = "within" if r["extra"] <= r["bound"] else "ABOVE"
        print(f"  {r['order']:9s} peak +{r['extra'] / MIB:6.0f} MiB  "
              f"bound {r['bound'] / MIB:6.0f} MiB ({ok})  "
              f"spilled {r['spilled'] / MIB:6.0f} MiB  {r['seconds']:.2f} s")  # fmt: skip
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": os.uname().nodename, "when": time.ctime(), "results": results}, f)


if __name__ == "__main__":
    main()
