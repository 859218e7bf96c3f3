"""Fuzzing the Python entry points (issue 18 item 1; rules I4, I3, P1, CV6, R2, CLV1, CLV4).

Random pandas, polars and pyarrow frames (every accepted column type and many
wrong ones: bool, float or list ids, struct columns, zoned timestamps, date
text, decimals, categorical ids, null columns, empty frames, missing or
misnamed columns, columns passed one by one) and random options (many of them
invalid: negative periods, bad months, unknown ``what``, bad ``on_invalid``,
thread counts, memory limits, cut points, rules tables) go through
``customer_value``, ``rfm``, ``clv``, ``segment``, ``rfm_summary`` and the
BTYD fits. Each call either returns a result of the input's family (pandas in,
pandas out; polars in, polars out; Arrow otherwise), whose report keeps the
accounting identities of item 6, or raises ``custseg.CustsegError`` /
``TypeError`` / ``ValueError`` with a message (I4): never another exception,
never ``custseg.InternalError``, never a crash.

``CUSTSEG_FUZZ_EXAMPLES`` sets the examples per test (default 60, so that the
suite stays fast); ``scripts/fuzz_api.py`` runs the harness for a given time.
"""

from __future__ import annotations

import datetime as dt
import faulthandler
import math
import os
import time
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import custseg as cs
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from custseg._frames import as_table, family_of
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

pl = pytest.importorskip("polars")

settings.register_profile(
    "custseg-fuzz",
    max_examples=int(os.environ.get("CUSTSEG_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
FUZZ = settings.get_profile("custseg-fuzz")
ALLOWED = (cs.CustsegError, TypeError, ValueError)
SLOW_S = 10.0  # a call on these few rows that takes longer is a finding
HANG_S = 120  # one that takes this long is a hang
EPOCH = dt.date(1970, 1, 1)


# --------------------------------------------------------------------------- columns
def nullable(draw, values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(values, st.none()) if draw(st.booleans()) else values


INTS = {"int64": 63, "int32": 31, "int8": 7}
TEXT = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["", "2024-01-01", "12.50", "NaN", "1e5", "-0", "٣", "\x00", "C-01"]),
)
DAY_TEXT = st.one_of(
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1)).map(
        lambda d: d.isoformat(sep=" ")
    ),
    st.sampled_from(["2024-03-01T23:30:00+01:00", "2024-02-30", "2024-1-5", "0000-01-01"]),
    TEXT,
)
AMOUNT_TEXT = st.one_of(
    st.decimals(-(10**9), 10**9, places=3, allow_nan=False).map(str),
    st.sampled_from(["12.50", "-.75", "1,5", "1e3", "99999999999999.00", " 1", "+2."]),
    TEXT,
)


def values(draw, kind: str, n: int) -> pa.Array:
    """An Arrow array of ``n`` values of ``kind``, sometimes with nulls."""
    lists = lambda s: draw(st.lists(nullable(draw, s), min_size=n, max_size=n))  # noqa: E731
    if kind in INTS:
        b = INTS[kind]
        edge = st.sampled_from([-(2**b), 2**b - 1, 0, -1])
        small = st.integers(-min(1000, 2**b), min(1000, 2**b - 1))
        return pa.array(lists(st.one_of(small, small, st.integers(-(2**b), 2**b - 1), edge)), kind)
    if kind == "uint64":
        return pa.array(lists(st.integers(0, 2**64 - 1)), pa.uint64())
    if kind in ("string", "large_string", "string_view"):
        return pa.array(lists(TEXT), pa.string()).cast(getattr(pa, kind)())
    if kind == "dictionary":
        return pa.array(
            lists(st.sampled_from(["a", "b", "ç", "10"])), pa.string()
        ).dictionary_encode()
    if kind == "dict_int":
        return pa.array(lists(st.integers(-3, 3)), pa.int64()).dictionary_encode()
    if kind in ("float64", "float32"):
        floats = st.one_of(st.floats(width=int(kind[-2:])), st.integers(-5000, 5000).map(float))
        return pa.array(lists(floats), getattr(pa, kind)())
    if kind == "float16":
        return pa.array(np.array(lists(st.integers(-100, 100)), dtype=object).astype(float)).cast(
            pa.float16(), safe=False
        )
    if kind == "bool":
        return pa.array(lists(st.booleans()), pa.bool_())
    if kind == "list":
        return pa.array(lists(st.lists(st.integers(-3, 3), max_size=2)), pa.list_(pa.int64()))
    if kind == "struct":
        return pa.array(lists(st.fixed_dictionaries({"a": st.integers(0, 9)})))
    if kind == "date32":
        days = st.one_of(st.integers(18000, 20600), st.integers(-(2**31), 2**31 - 1))
        return pa.array(lists(days), pa.int32()).cast(pa.date32())
    if kind == "date64":
        return pa.array(lists(st.integers(18000, 20600).map(lambda d: d * 86_400_000)), pa.date64())
    if kind.startswith("ts"):
        return timestamps(kind, lists)
    if kind in ("iso_text", "dictionary_text"):
        arr = pa.array(lists(DAY_TEXT), pa.string())
        return arr.dictionary_encode() if kind == "dictionary_text" else arr
    if kind == "amount_text":
        return pa.array(lists(AMOUNT_TEXT), pa.string())
    if kind.startswith("decimal"):
        return decimals(kind, lists)
    if kind == "time":
        return pa.array(lists(st.integers(0, 86_399)), pa.int32()).cast(pa.time32("s"))
    if kind == "duration":
        return pa.array(lists(st.integers(-(10**9), 10**9)), pa.int64()).cast(pa.duration("s"))
    if kind == "binary":
        return pa.array(lists(st.binary(max_size=3)), pa.binary())
    assert kind == "null", kind
    return pa.nulls(n)


