"""Property tests: ``custseg.customer_value`` equals the plain reference (CV1-CV7).

Random transaction tables are segmented by the product and by
``tests/reference.py`` (a slow, obviously-correct reading of
docs/rules.md sections 0-2) and every output column is compared exactly.
Further properties: row order and Arrow chunking do not change the result (I5),
nor does input sorted by customer (kept in runs, string ids ranked as they come),
Arrow input types (integer/string/dictionary customers; date32, date64 and
timestamps with and without a time zone; float, integer and decimal amounts)
give the same answer as the reference (I1, I6).

The module fails loudly (it does not skip) when the compiled package is missing:
CI must not pass without it.
"""

from __future__ import annotations

import datetime
import os
import sys
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import custseg
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

from reference import (  # noqa: E402
    OUT_COLUMNS,
    BoundaryPeriods,
    RegularPeriods,
    customer_value,
)

# Fail at import (collection error), not skip, when the product is not built.
_customer_value = custseg.customer_value
_Periods = custseg.Periods

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# the invariance and input-type properties: fewer examples, the run stays short
FEWER = settings(SETTINGS, max_examples=80)

END = date(2024, 12, 31)  # data lie in a 6-year window ending here
SPAN = 6 * 365
COLUMNS = list(OUT_COLUMNS)


# --------------------------------------------------------------------------- strategies
@st.composite
def regular_periods(draw):
    """P1: a regular calendar, as (product Periods, reference periods, first day or None)."""
    kind = draw(
        st.sampled_from(["explicit", "explicit", "annual", "semiannual", "quarterly", "monthly"])
    )
    if kind == "explicit":
        months = draw(st.sampled_from([1, 2, 3, 4, 6, 12]))
        anchor = draw(st.dates(date(2010, 1, 1), date(2030, 12, 28)).filter(lambda d: d.day <= 28))
        return (
            _Periods(months=months, anchor=anchor.isoformat()),
            RegularPeriods(months, anchor),
            None,
        )
    if kind == "monthly":
        return _Periods.monthly(), RegularPeriods(1, date(2000, 1, 1)), None
    months = {"annual": 12, "semiannual": 6, "quarterly": 3}[kind]
    start_month = draw(st.integers(1, 12))
    product = getattr(_Periods, kind)(start_month=start_month)
    return product, RegularPeriods(months, date(2000, start_month, 1)), None


@st.composite
def boundary_periods(draw, days: list[date]):
    """P1 explicit: b_0 on or before every data day, then random later boundaries,
    some of them on data days (a day on a boundary starts the new period)."""
    first_day = min(days)
    b0 = first_day - timedelta(days=draw(st.sampled_from([0, 0, 1, 30, 400])))
    later = draw(st.lists(st.integers(1, SPAN + 400), max_size=30, unique=True))
    on_data = draw(st.lists(st.sampled_from(days), max_size=6))
    bounds = sorted({b0, *(b0 + timedelta(days=x) for x in later), *on_data})
    return (_Periods.from_boundaries([b.isoformat() for b in bounds]), BoundaryPeriods(bounds), b0)


# Amounts as multiples of 0.01 in [-50, 200] (in cents), with frequent repeats and zeros.
CENTS = st.one_of(
    st.integers(-5000, 20000),
    st.sampled_from([0, 1000, 1000, 2000, 550, -1000, 1760, 567, -2327]),
)
# Days counted back from END, biased towards recent days so that every recency
# group (NEW, ACT, COLD, LOST) shows up for every period length.
BACK = st.one_of(
    st.integers(0, 90), st.integers(0, 400), st.integers(0, 1000), st.integers(0, SPAN - 1)
)
# One line: customer (taken modulo the customer count); day choice (0-7: one of the
# "hot" days, 8-15: its own day); own day; cents; order id; return choice (0-3: an
# exact return of the line 0, 0, 1 or 30 days later; 4-11: none).  Plain integers
# rather than one_of/none keep generation cheap (it dominates the run time).
LINE = st.tuples(
    st.integers(0, 29),
    st.integers(0, 15),
    BACK,
    CENTS,
    st.integers(0, 4),
    st.integers(0, 11),
)
RETURN_AFTER = (0, 0, 1, 30)
NICE_CUTS = (0.1, 0.2, 0.25, 1 / 3, 0.4, 0.5, 0.6, 2 / 3, 0.75, 0.8)


