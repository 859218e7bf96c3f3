"""Plain Python references of the analyses (docs/rules.md A1, A2): slow,
obvious, written from the rules and not from the core."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Hashable, Sequence
from typing import Any


def _order_key(v: Any) -> tuple[int, Any]:
    """Values sorted, null last (A1)."""
    return (1, "") if v is None else (0, v)


def profile(
    rows: Sequence[tuple[Hashable, _dt.date, int, tuple[Any, ...]]],
    segments: dict[Hashable, Any],
    segment_order: Sequence[Any],
    value_orders: Sequence[Sequence[Any] | None] | None = None,
    as_of: _dt.date | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """A1 on ``rows`` = (customer, day, amount in millionths, by values).

    ``segments`` maps customer -> label; ``segment_order`` lists the labels
    in category order. ``value_orders[j]``: the category order of by column
    j (a categorical column), or None to sort its values (null last).
    Returns the rows of the profile and the report counts.
    """
    revenue: dict[tuple[Any, tuple[Any, ...]], int] = {}
    buyers: dict[tuple[Any, tuple[Any, ...]], set[Hashable]] = {}
    report = {"rows_used": 0, "rows_after_as_of": 0, "rows_without_segment": 0}
    missing: set[Hashable] = set()
    seen: set[Hashable] = set()
    values_met: set[tuple[Any, ...]] = set()
    for customer, day, amount, values in rows:
        if as_of is not None and day >= as_of:
            report["rows_after_as_of"] += 1
            continue
        if customer not in segments:
            report["rows_without_segment"] += 1
            missing.add(customer)
            continue
        report["rows_used"] += 1
        key = (segments[customer], values)
        revenue[key] = revenue.get(key, 0) + amount
        buyers.setdefault(key, set()).add(customer)
        seen.add(customer)
        values_met.add(values)
    report["customers_without_segment"] = len(missing)
    report["segment_customers_without_rows"] = len(set(segments) - seen)

    def value_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
        out = []
        for j, v in enumerate(values):
            order = value_orders[j] if value_orders else None
            if order is None:
                out.append(_order_key(v))
            else:
                out.append((1, 0) if v is None else (0, list(order).index(v)))
        return tuple(out)

    combos = sorted(values_met, key=value_key)
    size = {s: sum(1 for c in segments if segments[c] == s) for s in segment_order}
    seg_rev = {s: sum(v for (t, _), v in revenue.items() if t == s) for s in segment_order}
    combo_rev = {b: sum(v for (_, c), v in revenue.items() if c == b) for b in combos}
    total = sum(revenue.values())
    out = []
    for s in segment_order:
        if size[s] == 0:
            continue
        for b in combos:
            rev = revenue.get((s, b), 0)
            share = float(rev) / float(seg_rev[s]) if seg_rev[s] != 0 else None
            overall = float(combo_rev[b]) / float(total) if total != 0 else None
            index = 100.0 * share / overall if share is not None and overall else None
            out.append(
                {
                    "segment": s,
                    "values": b,
                    "customers": len(buyers.get((s, b), ())),
                    "customer_share": len(buyers.get((s, b), ())) / size[s],
                    "revenue": float(rev) / 1e6,
                    "revenue_share": share,
                    "index": index,
                }
            )
    return out, report


def top_count(t: float, n: int) -> int:
    """ceil(t x n), a product within 1e-9 of a whole number taken as that
    number, at least 1 (A2)."""
    x = t * n
    k = round(x) if abs(x - round(x)) <= 1e-9 * max(x, 1.0) else math.ceil(x)
    return min(max(int(k), 1), n)


def concentration(values: Sequence[float], top: Sequence[float]) -> dict[str, Any]:
    """A2: the top shares' customers and value shares, the Gini coefficient
    (from the ascending Lorenz curve, G = 1 - sum of (L_{i-1} + L_i) / N) and
    the full curve from the top."""
    desc = sorted(values, reverse=True)
    n, total = len(desc), math.fsum(desc)
    prefix = [math.fsum(desc[:k]) for k in range(n + 1)]
    asc = sorted(values)
    lorenz = [math.fsum(asc[:k]) / total for k in range(n + 1)]
    gini = 1.0 - math.fsum(lorenz[i - 1] + lorenz[i] for i in range(1, n + 1)) / n
    ks = [top_count(t, n) for t in top]
    return {
        "customers": ks,
        "value_share": [prefix[k] / total for k in ks],
        "gini": gini,
        "curve_x": [k / n for k in range(n + 1)],
        "curve_y": [p / total for p in prefix],
    }