def timestamps(kind: str, lists) -> pa.Array:
    unit = {"ts_s": "s", "ts_ns": "ns"}.get(kind, "ms")
    per_day = {"s": 86_400, "ms": 86_400_000, "ns": 86_400_000_000_000}[unit]
    near = st.integers(18000 * per_day, 20600 * per_day)
    raw = pa.array(lists(st.one_of(near, near, st.integers(-(2**63), 2**63 - 1))), pa.int64())
    tz = {"ts_tz": "America/New_York", "ts_fixed": "+05:30", "ts_utc": "UTC"}.get(kind)
    return raw.cast(pa.timestamp(unit, tz=tz))


def decimals(kind: str, lists) -> pa.Array:
    precision, scale = {"decimal": (12, 2), "decimal38": (38, 10), "decimal256": (50, 4)}[kind]
    big = 10**precision - 1  # unscaled; Decimal(text) is exact whatever the context
    small = st.integers(-(10 ** (scale + 4)), 10 ** (scale + 4))
    unscaled = lists(st.one_of(small, st.integers(-big, big)))
    vals = [None if v is None else Decimal(f"{v}E-{scale}") for v in unscaled]
    typ = pa.decimal256(precision, scale) if precision > 38 else pa.decimal128(precision, scale)
    return pa.array(vals, typ)


# the usual types first: shrinking goes towards them
CUSTOMER_KINDS = ["int64", "string", "dictionary", "int32", "uint64", "int8", "large_string",
                  "string_view", "dict_int", "float64", "bool", "list", "struct", "date32",
                  "decimal", "binary", "null"]  # fmt: skip
DATE_KINDS = ["date32", "ts_ms", "ts_tz", "iso_text", "date64", "ts_s", "ts_ns", "ts_fixed",
              "ts_utc", "dictionary_text", "int64", "float64", "bool", "list", "time",
              "duration", "string", "null"]  # fmt: skip
AMOUNT_KINDS = ["float64", "int64", "decimal", "amount_text", "float32", "uint64", "decimal38",
                "decimal256", "float16", "int8", "bool", "list", "date32", "dictionary",
                "string", "null"]  # fmt: skip
ORDER_KINDS = ["int64", "string", "dictionary", "int32", "float64", "null", "list"]


# --------------------------------------------------------------------------- frames
@dataclass
class Input:
    """The data argument (or None with the columns passed one by one), the
    column arguments, and the family a result must have."""

    data: Any
    columns: dict[str, Any]
    family: str


def usual_then_any(kinds: list[str]) -> st.SearchStrategy:
    """One of the first four kinds (accepted ones) seven times out of eight."""
    usual = st.sampled_from(kinds[:4])
    return st.one_of(*[usual] * 7, st.sampled_from(kinds))