@st.composite
def datasets(draw):
    """Rows (customer index, day, cents, order id) with same-day lines and cancelling returns.

    A few "hot" days make several lines (of one or several customers) fall on one
    day; some positive lines get an exact return (same customer and order).
    """
    n_customers = draw(st.integers(1, 30))
    n_lines = draw(st.integers(1, 150))
    hot_days = draw(st.lists(BACK, min_size=1, max_size=8))
    lines = draw(st.lists(LINE, min_size=n_lines, max_size=n_lines))
    rows = []
    for c, hot, own, cents, o, ret in lines:
        c = c % n_customers
        b = own if hot >= 8 else hot_days[hot % len(hot_days)]
        d = END - timedelta(days=b)
        rows.append((c, d, cents, o))
        if cents > 0 and ret < len(RETURN_AFTER):
            rows.append((c, d + timedelta(days=RETURN_AFTER[ret]), -cents, o))
    return rows


def _next_start(ref_periods, d: date) -> date:
    """The first day of the period after the one holding d (d itself if none is known)."""
    if isinstance(ref_periods, RegularPeriods):
        return ref_periods.start(ref_periods.index(d) + 1)
    later = [b for b in ref_periods.boundaries if b > d]
    return later[0] if later else d


@st.composite
def configs(draw, days: list[date], with_orders=None):
    """Everything besides the rows: periods, as_of, options."""
    first_day, last_day = min(days), max(days)
    if draw(st.integers(0, 2)) == 0:
        periods = draw(boundary_periods(days))
    else:
        periods = draw(regular_periods())
    if draw(st.integers(0, 3)) == 0:
        as_of = None
    else:
        # mid-period most of the time, so NEW customers appear; after the first day,
        # mostly near the end of the data
        lo = max(
            first_day + timedelta(days=1),
            last_day - timedelta(days=draw(st.sampled_from([30, 200, 2 * SPAN]))),
        )
        as_of = draw(st.dates(lo, last_day + timedelta(days=60)))
        if draw(st.booleans()):
            # the intended use (P2): as_of on the first day of a period
            as_of = _next_start(periods[1], as_of)
    sales_only = draw(st.booleans())
    cfg = dict(
        periods=periods,
        as_of=as_of,
        order=draw(st.booleans()) if with_orders is None else with_orders,
        sales_only=sales_only,
        sales_months=tuple(sorted(draw(st.sets(st.integers(1, 12), min_size=1, max_size=11)))),
        sales_lookback=draw(st.integers(1, 6)),
        cuts=draw(
            st.one_of(
                st.just((0.05, 0.25, 0.50)),
                st.lists(st.integers(1, 99), min_size=3, max_size=3, unique=True).map(
                    lambda xs: tuple(sorted(x / 100 for x in xs))
                ),
                # fractions k/N of small pools, so that r == cut happens (CV6: r < cut)
                st.lists(st.sampled_from(NICE_CUTS), min_size=3, max_size=3, unique=True).map(
                    lambda xs: tuple(sorted(xs))
                ),
            )
        ),
        monetary_periods=draw(st.integers(1, 3)),
        count_zero_days=draw(st.booleans()),
    )
    return cfg


@st.composite
def cases(draw, with_orders=None):
    rows = draw(datasets())
    cfg = draw(configs([r[1] for r in rows], with_orders))
    string_ids = draw(st.booleans())
    return rows, cfg, string_ids


# --------------------------------------------------------------------------- helpers
def _cust(c: int, string_ids: bool):
    return f"c{c}" if string_ids else c


def to_frame(rows, string_ids: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [_cust(r[0], string_ids) for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "amount": [r[2] / 100 for r in rows],
            "order_id": [r[3] for r in rows],
        }
    )


