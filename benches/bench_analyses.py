#!/usr/bin/env python3
"""Benchmark: the analyses of the segments (docs/rules.md A1, A2) against pandas, polars
and DuckDB doing the same work in the same run.

    python benches/bench_analyses.py [--rows 1M,10M] [--ids int,str]
        [--order grouped,by-date,shuffled] [--repeat 3] [--json out.json]

* profile (A1): ``custseg.profile(cv, tx, by="category")``: per Customer Value segment and
  product category, distinct customers and net revenue (shares and index follow from those
  in every contender the same way, so they are not timed separately). Contenders: pandas
  (merge + groupby with nunique), polars (join + group_by, lazy), DuckDB (one SQL query).
* concentration (A2): ``custseg.concentration(cv, value="monetary")``: the share of revenue
  of the top 1/5/10/20/50% of the customers and the Gini coefficient. Contenders: numpy
  (sort + cumsum), polars (sort + cum_sum).

Data: ``custseg.datasets.synthetic(customers=..., years=4, seed=42, ids=..., extra_columns=True)``
in three row orders (``bench_customer_value.load``): grouped per customer, by date (a
transaction log), shuffled. Segments: ``custseg.customer_value`` of that data (not timed).
Before timing, each contender's result is compared with custseg's: customers exactly,
revenue and shares to 1e-9 relative (the contenders sum floats; custseg sums exact
millionths). ratio = contender best time / custseg best time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_customer_value as bcv  # noqa: E402  (next to this file)

AS_OF = "2026-01-01"
TOP = (0.01, 0.05, 0.1, 0.2, 0.5)
REL = 1e-9


def load(rows: int, ids: str, order: str) -> Any:
    import custseg
    import numpy as np

    table = custseg.datasets.synthetic(
        customers=bcv.customers_for(rows),
        years=bcv.YEARS,
        seed=bcv.SEED,
        ids=ids,
        extra_columns=True,
    )
    if order == "shuffled":
        table = table.take(np.random.default_rng(bcv.SEED).permutation(table.num_rows))
    elif order == "by-date":
        table = table.sort_by([("date", "ascending")])
    return table


# --------------------------------------------------------------------------- profile
def profile_custseg(cv: Any, tx: Any) -> dict[tuple[str, str], tuple[int, float]]:
    import custseg

    p = custseg.profile(cv, tx, by="category", as_of=AS_OF)
    return {
        (s, c): (n, r)
        for s, c, n, r in zip(
            p["cv_segment"].to_pylist(),
            p["category"].to_pylist(),
            p["customers"].to_pylist(),
            p["revenue"].to_pylist(),
            strict=True,
        )
        if n > 0
    }


def profile_pandas(cv: Any, tx: Any) -> dict[tuple[str, str], tuple[int, float]]:
    import pandas as pd

    t = tx.to_pandas(date_as_object=False)
    s = cv.select(["customer_id", "cv_segment"]).to_pandas()
    t = t[t["date"] < pd.Timestamp(AS_OF)].merge(s, on="customer_id")
    g = t.groupby(["cv_segment", "category"], observed=True).agg(
        customers=("customer_id", "nunique"), revenue=("amount", "sum")
    )
    return {(str(a), str(b)): (int(n), float(r)) for (a, b), n, r in g.itertuples()}


def profile_polars(cv: Any, tx: Any) -> dict[tuple[str, str], tuple[int, float]]:
    import datetime as dt

    import polars as pl

    t = pl.from_arrow(tx).lazy().filter(pl.col("date") < dt.date(2026, 1, 1))
    s = pl.from_arrow(cv.select(["customer_id", "cv_segment"])).lazy()
    g = (
        t.join(s, on="customer_id")
        .group_by("cv_segment", "category")
        .agg(customers=pl.col("customer_id").n_unique(), revenue=pl.col("amount").sum())
        .collect()
    )
    return {
        (str(a), str(b)): (int(n), float(r))
        for a, b, n, r in g.select("cv_segment", "category", "customers", "revenue").iter_rows()
    }


def profile_duckdb(cv: Any, tx: Any) -> dict[tuple[str, str], tuple[int, float]]:
    import duckdb

    con = duckdb.connect()
    con.register("tx", tx)
    con.register("seg", cv.select(["customer_id", "cv_segment"]))
    rows = con.execute(
        f"""SELECT CAST(s.cv_segment AS VARCHAR), CAST(t.category AS VARCHAR),
                   COUNT(DISTINCT t.customer_id), SUM(t.amount)
            FROM tx t JOIN seg s USING (customer_id)
            WHERE t.date < DATE '{AS_OF}'
            GROUP BY ALL"""
    ).fetchall()
    return {(a, b): (int(n), float(r)) for a, b, n, r in rows}


# --------------------------------------------------------------------------- concentration
def concentration_custseg(cv: Any) -> tuple[list[float], float]:
    import custseg

    c = custseg.concentration(cv, value="monetary", top=TOP, negative="zero")
    return c.table["value_share"].to_pylist(), c.gini


def _shares(desc_cumsum: Any, n: int) -> list[float]:
    import math

    total = float(desc_cumsum[-1])
    return [float(desc_cumsum[max(1, math.ceil(round(t * n, 9))) - 1]) / total for t in TOP]


def concentration_numpy(cv: Any) -> tuple[list[float], float]:
    import numpy as np

    m = np.maximum(cv["monetary"].to_numpy(), 0.0)
    desc = np.sort(m)[::-1]
    c = np.cumsum(desc)
    n = len(m)
    gini = 2.0 * float(np.sum(c / c[-1])) / n - (n + 1) / n
    return _shares(c, n), gini


def concentration_polars(cv: Any) -> tuple[list[float], float]:
    import polars as pl

    s = pl.from_arrow(cv.select(["monetary"]))["monetary"].clip(lower_bound=0.0)
    c = s.sort(descending=True).cum_sum()
    n = len(c)
    gini = 2.0 * float((c / c[-1]).sum()) / n - (n + 1) / n
    return _shares(c.to_numpy(), n), gini


PROFILE = {
    "custseg": profile_custseg,
    "pandas": profile_pandas,
    "polars": profile_polars,
    "duckdb": profile_duckdb,
}
CONCENTRATION = {
    "custseg": concentration_custseg,
    "numpy": concentration_numpy,
    "polars": concentration_polars,
}


def same_profile(a: dict, b: dict) -> str | None:
    if a.keys() != b.keys():
        return f"cells differ: {sorted(a.keys() ^ b.keys())[:5]}"
    for k in a:
        if a[k][0] != b[k][0] or abs(a[k][1] - b[k][1]) > REL * max(1.0, abs(a[k][1])):
            return f"{k}: custseg {a[k]} vs {b[k]}"
    return None


def same_concentration(a: tuple, b: tuple) -> str | None:
    for x, y in zip([*a[0], a[1]], [*b[0], b[1]], strict=True):
        if abs(x - y) > REL * max(1.0, abs(x)):
            return f"custseg {a} vs {b}"
    return None


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run(rows: int, ids: str, order: str, repeat: int) -> list[dict[str, Any]]:
    import custseg

    tx = load(rows, ids, order)
    cv = custseg.customer_value(tx, as_of=AS_OF)
    out = []
    for task, contenders, args, same in [
        ("profile", PROFILE, (cv, tx), same_profile),
        ("concentration", CONCENTRATION, (cv,), same_concentration),
    ]:
        want = contenders["custseg"](*args)
        base = best(lambda f=contenders["custseg"], a=args: f(*a), repeat)
        for name, fn in contenders.items():
            got = want if name == "custseg" else fn(*args)
            problem = None if name == "custseg" else same(want, got)
            if problem:
                raise SystemExit(f"{task} {name} {order} {ids}: results differ: {problem}")
            t = base if name == "custseg" else best(lambda f=fn, a=args: f(*a), repeat)
            r = {
                "task": task,
                "rows": tx.num_rows,
                "ids": ids,
                "order": order,
                "contender": name,
                "seconds": t,
                "ratio": t / base,
            }
            print(
                f"{task:<14} {bcv.rows_label(rows):>5} {ids:<4} {order:<9} {name:<8} "
                f"{t:8.3f} s  ratio {r['ratio']:6.2f}",
                flush=True,
            )
            out.append(r)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="1M,10M")
    ap.add_argument("--ids", default="int,str")
    ap.add_argument("--order", default="grouped,by-date,shuffled")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    vers = bcv.versions(["pandas", "polars", "duckdb"])
    mach, vers, command = bcv.print_header(vers)
    print("checked equal first: customers exactly, revenue and shares to 1e-9 relative")
    results = []
    for rows in map(bcv.parse_rows, args.rows.split(",")):
        for ids in args.ids.split(","):
            for order in args.order.split(","):
                results.extend(run(rows, ids, order, args.repeat))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"command": command, "machine": mach, "versions": vers, "results": results},
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