@st.composite
def tables(draw) -> pa.Table:
    """customer, date, amount and order columns of random types, 0 to 20 rows,
    sometimes a column missing or an extra one."""
    n = draw(st.integers(0, 20))
    cols = {
        "customer_id": values(draw, draw(usual_then_any(CUSTOMER_KINDS)), n),
        "date": values(draw, draw(usual_then_any(DATE_KINDS)), n),
        "amount": values(draw, draw(usual_then_any(AMOUNT_KINDS)), n),
    }
    cols["order_id"] = values(draw, draw(usual_then_any(ORDER_KINDS)), n)
    if draw(st.integers(0, 9)) == 0:
        del cols[draw(st.sampled_from(sorted(cols)))]
    if draw(st.integers(0, 9)) == 0:
        cols["extra"] = values(draw, draw(st.sampled_from(["struct", "list", "null"])), n)
    return pa.table(cols)


FAMILIES = ["arrow", "stream", "pandas", "pandas_arrow", "pandas_object", "polars", "lazy",
            "numpy columns", "pandas columns", "polars columns", "arrow columns"]  # fmt: skip
NAMES = {"customer": "customer_id", "date": "date", "amount": "amount"}
ROLES = {"customer_id": "customer", "date": "date", "amount": "amount", "order_id": "order"}


@st.composite
def inputs(draw) -> tuple[pa.Table, str, int]:
    """A table, the family to pass it in and a batch size: Arrow table (in
    batches), Arrow stream, pandas (NumPy, object or Arrow dtypes), polars
    DataFrame or LazyFrame, or the columns one by one (NumPy, pandas, polars,
    Arrow). Only drawn here: converted in the test (:func:`convert`)."""
    return draw(tables()), draw(st.sampled_from(FAMILIES)), draw(st.integers(1, 8))


def convert(t: pa.Table, family: str, size: int) -> Input:
    """The table in ``family``; a table pandas, NumPy or polars cannot hold is
    rejected (polars panics on decimal256 and pyarrow's to_numpy fails on an
    empty dictionary: their limits, not custseg's)."""
    if ("polars" in family or family == "lazy") and any(
        pa.types.is_decimal256(f.type) for f in t.schema
    ):
        reject()
    try:
        return _convert(t, family, size)
    except (Exception, pl.exceptions.PanicException):  # pyarrow, pandas, numpy or polars
        reject()


def _convert(t: pa.Table, family: str, size: int) -> Input:
    if family == "stream":
        return Input(
            pa.RecordBatchReader.from_batches(t.schema, t.to_batches(size)), NAMES, "arrow"
        )
    if family == "arrow":
        return Input(pa.Table.from_batches(t.to_batches(size), t.schema), NAMES, "arrow")
    if family.startswith("pandas") and not family.endswith("columns"):
        df = t.to_pandas(types_mapper=pd.ArrowDtype if family == "pandas_arrow" else None)
        return Input(df.astype(object) if family == "pandas_object" else df, NAMES, "pandas")
    if family in ("polars", "lazy"):
        df = pl.from_arrow(t)
        return Input(df.lazy() if family == "lazy" else df, NAMES, "polars")
    return one_by_one(t, family.split()[0])


def one_by_one(t: pa.Table, kind: str) -> Input:
    """data=None with the columns themselves as customer=, date=, amount=."""
    cols: dict[str, Any] = {"customer": None, "date": None, "amount": None}
    for name in t.column_names:
        col = t[name]
        if kind == "numpy":
            col = col.to_numpy(zero_copy_only=False)
        elif kind == "pandas":
            col = col.to_pandas()
        elif kind == "polars":
            col = pl.from_arrow(col)
        if name in ROLES:
            cols[ROLES[name]] = col
    return Input(None, cols, kind if kind in ("pandas", "polars") else "arrow")


# --------------------------------------------------------------------------- options
@dataclass(frozen=True)
class Later:
    """An argument built inside the checked call (building it may raise too)."""

    make: Any
    args: tuple = ()
    kwargs: tuple = ()

    def build(self):
        return self.make(*self.args, **dict(self.kwargs))


def later(make, *args, **kwargs) -> Later:
    return Later(make, args, tuple(kwargs.items()))