def reference(rows, cfg, string_ids: bool):
    ref_rows = [(_cust(r[0], string_ids), r[1], r[2] / 100, r[3]) for r in rows]
    _, ref_periods, _ = cfg["periods"]
    return customer_value(
        ref_rows,
        as_of=cfg["as_of"],
        periods=ref_periods,
        order=cfg["order"],
        sales_only=cfg["sales_only"],
        sales_months=cfg["sales_months"],
        sales_lookback=cfg["sales_lookback"],
        cuts=cfg["cuts"],
        monetary_periods=cfg["monetary_periods"],
        count_zero_days=cfg["count_zero_days"],
    )


def product(tx, cfg, as_of_form: str = "date", **kw):
    as_of = cfg["as_of"]
    if as_of is not None:
        if as_of_form == "iso":
            as_of = as_of.isoformat()
        elif as_of_form == "timestamp":
            as_of = pd.Timestamp(as_of) + pd.Timedelta(hours=13)  # taken at its calendar day
    return _customer_value(
        tx,
        customer="customer_id",
        date="date",
        amount="amount",
        order="order_id" if cfg["order"] else None,
        as_of=as_of,
        periods=cfg["periods"][0],
        sales_only=cfg["sales_only"],
        sales_months=cfg["sales_months"],
        sales_lookback=cfg["sales_lookback"],
        cuts=cfg["cuts"],
        monetary_periods=cfg["monetary_periods"],
        count_zero_days=cfg["count_zero_days"],
        **kw,
    )


def _day(v):
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return pd.Timestamp(v).date()


def pandas_records(df: pd.DataFrame) -> dict:
    """The product's pandas result as {customer: {column: value}} (monetary in millionths)."""
    out = {}
    first = pd.to_datetime(df["first_purchase"]).dt.date
    last = pd.to_datetime(df["last_purchase"]).dt.date
    for i in range(len(df)):
        out[df["customer_id"].iloc[i]] = {
            "cv_group": str(df["cv_group"].iloc[i]),
            "cv_segment": str(df["cv_segment"].iloc[i]),
            "periods_since_last": int(df["periods_since_last"].iloc[i]),
            "purchases": int(df["purchases"].iloc[i]),
            "monetary": round(float(df["monetary"].iloc[i]) * 1e6),
            "first_purchase": first.iloc[i],
            "last_purchase": last.iloc[i],
        }
    return out


def arrow_records(t: pa.Table) -> dict:
    """The product's Arrow result as {customer: {column: value}} (monetary in millionths)."""
    d = t.to_pydict()
    out = {}
    for i, c in enumerate(d["customer_id"]):
        out[c] = {
            "cv_group": str(d["cv_group"][i]),
            "cv_segment": str(d["cv_segment"][i]),
            "periods_since_last": int(d["periods_since_last"][i]),
            "purchases": int(d["purchases"][i]),
            "monetary": round(float(d["monetary"][i]) * 1e6),
            "first_purchase": _day(d["first_purchase"][i]),
            "last_purchase": _day(d["last_purchase"][i]),
        }
    return out


def assert_same(got: dict, want: dict, order: list):
    assert order == sorted(order), "CV7: rows must be sorted by customer id"
    assert list(got) == list(want), f"customers differ: got {list(got)}, want {list(want)}"
    for c in want:
        assert got[c] == want[c], f"customer {c!r}: got {got[c]}, want {want[c]}"


# --------------------------------------------------------------------------- tests
@SETTINGS
@given(case=cases(), as_of_form=st.sampled_from(["date", "iso", "timestamp"]))
def test_pandas_matches_reference(case, as_of_form):
    """CV1-CV7, I2, I3, I6, P1-P3: every column equals the reference, exactly."""
    rows, cfg, string_ids = case
    want = reference(rows, cfg, string_ids)
    df = to_frame(rows, string_ids)
    got_df = product(df, cfg, as_of_form)
    assert isinstance(got_df, pd.DataFrame)
    assert list(got_df.columns) == ["customer_id"] + COLUMNS
    assert isinstance(got_df["cv_group"].dtype, pd.CategoricalDtype)
    assert got_df["cv_group"].cat.ordered
    assert isinstance(got_df["cv_segment"].dtype, pd.CategoricalDtype)
    assert got_df["cv_segment"].cat.ordered
    assert got_df["monetary"].dtype == "float64"
    got = pandas_records(got_df)
    assert_same(got, want, list(got_df["customer_id"]))


