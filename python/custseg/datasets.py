"""Built-in data: the real CDNOW transactions (shipped inside the package) and
a synthetic retail transaction table made in Rust.

Example:
    >>> import custseg as cs
    >>> tx = cs.datasets.synthetic(customers=1_000, years=2, seed=7)
    >>> tx.column_names
    ['customer_id', 'date', 'amount']
    >>> cs.datasets.cdnow("sample").num_rows
    6919
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Literal

from custseg import _core
from custseg._frames import to_family
from custseg._input import as_day
from custseg.errors import ConfigError


def cdnow(
    which: Literal["master", "sample"] = "master",
    *,
    output: Literal["arrow", "pandas", "polars"] = "arrow",
) -> Any:
    """The CDNOW transactions: real purchase records of an online CD retailer,
    1997-01-01 to 1998-06-30, the standard data set of customer-base analysis
    (Fader, Hardie and Lee, "Counting Your Customers the Easy Way: An
    Alternative to the Pareto/NBD Model", Marketing Science 24(2), 2005; and
    "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", Journal of
    Marketing Research 42(4), 2005). Shipped inside the package (compressed
    Parquet, made by ``scripts/make_datasets.py`` from the original files).

    Columns: ``customer_id`` (int64), ``date`` (date32), ``quantity`` (int64,
    CDs bought), ``amount`` (float64, dollars), one row per transaction line, in
    the original order.

    Args:
        which: ``"master"`` (69,659 rows, 23,570 customers: the whole cohort of
            first-time buyers of the first quarter of 1997) or ``"sample"``
            (6,919 rows, 2,357 customers: the 1/10 sample of the published
            BTYD figures, rule CLV4).
        output: ``"arrow"`` (a pyarrow Table), ``"pandas"`` or ``"polars"``.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.cdnow()
        >>> tx.num_rows, len(set(tx["customer_id"].to_pylist()))
        (69659, 23570)
    """
    if which not in ("master", "sample"):
        raise ConfigError(f'which must be "master" or "sample", got {which!r}')
    if output not in ("arrow", "pandas", "polars"):
        raise ConfigError(f'output must be "arrow", "pandas" or "polars", got {output!r}')
    import pyarrow.parquet as pq

    with resources.files("custseg").joinpath(f"data/cdnow_{which}.parquet").open("rb") as f:
        table = pq.read_table(f)
    return to_family(table, output)


def donations(*, output: Literal["arrow", "pandas", "polars"] = "arrow") -> Any:
    """The donations data of the BG/BB model (rule CLV4): the repeat
    donations of the 11,104 people who first gave to a US non-profit in 1995,
    followed over its six yearly appeals, 1996 to 2001 (Fader, Hardie and
    Shang, "Customer-Base Analysis in a Discrete-Time Noncontractual
    Setting", Marketing Science 29(6), 2010). A summary, not transactions:
    one row per distinct pattern of giving, 22 rows. Shipped inside the
    package (a small CSV).

    Columns (int64): ``frequency`` (x, the years of the six in which the
    donor gave again), ``recency`` (t_x, the last of those years, counted
    1 to 6; 0 for a donor who never gave again), ``n_periods`` (n, the
    opportunities observed: 6 for everyone) and ``weights`` (the donors with
    this pattern). 24,615 repeat donations in all.

    The paper's maximum-likelihood fit is alpha = 1.204, beta = 0.750,
    gamma = 0.657, delta = 2.783 (log-likelihood about -33,225.6), which
    :class:`custseg.BetaGeoBetaBinom` reproduces with ``weights="weights"``.

    Args:
        output: ``"arrow"`` (a pyarrow Table), ``"pandas"`` or ``"polars"``.

    Example:
        >>> import custseg as cs
        >>> s = cs.datasets.donations()
        >>> s.num_rows, sum(s["weights"].to_pylist())
        (22, 11104)
    """
    if output not in ("arrow", "pandas", "polars"):
        raise ConfigError(f'output must be "arrow", "pandas" or "polars", got {output!r}')
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = ("frequency", "recency", "n_periods", "weights")
    types = {n: pa.int64() for n in names}
    with resources.files("custseg").joinpath("data/donations.csv").open("rb") as f:
        table = pcsv.read_csv(f, convert_options=pcsv.ConvertOptions(column_types=types))
    return to_family(table.select(list(names)), output)


def synthetic(
    customers: int = 10_000,
    years: int = 3,
    seed: int = 42,
    *,
    end: Any = "2026-01-01",
    ids: Literal["int", "str"] = "int",
    output: Literal["arrow", "pandas", "polars"] = "arrow",
    extra_columns: bool = False,
) -> Any:
    """A synthetic transaction table: ``customer_id``, ``date`` (date32),
    ``amount`` (float64, two decimals); with ``extra_columns=True`` also
    ``channel`` (``store``, ``web``, ``app``) and ``category`` (``basics``,
    ``fashion``, ``shoes``, ``accessories``, ``premium``), categoricals whose
    mix follows the value of a customer's purchases (higher-value customers buy
    more online and more premium), so that profiling segments finds it. A
    shopping day is one channel and one main category.

    Customers are acquired over the ``years`` before ``end`` (exclusive) with
    growth, churn after a random active life (many one-time buyers), buy at
    heterogeneous rates with seasonality (December, and sales peaks in January
    and July), spend heavy-tailed amounts, return goods (some days are returned
    whole, netting to zero) and buy several lines on some days. Deterministic
    for given arguments, whatever the thread count. Rows are grouped per
    customer, in date order within a customer.

    Args:
        customers: number of customers (about 2.5-3 rows per customer-year).
        years: years of history before ``end``.
        seed: random seed.
        end: exclusive last day (a date or ISO string).
        ids: ``"int"`` for int64 ids, ``"str"`` for string ids such as ``"C0000042"``.
        output: ``"arrow"`` (a pyarrow Table), ``"pandas"`` or ``"polars"``.
        extra_columns: add ``channel`` and ``category``.

    Example:
        >>> import custseg as cs
        >>> tx = cs.datasets.synthetic(customers=1_000, extra_columns=True)
        >>> tx.column_names
        ['customer_id', 'date', 'amount', 'channel', 'category']
    """
    end_day = _check(customers, years, end)
    table = _core.synthetic(
        customers, years, seed, end_day, ids == "str", extra_columns=extra_columns
    )
    if output not in ("arrow", "pandas", "polars"):
        raise ConfigError(f'output must be "arrow", "pandas" or "polars", got {output!r}')
    return to_family(table, output)


def synthetic_stream(
    customers: int = 10_000,
    years: int = 3,
    seed: int = 42,
    *,
    end: Any = "2026-01-01",
    ids: Literal["int", "str"] = "int",
    batch_customers: int = 100_000,
    extra_columns: bool = False,
    order: Literal["grouped", "by-date"] = "grouped",
    window_rows: int = 16_000_000,
    batch_rows: int = 1_000_000,
) -> Any:
    """The :func:`synthetic` table as a ``pyarrow.RecordBatchReader`` that makes
    the rows as it is read: a table of any size (a billion rows and more) is
    never held in memory, so it stands in for a larger-than-memory Parquet
    dataset. The reader can be consumed once.

    ``order="grouped"`` (the default): the rows of ``synthetic(customers, years,
    seed, end=end, ids=ids, extra_columns=extra_columns)`` as they are, grouped
    per customer, ``batch_customers`` customers per batch.

    ``order="by-date"``: the same rows as a transaction log, ordered by date:
    exactly ``synthetic(...).sort_by([("date", "ascending")])`` (a stable sort:
    within a day by customer id, a customer's lines of a day as generated), in
    which every customer is spread over the whole stream. The calendar is cut
    into windows of whole days of about ``window_rows`` rows each; for each
    window every customer is generated again and its rows on the window kept,
    so the memory is about one window of rows (some 20 bytes a row) and the
    time grows with the number of windows: each costs about half a pass of
    ``"grouped"`` over the whole table (100M rows in 6 windows took about 3.5
    times as long as ``"grouped"``). Batches hold at most ``batch_rows`` rows;
    ``batch_customers`` does not apply.

    Example:
        >>> import custseg as cs
        >>> reader = cs.datasets.synthetic_stream(customers=2_500, batch_customers=1_000)
        >>> sum(b.num_rows for b in reader) == cs.datasets.synthetic(customers=2_500).num_rows
        True
        >>> log = cs.datasets.synthetic_stream(
        ...     customers=2_500, order="by-date", window_rows=5_000, batch_rows=2_000
        ... ).read_all()
        >>> log.equals(cs.datasets.synthetic(customers=2_500).sort_by("date"))
        True
    """
    end_day = _check(customers, years, end)
    if order not in ("grouped", "by-date"):
        raise ConfigError(f'order must be "grouped" or "by-date", got {order!r}')
    for name, n in (
        ("batch_customers", batch_customers),
        ("window_rows", window_rows),
        ("batch_rows", batch_rows),
    ):
        if n < 1:
            raise ConfigError(f"{name} must be at least 1, got {n}")
    return _core.synthetic(
        customers,
        years,
        seed,
        end_day,
        ids == "str",
        batch_customers,
        extra_columns,
        order=order,
        window_rows=window_rows,
        batch_rows=batch_rows,
    )


def _check(customers: int, years: int, end: Any) -> int:
    """The end day, after checking the sizes."""
    end_day = as_day(end, "end")
    assert end_day is not None
    if customers < 0 or not 0 <= years <= 1000:
        raise ConfigError(
            f"customers must be >= 0 and years 0 to 1000, got customers={customers}, years={years}"
        )
    return end_day