OMIT = object()  # leave the keyword out
SPILL = object()  # stands for a fresh folder of the test's
DAYS = st.dates(dt.date(2015, 1, 1), dt.date(2030, 1, 1))
MONTH = st.integers(1, 12)
ANCHORS = st.builds(dt.date, st.integers(2015, 2029), MONTH, st.integers(1, 28))
P = cs.Periods
PERIODS = st.one_of(
    st.none(),
    MONTH.map(lambda m: later(P.semiannual, start_month=m)),
    MONTH.map(lambda m: later(P.quarterly, start_month=m)),
    MONTH.map(lambda m: later(P.annual, start_month=m)),
    st.just(later(P.monthly)),
    st.tuples(st.sampled_from([1, 2, 3, 4, 6, 12]), ANCHORS).map(
        lambda a: later(P, months=a[0], anchor=a[1].isoformat())
    ),
    st.lists(DAYS, min_size=1, max_size=5, unique=True).map(
        lambda b: later(P.from_boundaries, [d.isoformat() for d in sorted(b)])
    ),
)
BAD_PERIODS = [
    later(P.semiannual, start_month=0),
    later(P.quarterly, start_month=13),
    later(P, months=5, anchor="2024-01-01"),
    later(P, months=-6, anchor="2024-01-01"),
    later(P, months=6, anchor="2024-01-29"),
    later(P, months=6, anchor="2024-02-30"),
    later(P.from_boundaries, ["2024-01-01", "2023-01-01"]),
    later(P.from_boundaries, []),
    later(P.from_boundaries, ["x"]),
    "semiannual",
    6,
]
AS_OF = st.one_of(
    st.none(),
    DAYS,
    DAYS.map(dt.date.isoformat),
    st.datetimes(dt.datetime(2015, 1, 1), dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC)),
    DAYS.map(pd.Timestamp),
    DAYS.map(lambda d: np.datetime64(d, "D")),
)
WHAT = st.lists(st.sampled_from(["cv", "rfm", "clv"]), min_size=1, unique=True)
CUTS3 = st.lists(st.integers(1, 99), min_size=3, max_size=3, unique=True).map(
    lambda xs: tuple(sorted(x / 100 for x in xs))
)
THRESHOLD = (st.one_of(st.none(), st.floats(0, 50)), [-1.0, math.nan, math.inf, "high"])

# option: (valid values, invalid values)
OPTIONS: dict[str, tuple[st.SearchStrategy, list]] = {
    "order": (st.sampled_from([OMIT, "order_id"]), ["nope", "amount", 3]),
    "as_of": (
        AS_OF,
        [
            "yesterday",
            "2025-13-01",
            "",
            20250101,
            1.5,
            True,
            b"2025-01-01",
            dt.date(1, 1, 1),
            dt.date(9999, 12, 31),
        ],
    ),  # fmt: skip
    "on_invalid": (st.sampled_from(["raise", "drop"]), ["ignore", None, 1, "DROP"]),
    "threads": (st.sampled_from([None, 1, 2]), [0, -1, 5000, 1.5, "2"]),
    "memory_limit": (st.sampled_from(["auto", None, 1 << 20, 0, "64MB"]), [-1, "abc", "4 XB", 1.5]),
    "spill_dir": (st.sampled_from([OMIT, SPILL]), [123, b"\x00"]),
    "periods": (PERIODS, BAD_PERIODS),
    "sales_months": (st.sets(MONTH, min_size=1).map(sorted), [[0], [13], [], "jan", [1.5], None]),
    "sales_lookback": (st.integers(1, 6), [-1, 0, 10**6, 1.5]),
    "cuts": (
        st.one_of(st.just((0.05, 0.25, 0.5)), CUTS3),
        [(0.5, 0.25, 0.05), (0.0, 0.5, 1.0), (0.1,), "abc", (math.nan, 0.2, 0.3)],
    ),  # fmt: skip
    "monetary_periods": (st.integers(1, 4), [-1, 0, 10**6, 1.5]),
    "bins": (st.integers(2, 9), [-1, 0, 1, 10, 2.5, "5"]),
    "monetary": (st.sampled_from(["sum", "mean"]), ["median", None]),
    "segments": (st.just(OMIT), [[{"segment": "x"}], "abc", [{"r": (0, 99)}], 5]),
    "lifetime_years": (st.sampled_from([None, 0.5, 3.0]), [0, -1, math.nan, "3"]),
    "clv_cuts": (
        st.sampled_from([None, (0.2, 0.8), (0.1, 0.5)]),
        [(0.8, 0.2), (0.5,), (0.2, 1.5), "x"],
    ),
    "value_threshold": THRESHOLD,
    "loyalty_threshold": THRESHOLD,
    "tenure_threshold": THRESHOLD,
    "what": (WHAT, ["unknown", [], ["cv", "cv"], ["CV"], 5, None]),
    "unit": (st.sampled_from(["W", "D"]), ["M", "w", None, 7]),
}
RUN = ["order", "as_of", "on_invalid", "threads", "memory_limit", "spill_dir"]
CV = ["periods", "sales_months", "sales_lookback", "cuts", "monetary_periods"]
RFM = ["bins", "monetary", "segments"]
CLV = ["lifetime_years", "clv_cuts", "value_threshold", "loyalty_threshold", "tenure_threshold"]
USES = {
    "customer_value": RUN + CV,
    "rfm": RUN + RFM,
    "clv": RUN + CLV + ["periods"],
    "segment": RUN + CV + RFM + CLV + ["what"],
    "rfm_summary": [o for o in RUN if o != "order"] + ["unit"],
}