@SETTINGS
@given(case=cases(with_orders=True))
def test_order_mode_matches_reference(case):
    """I2 order mode: distinct (customer, order id) with a positive total."""
    rows, cfg, string_ids = case
    want = reference(rows, cfg, string_ids)
    got_df = product(to_frame(rows, string_ids), cfg)
    assert_same(pandas_records(got_df), want, list(got_df["customer_id"]))


@FEWER
@given(case=cases(), seed=st.randoms(use_true_random=False))
def test_row_order_does_not_matter(case, seed):
    """I5: shuffled rows give the identical frame."""
    rows, cfg, string_ids = case
    df = to_frame(rows, string_ids)
    shuffled = df.sample(frac=1.0, random_state=seed.randint(0, 2**31)).reset_index(drop=True)
    a = product(df, cfg)
    b = product(shuffled, cfg)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@FEWER
@given(case=cases(), chunk=st.integers(1, 7))
def test_arrow_chunking_does_not_matter(case, chunk):
    """I5: an Arrow table split into many small batches gives the identical result."""
    rows, cfg, string_ids = case
    t = pa.Table.from_pandas(to_frame(rows, string_ids), preserve_index=False)
    whole = product(t, cfg)
    assert isinstance(whole, pa.Table)
    pieces = pa.Table.from_batches(t.to_batches(max_chunksize=chunk), schema=t.schema)
    assert pieces.column("customer_id").num_chunks >= 1
    split = product(pieces, cfg)
    assert whole.equals(split), f"\n{whole}\n!=\n{split}"
    want = reference(rows, cfg, string_ids)
    assert_same(arrow_records(whole), want, whole.column("customer_id").to_pylist())


@FEWER
@given(
    case=cases(),
    chunk=st.integers(1, 9),
    back=st.integers(-1, 160),
    descending=st.booleans(),
)
def test_input_sorted_by_customer_matches_reference(case, chunk, back, descending):
    """I5 for input sorted by customer, which the reader keeps in runs (no scatter)
    and whose string ids it ranks as they come (no hashing): equal to the reference,
    also when the first row comes back at position ``back`` (after other customers'
    runs: the reader must turn hashed; -1: it does not) and in batches of ``chunk``
    rows (runs cut by batches)."""
    rows, cfg, string_ids = case
    rows = sorted(rows, key=lambda r: (_cust(r[0], string_ids), r[1]), reverse=descending)
    if back >= 0:
        rows.insert(min(back, len(rows) - 1), rows.pop(0))
    t = pa.Table.from_pandas(to_frame(rows, string_ids), preserve_index=False)
    t = pa.Table.from_batches(t.to_batches(max_chunksize=chunk), schema=t.schema)
    got = product(t, cfg)
    want = reference(rows, cfg, string_ids)
    assert_same(arrow_records(got), want, got.column("customer_id").to_pylist())


# Arrow input types (section 0): every accepted type gives the reference answer.
CUSTOMER_TYPES = ["int64", "int32", "uint16", "string", "large_string", "dict_string", "dict_int"]
DATE_TYPES = [
    "date32",
    "date64",
    "ts_s",
    "ts_ms",
    "ts_us",
    "ts_ns",
    "ts_us_utc",
    "ts_us_new_york",
    "ts_ms_kolkata",
]
AMOUNT_TYPES = ["float64", "int64", "decimal_12_2", "decimal_20_8"]


def _arrow_customers(ids: list[int], kind: str) -> pa.Array:
    if kind in ("int64", "int32", "uint16"):
        return pa.array(ids, type=getattr(pa, kind)())
    strings = [f"c{c}" for c in ids]
    if kind == "string":
        return pa.array(strings, pa.string())
    if kind == "large_string":
        return pa.array(strings, pa.large_string())
    if kind == "dict_string":
        return pa.array(strings, pa.string()).dictionary_encode()
    return pa.array(ids, pa.int64()).dictionary_encode()


