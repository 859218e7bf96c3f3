"""How much of the value the best customers bring (rule A2, seed 002: "20% of
the customers brought 60% of the revenue"), computed in the core."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from custseg import _core
from custseg._frames import Family, as_array, family_of, is_a, to_family
from custseg._input import number_column
from custseg.errors import ConfigError


@dataclass(frozen=True)
class Concentration:
    """What :func:`concentration` returns.

    Attributes:
        table: one row per top share: ``top_share``, ``customers`` (ceil(top_share
            x N), the largest values) and ``value_share`` (their sum / the sum of
            all values); in the input's family.
        gini: the Gini coefficient, 0 (every customer the same) to (N-1)/N (one
            customer holds everything).
        curve: the concentration curve, ``customer_share`` (customers from the
            largest value down) and ``value_share``, from (0, 0) to (1, 1); about
            ``points`` points. It is the Lorenz curve seen from the top:
            ``1 - value_share`` at ``1 - customer_share``.
        customers: N, the values counted.
        total: their sum.
        value: the column (or series) measured.
    """

    table: Any
    gini: float
    curve: Any
    customers: int
    total: float
    value: str

    @property
    def curve_x(self) -> Any:
        """The curve's customer shares as a numpy array (for plotting)."""
        return _column(self.curve, "customer_share")

    @property
    def curve_y(self) -> Any:
        """The curve's value shares as a numpy array (for plotting)."""
        return _column(self.curve, "value_share")

    def __str__(self) -> str:
        rows = _rows(self.table)
        parts = [f"top {t:.0%} ({c:,} customers) bring {s:.1%}" for t, c, s in rows]
        return (
            f"concentration of {self.value} over {self.customers:,} customers "
            f"(Gini {self.gini:.3f}): " + "; ".join(parts)
        )


def _column(frame: Any, name: str) -> Any:
    import numpy as np

    if isinstance(frame, pa.Table):
        return frame.column(name).to_numpy()
    return np.asarray(frame[name], dtype=float)


def _rows(table: Any) -> list[tuple[float, int, float]]:
    t = table if isinstance(table, pa.Table) else to_arrow(table)
    cols = [t.column(c).to_pylist() for c in ("top_share", "customers", "value_share")]
    return list(zip(*cols, strict=True))


def to_arrow(frame: Any) -> pa.Table:
    if is_a(frame, "pandas", "DataFrame"):
        return pa.Table.from_pandas(frame, preserve_index=False)
    return frame.to_arrow()


def _values(data: Any, value: str) -> tuple[pa.Array, str, Family]:
    """The values to measure (float64) and their name: column ``value`` of a
    frame, or a Series or array itself."""
    family = family_of(data)
    if is_a(data, "polars", "LazyFrame"):
        data = data.collect()
    if (
        is_a(data, "pandas", "DataFrame")
        or is_a(data, "polars", "DataFrame")
        or isinstance(data, (pa.Table, pa.RecordBatch))
    ):
        frame = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
        return number_column(frame, value, "value", "the data", "A2"), value, family
    name = getattr(data, "name", None)
    arr = as_array(data)
    if not (
        pa.types.is_integer(arr.type)
        or pa.types.is_floating(arr.type)
        or pa.types.is_decimal(arr.type)
    ):
        raise ConfigError(f"concentration measures numbers, got type {arr.type} (rule A2)")
    return arr.cast(pa.float64()), str(name) if isinstance(name, str) and name else value, family


def concentration(
    data: Any,
    *,
    value: str = "monetary",
    top: Sequence[float] = (0.01, 0.05, 0.1, 0.2, 0.5),
    points: int | None = 1000,
    negative: str = "raise",
) -> Concentration:
    """How concentrated the value is on the best customers (rule A2): the share
    of the total that the top 1%, 5%, 10%, 20%, 50% of the customers bring,
    the Gini coefficient, and the curve to plot (``cs.plot.concentration``).
    Seed 002's web shop found that 20% of its customers brought 60% of the
    revenue: this is that figure for your customers.

    Args:
        data: one row per customer: a result of :func:`custseg.rfm`,
            :func:`custseg.customer_value`, :func:`custseg.clv` (any family),
            with the column ``value``; or the values themselves (a pandas or
            polars Series, a pyarrow or numpy array).
        value: the column measured: ``"monetary"`` (revenue), ``"clv"``...
        top: the shares of customers of the table, each in (0, 1]. The top
            share t holds ceil(t x N) customers, the largest values (ties
            broken either way give the same sum).
        points: about how many points the curve has; ``None``: one per
            customer.
        negative: a negative value (returns above purchases) raises an
            :class:`custseg.InvalidValueError` naming the row (``"raise"``) or
            counts as 0 (``"zero"``). Nulls and NaN always raise.

    Returns:
        A :class:`Concentration`: ``.table``, ``.gini``, ``.curve`` (and
        ``.curve_x``, ``.curve_y`` as numpy arrays).

    Example:
        >>> import custseg as cs
        >>> r = cs.rfm(cs.datasets.cdnow(), as_of="1998-07-01")
        >>> c = cs.concentration(r, value="monetary")
        >>> c.table.column_names
        ['top_share', 'customers', 'value_share']
        >>> round(c.gini, 2), c.table["customers"][3].as_py()
        (0.63, 4701)
        >>> print(f"top 20% bring {c.table['value_share'][3].as_py():.0%}")
        top 20% bring 68%
    """
    if not isinstance(top, Sequence) or isinstance(top, str) or not top:
        raise ConfigError(f"top must be a list of shares such as (0.1, 0.2), got {top!r} (rule A2)")
    values, name, family = _values(data, value)
    n, total, customers, shares, gini, curve = _core.concentration(
        values, column=name, top=[float(t) for t in top], points=points, negative=negative
    )
    table = pa.table(
        {
            "top_share": pa.array([float(t) for t in top], pa.float64()),
            "customers": pa.array(customers, pa.int64()),
            "value_share": pa.array(shares, pa.float64()),
        }
    )
    return Concentration(
        table=to_family(table, family),
        gini=gini,
        curve=to_family(curve, family),
        customers=n,
        total=total,
        value=name,
    )