@st.composite
def calls(draw, name: str) -> dict[str, Any]:
    """The keyword arguments of a call of ``name``: every option valid half of
    the time, else one or two options (or a column name) invalid."""
    uses = USES[name]
    broken = draw(st.one_of(st.just([]), st.lists(st.sampled_from([*uses, "columns"]), max_size=2)))
    kw: dict[str, Any] = dict(count_zero_days=draw(st.booleans()))
    kw["return_report"] = draw(st.booleans())
    if "columns" in broken:
        kw[draw(st.sampled_from(["customer", "date", "amount"]))] = draw(
            st.sampled_from(["nope", 7, "extra"])
        )
    for option in uses:
        valid, invalid = OPTIONS[option]
        value = draw(st.sampled_from(invalid)) if option in broken else draw(valid)
        if value is not OMIT:
            kw["cuts" if (name, option) == ("clv", "clv_cuts") else option] = value
    if name in ("customer_value", "segment"):
        kw["sales_only"] = draw(st.booleans())
    bins = kw.get("bins", 5)
    if "segments" in uses and "segments" not in broken and bins != 5:
        # the default rules table is for 5 bins (R3): a table of our own
        kw["segments"] = [{"segment": "Top", "r": (bins, bins), "f": f"1-{bins}", "m": 1}]
    return kw


def with_columns(kw: dict[str, Any], given: Input, name: str) -> dict[str, Any]:
    """The options with the input's column arguments (a broken name wins; with
    the columns passed one by one, ``order="order_id"`` passes that column)."""
    out = {**given.columns, **kw}
    if given.data is None and kw.get("order") == "order_id":
        out["order"] = given.columns.get("order")
    if name == "rfm_summary":
        out.pop("order", None)  # it takes no order column
    return out


# --------------------------------------------------------------------------- the check
def built(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: v.build() if isinstance(v, Later) else v for k, v in kw.items()}


# Bugs the harness finds: while one stands (with an xfail(strict=True) test),
# the harness counts it (an event) instead of failing on it.
KNOWN: dict[str, Any] = {}  # all fixed: see the tests below


def outcome(fn, *args, family: str | None, **kw) -> Any:
    """Calls ``fn``; an allowed error (with a message) is an ``event``, any other
    exception fails the test; a result must be of ``family`` (when given). A
    call still running after HANG_S seconds dumps every thread's stack and
    ends the process (the fuzz script reports it as a hang)."""
    started = time.perf_counter()
    faulthandler.dump_traceback_later(HANG_S, exit=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*args, **built(kw))
    except ALLOWED as e:
        assert not isinstance(e, cs.InternalError), e
        assert str(e).strip(), f"{type(e).__name__} without a message"
        name = f"{type(e).__module__}.{type(e).__name__}"
        # errors not of custseg's own classes: the message too, to judge it
        event(name if isinstance(e, cs.CustsegError) else f"{name}: {str(e)[:70]}")
        return None
    except Exception as e:
        known = [k for k, match in KNOWN.items() if match(e)]
        if not known:
            raise
        event(f"KNOWN BUG: {known[0]}")
        return None
    finally:
        faulthandler.cancel_dump_traceback_later()
        took = time.perf_counter() - started
        assert took < SLOW_S, f"{fn.__name__} took {took:.1f} s on a tiny input"
    event("result")
    if family is not None:
        frame = out[0] if isinstance(out, tuple) else out
        assert family_of(frame) == family, (type(frame), family)
        assert not is_lazy(frame)
    return out


def is_lazy(frame) -> bool:
    return type(frame).__name__ == "LazyFrame"