def _arrow_dates(days: list[date], seconds: list[int], kind: str) -> pa.Array:
    """I1: the calendar day of each value (in its own zone when it has one) is days[i]."""
    if kind == "date32":
        return pa.array(days, pa.date32())
    if kind == "date64":
        return pa.array(days, pa.date64())
    unit, _, zone = kind[3:].partition("_")
    tz = {"": None, "utc": "UTC", "new_york": "America/New_York", "kolkata": "Asia/Kolkata"}[zone]
    values = []
    for d, s in zip(days, seconds, strict=True):
        local = datetime.datetime(d.year, d.month, d.day) + timedelta(seconds=s)
        if tz is not None:
            local = local.replace(tzinfo=ZoneInfo(tz))
        values.append(local)
    return pa.array(values, pa.timestamp(unit, tz=tz))


def _arrow_amounts(cents: list[int], kind: str) -> pa.Array:
    if kind == "float64":
        return pa.array([c / 100 for c in cents], pa.float64())
    if kind == "int64":
        return pa.array(cents, pa.int64())  # read as whole units
    if kind == "decimal_12_2":
        return pa.array([Decimal(c).scaleb(-2) for c in cents], pa.decimal128(12, 2))
    return pa.array([Decimal(c).scaleb(-2) for c in cents], pa.decimal128(20, 8))


@SETTINGS
@given(
    case=cases(),
    ctype=st.sampled_from(CUSTOMER_TYPES),
    dtype=st.sampled_from(DATE_TYPES),
    atype=st.sampled_from(AMOUNT_TYPES),
    data=st.data(),
)
def test_arrow_input_types_match_reference(case, ctype, dtype, atype, data):
    """Section 0 / I1 / I6: every accepted Arrow type gives the reference answer."""
    rows, cfg, _ = case
    string_ids = ctype in ("string", "large_string", "dict_string")
    # times of day 03:00..23:59:59 (local): clear of DST gaps and folds
    seconds = data.draw(
        st.lists(st.integers(3 * 3600, 86399), min_size=len(rows), max_size=len(rows))
    )
    if not dtype.startswith("ts_"):
        seconds = [0] * len(rows)
    t = pa.table(
        {
            "customer_id": _arrow_customers([r[0] for r in rows], ctype),
            "date": _arrow_dates([r[1] for r in rows], seconds, dtype),
            "amount": _arrow_amounts([r[2] for r in rows], atype),
            "order_id": pa.array([r[3] for r in rows], pa.int64()),
        }
    )
    if atype == "int64":
        ref_rows = [(_cust(r[0], string_ids), r[1], r[2], r[3]) for r in rows]
    elif atype.startswith("decimal"):
        ref_rows = [(_cust(r[0], string_ids), r[1], Decimal(r[2]).scaleb(-2), r[3]) for r in rows]
    else:
        ref_rows = [(_cust(r[0], string_ids), r[1], r[2] / 100, r[3]) for r in rows]
    want = customer_value(
        ref_rows,
        as_of=cfg["as_of"],
        periods=cfg["periods"][1],
        order=cfg["order"],
        sales_only=cfg["sales_only"],
        sales_months=cfg["sales_months"],
        sales_lookback=cfg["sales_lookback"],
        cuts=cfg["cuts"],
        monetary_periods=cfg["monetary_periods"],
        count_zero_days=cfg["count_zero_days"],
    )
    got_t = product(t, cfg)
    assert isinstance(got_t, pa.Table)
    got_ids = got_t.column("customer_id")
    assert got_ids.type == t.column("customer_id").type, "CV7: customer type kept"
    assert_same(arrow_records(got_t), want, got_ids.to_pylist())


@FEWER
@given(case=cases())
def test_polars_matches_pandas(case):
    """Same answer through polars (polars in, polars out)."""
    pl = pytest.importorskip("polars")
    rows, cfg, string_ids = case
    df = to_frame(rows, string_ids)
    got = product(pl.from_pandas(df), cfg)
    assert isinstance(got, pl.DataFrame)
    want = reference(rows, cfg, string_ids)
    assert_same(arrow_records(got.to_arrow()), want, got["customer_id"].to_list())