def check_report(out, rep: cs.Report) -> None:
    """Item 6 on whatever came through: the identities, the result's rows."""
    assert rep.rows_read == rep.rows_used + rep.rows_after_as_of + rep.rows_dropped_total
    assert rep.customers + rep.customers_without_purchase == rep.customers_seen
    assert rep.customers == as_table(out).num_rows


ENTRY_POINTS = ["customer_value", "rfm", "clv", "segment", "rfm_summary"]


@pytest.mark.parametrize("name", ENTRY_POINTS)
@FUZZ
@given(data=st.data())
def test_random_frames_and_options_give_a_result_or_a_clear_error_I4(name, data, tmp_path_factory):
    """A result of the input's family, or CustsegError/TypeError/ValueError with
    a message; with ``return_report=True`` the report accounts for every row;
    a spill folder is left empty either way."""
    table, family, size = data.draw(inputs(), label="input")
    kw = data.draw(calls(name), label="options")
    given_input = convert(table, family, size)
    kw = with_columns(kw, given_input, name)
    spill = tmp_path_factory.mktemp("spill") if kw.get("spill_dir") is SPILL else None
    if spill is not None:
        kw["spill_dir"] = spill
    out = outcome(getattr(cs, name), given_input.data, family=given_input.family, **kw)
    if out is not None and kw["return_report"]:
        check_report(*out)
    if spill is not None:
        assert [p for p in spill.rglob("*") if p.is_file()] == [], "spill files left behind"


# --------------------------------------------------------------------------- BTYD fits
@st.composite
def summaries(draw):
    """BTYD summaries (CLV4) with random, often impossible, rows in a random family."""
    n = draw(st.integers(0, 30))
    number = st.one_of(
        st.integers(0, 60).map(float),
        st.floats(-5, 200),
        st.sampled_from([math.nan, math.inf, -1.0, 0.5, 1e300, 5e-324]),
    )
    cols = {
        c: draw(st.lists(nullable(draw, number), min_size=n, max_size=n))
        for c in ("frequency", "recency", "T", "monetary_value")
    }
    if draw(st.integers(0, 9)) == 0:
        del cols[draw(st.sampled_from(sorted(cols)))]
    t = pa.table({c: pa.array(v, pa.float64()) for c, v in cols.items()})
    family = draw(st.sampled_from(["arrow", "pandas", "polars"]))
    return {"arrow": t, "pandas": t.to_pandas(), "polars": pl.from_arrow(t)}[family]


@FUZZ
@given(
    s=summaries(),
    model=st.sampled_from(["BetaGeo", "GammaGamma"]),
    penalizer=st.sampled_from([0.0, 0.0, 0.01, 1.0, -1.0, math.nan, "x"]),
)
def test_random_summaries_fit_or_give_a_clear_error_CLV4(s, model, penalizer):
    """A fit gives finite parameters, or CustsegError/TypeError/ValueError."""
    fitted = outcome(lambda: getattr(cs, model)(penalizer=penalizer).fit(s), family=None)
    if fitted is not None:
        assert all(math.isfinite(v) for v in fitted.params.values()), fitted.params


# ------------------------------------------------- found by the harness, fixed (regression tests)
def test_rfm_summary_with_unit_none_names_the_unit_CLV4():
    tx = cs.datasets.synthetic(customers=50, years=2, seed=1)
    with pytest.raises(cs.ConfigError, match="unit"):
        cs.rfm_summary(tx, unit=None)


def test_object_timestamp_before_year_1_is_a_clear_error_I4():
    early = pd.Timestamp("0001-01-01", tz="UTC").tz_convert("America/New_York")  # year 0 locally
    dates = pd.Series([pd.Timestamp("2024-01-01", tz="America/New_York"), early], dtype=object)
    df = pd.DataFrame({"customer_id": [1, 1], "date": dates, "amount": [1.0, 2.0]})
    with pytest.raises(cs.CustsegError, match="date"):
        cs.customer_value(df)


@pytest.mark.parametrize("role", ["customer_id", "amount"])
def test_object_int_beyond_int64_is_a_clear_error_I4_I6(role):
    df = pd.DataFrame({"customer_id": [1, 1], "date": pd.to_datetime(["2024-01-01"] * 2)})
    df["amount"] = [1.0, 2.0]
    df[role] = pd.Series([1, 2**63], dtype=object)
    with pytest.raises(cs.CustsegError, match=role):
        cs.customer_value(df)