# I6 rounding: amounts that are not whole cents, including exact half-millionths.
TRICKY_FLOATS = (
    0.0000005,
    -0.0000005,
    0.0000015,
    -0.0000025,
    1.0000005,
    -1.0000005,
    2.675,
    0.1,
    0.3,
    1e-7,
    4e-7,
    6e-7,
    12.3456785,
    -12.3456785,
    0.1 + 0.2,
    1e9 + 0.0000005,
    -0.0,
)
FLOAT_AMOUNTS = st.one_of(
    st.sampled_from(TRICKY_FLOATS),
    st.floats(-1e6, 1e6, allow_nan=False),
    # exact halves of a millionth (as far as binary allows): n + 0.5 millionths
    st.integers(-(10**9), 10**9).map(lambda n: (n + 0.5) / 1e6),
)
DECIMAL_AMOUNTS = st.one_of(
    st.decimals(-(10**6), 10**6, places=8, allow_nan=False, allow_infinity=False),
    # exact halves of a millionth: (n + 0.5) millionths
    st.integers(-(10**11), 10**11).map(lambda n: Decimal(n * 100 + 50).scaleb(-8)),
)


@SETTINGS
@given(
    kind=st.sampled_from(["float64", "decimal_20_8"]),
    data=st.data(),
)
def test_amount_rounding_matches_reference(kind, data):
    """I6: each amount is rounded to the nearest millionth, half away from zero, then summed.

    Each customer has one day (2024-03-01) with a large purchase and a tricky amount, so
    the day is a purchase (NEW) and its monetary is money(1e7) + money(x), exactly.
    """
    strategy = FLOAT_AMOUNTS if kind == "float64" else DECIMAL_AMOUNTS
    xs = data.draw(st.lists(strategy, min_size=1, max_size=40))
    day = date(2024, 3, 1)
    ref_rows = []
    for i, x in enumerate(xs):
        big = 10_000_000.0 if kind == "float64" else Decimal(10_000_000)
        ref_rows += [(i, day, big), (i, day, x)]
    if kind == "float64":
        amounts_array = pa.array([r[2] for r in ref_rows], pa.float64())
    else:
        amounts_array = pa.array([r[2] for r in ref_rows], pa.decimal128(20, 8))
    t = pa.table(
        {
            "customer_id": pa.array([r[0] for r in ref_rows], pa.int64()),
            "date": pa.array([r[1] for r in ref_rows], pa.date32()),
            "amount": amounts_array,
        }
    )
    periods = RegularPeriods(6, date(2024, 1, 1))
    want = customer_value(ref_rows, as_of=date(2024, 3, 2), periods=periods)
    got = _customer_value(t, as_of="2024-03-02", periods=_Periods.semiannual(start_month=1))
    assert_same(arrow_records(got), want, got.column("customer_id").to_pylist())


def test_reference_smoke_against_product():
    """A fixed example (spec CV6 ties and the I6 cancelling return), easy to read on failure."""
    rows = [
        ("A", date(2023, 9, 1), 50.0),
        ("A", date(2024, 3, 1), 50.0),
        ("B", date(2023, 9, 1), 50.0),
        ("B", date(2024, 3, 1), 50.0),
        ("C", date(2023, 9, 1), 25.0),
        ("C", date(2024, 3, 1), 25.0),
        ("X", date(2024, 3, 5), 17.60),
        ("X", date(2024, 3, 5), 5.67),
        ("X", date(2024, 3, 5), -23.27),
    ]
    df = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]),
            "amount": [r[2] for r in rows],
        }
    )
    got = _customer_value(df, as_of="2024-07-01", periods=_Periods.semiannual(start_month=1))
    want = customer_value(rows, as_of=date(2024, 7, 1), periods=RegularPeriods(6, date(2024, 1, 1)))
    assert_same(pandas_records(got), want, list(got["customer_id"]))
    assert list(got["cv_segment"].astype(str)) == ["PLATINA", "PLATINA", "BRONZE"]
