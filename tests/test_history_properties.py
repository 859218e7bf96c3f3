"""Property tests: segments over time (CV8) equal the plain reference.

Random transaction tables (the strategies of ``tests/test_cv_properties.py``)
go through ``custseg.customer_value_history``, ``segment_history``,
``migration``, ``migration_matrix``, ``segment_performance`` and ``cohorts``
and through ``tests/reference_history.py`` (a slow, obviously-correct reading of
CV8 built on the CV / RFM / CLV references); every column is compared: labels,
dates and counts exactly, money in millionths (I6), ratios to 1e-12 of the exact
fraction.  Further properties: every slice of a history is the one-boundary call
(``customer_value`` / ``segment`` with ``as_of`` = the boundary), the forms that
start from the transactions equal the forms over a history, and each input
family comes back in its own family.

The module fails loudly (it does not skip) when the compiled package is missing.
"""

from __future__ import annotations

import datetime
import math
import os
import sys
from datetime import date, timedelta
from typing import Any

import custseg
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import reference_history as rh  # noqa: E402
from reference import OUT_COLUMNS, RegularPeriods  # noqa: E402
from test_cv_properties import (  # noqa: E402
    NICE_CUTS,
    _cust,
    boundary_periods,
    datasets,
    regular_periods,
    to_frame,
)

# Fail at import (collection error), not skip, when the product is not built.
_history = custseg.customer_value_history
_segment_history = custseg.segment_history
_migration = custseg.migration
_migration_matrix = custseg.migration_matrix
_performance = custseg.segment_performance
_cohorts = custseg.cohorts

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEWER = settings(SETTINGS, max_examples=15)

COLS = dict(customer="customer_id", date="date", amount="amount")
BYS = st.sampled_from(
    [
        ("cv_group", "cv_segment"),
        ("cv_group", "cv_segment"),
        "cv_group",
        "cv_segment",
        ("cv_segment",),
        ("cv_segment", "cv_group"),
    ]
)


# --------------------------------------------------------------------------- strategies
@st.composite
def cv_options(draw) -> dict:
    """The Customer Value options of a history (CV3, CV5, CV6, I2)."""
    return dict(
        sales_only=draw(st.booleans()),
        sales_months=tuple(sorted(draw(st.sets(st.integers(1, 12), min_size=1, max_size=11)))),
        sales_lookback=draw(st.integers(1, 6)),
        cuts=draw(
            st.one_of(
                st.just((0.05, 0.25, 0.50)),
                st.lists(st.sampled_from(NICE_CUTS), min_size=3, max_size=3, unique=True).map(
                    lambda xs: tuple(sorted(xs))
                ),
            )
        ),
        monetary_periods=draw(st.integers(1, 3)),
    )


@st.composite
def hist_cases(draw, with_orders=None, defaults_only=False):
    """Rows, a calendar, start / end (given, defaulted, before / after the data) and
    the options of a history."""
    rows = draw(datasets())
    days = [r[1] for r in rows]
    first, last = min(days), max(days)
    if draw(st.integers(0, 2)) == 0:
        periods = draw(boundary_periods(days))
    else:
        periods = draw(regular_periods())
    b0 = periods[2]  # the first explicit boundary, or None
    start = end = None
    if not defaults_only:
        if draw(st.booleans()):
            lo = first - timedelta(days=500) if b0 is None else b0
            start = draw(st.dates(lo, last + timedelta(days=100)))
        if draw(st.booleans()):
            lo = (start or first) - timedelta(days=200)
            if b0 is not None:
                lo = max(lo, b0)
            end = draw(st.dates(lo, last + timedelta(days=500)))
    return dict(
        rows=rows,
        periods=periods,
        start=start,
        end=end,
        date_form=draw(st.sampled_from(["date", "iso", "timestamp"])),
        order=draw(st.booleans()) if with_orders is None else with_orders,
        count_zero_days=draw(st.booleans()),
        cv=draw(cv_options()),
        string_ids=draw(st.booleans()),
    )


# --------------------------------------------------------------------------- helpers
def _form(d: date | None, form: str) -> Any:
    if d is None:
        return None
    if form == "iso":
        return d.isoformat()
    if form == "timestamp":
        return pd.Timestamp(d) + pd.Timedelta(hours=15)  # taken at its calendar day (I3)
    return d


def ref_rows(case) -> list[tuple]:
    return [(_cust(r[0], case["string_ids"]), r[1], r[2] / 100, r[3]) for r in case["rows"]]


def ref_bounds(case) -> list[date]:
    days = [r[1] for r in case["rows"]]
    return rh.boundaries(case["periods"][1], case["start"], case["end"], min(days), max(days))


def ref_history(case) -> list[dict]:
    return rh.history(
        ref_rows(case),
        case["periods"][1],
        ref_bounds(case),
        order=case["order"],
        count_zero_days=case["count_zero_days"],
        **case["cv"],
    )


def common_kw(case) -> dict:
    """Columns, calendar and I2 options shared by every CV8 call."""
    return dict(
        **COLS,
        order="order_id" if case["order"] else None,
        periods=case["periods"][0],
        count_zero_days=case["count_zero_days"],
    )


def range_kw(case) -> dict:
    return dict(
        start=_form(case["start"], case["date_form"]), end=_form(case["end"], case["date_form"])
    )


def product_history(tx, case, **kw):
    return _history(tx, **common_kw(case), **range_kw(case), **case["cv"], **kw)


def _py(v: Any) -> Any:
    """A cell as a plain Python value: dates as date, numpy scalars unwrapped."""
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, datetime.datetime):
        return v.date()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    return v


def records(obj) -> list[dict]:
    """Any result family as a list of {column: plain value} (labels as str)."""
    if isinstance(obj, pd.DataFrame):
        t = pa.Table.from_pandas(obj, preserve_index=False)
    elif isinstance(obj, pa.Table):
        t = obj
    else:
        t = obj.to_arrow()  # polars
    return [{k: _py(v) for k, v in row.items()} for row in t.to_pylist()]


def hist_records(obj) -> list[dict]:
    """A product history as reference history rows (customer key, monetary in millionths)."""
    out = []
    for r in records(obj):
        row = {"period_start": r.pop("period_start"), "customer": r.pop("customer_id")}
        row.update(r)
        if isinstance(row.get("monetary"), float):
            row["monetary"] = round(row["monetary"] * 1e6)
        out.append(row)
    return out


def _millionths(x) -> int:
    assert x is not None and not (isinstance(x, float) and math.isnan(x)), x
    return round(x * 1e6)


def _undefined(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def assert_ratio(got, want, what: str) -> None:
    if want is None:
        assert _undefined(got), f"{what}: got {got!r}, want null (0 / 0)"
        return
    assert not _undefined(got), f"{what}: got {got!r}, want {want} = {float(want)!r}"
    assert math.isclose(got, float(want), rel_tol=1e-12, abs_tol=1e-12), (
        f"{what}: got {got!r}, want {want} = {float(want)!r}"
    )


def assert_rows(got: list[dict], want: list[dict], exact, money=(), ratios=()) -> None:
    """Compare row lists: ``exact`` columns with ==, ``money`` in millionths,
    ``ratios`` against exact fractions."""
    g_keys = [tuple(r[c] for c in exact) for r in got]
    w_keys = [tuple(r[c] for c in exact) for r in want]
    assert g_keys == w_keys, (
        "rows differ\n"
        + "\n".join(f"got  {k}" for k in g_keys)
        + "\n"
        + "\n".join(f"want {k}" for k in w_keys)
    )
    for g, w in zip(got, want, strict=True):
        where = tuple(w[c] for c in exact)
        for c in money:
            assert _millionths(g[c]) == w[c], f"{where} {c}: got {g[c]!r}, want {w[c] / 1e6}"
        for c in ratios:
            assert_ratio(g[c], w[c], f"{where} {c}")


def assert_history(got_obj, want: list[dict]) -> None:
    got = hist_records(got_obj)
    exact = ["period_start", "customer", *[c for c in OUT_COLUMNS if c != "monetary"]]
    assert [(r["period_start"], r["customer"]) for r in got] == sorted(
        (r["period_start"], r["customer"]) for r in got
    ), "CV8: sorted by period_start, then customer"
    assert_rows(got, want, exact)
    for g, w in zip(got, want, strict=True):
        assert g["monetary"] == w["monetary"], (g, w)


MIGRATION_EXACT = ["from_period", "to_period", "from_segment", "to_segment", "customers"]
PERFORMANCE_EXACT = ["period_start", "segment", "customers", "buyers"]
PERFORMANCE_RATIOS = ["buyer_share", "revenue_share", "revenue_per_customer"]


def assert_migration(got_obj, want: list[dict]) -> None:
    got = records(got_obj)
    assert list(got_obj.columns) == list(rh.MIGRATION_COLUMNS)
    assert_rows(got, want, MIGRATION_EXACT, ["monetary_from", "monetary_to"], ["share"])


def assert_performance(got_obj, want: list[dict]) -> None:
    assert list(got_obj.columns) == list(rh.PERFORMANCE_COLUMNS)
    assert_rows(records(got_obj), want, PERFORMANCE_EXACT, ["revenue"], PERFORMANCE_RATIOS)


def assert_cohorts(got_obj, want: list[dict], by=None) -> None:
    cols = list(rh.COHORT_COLUMNS)
    if by is not None:
        cols.insert(1, "segment")
    assert list(got_obj.columns) == cols
    exact = [c for c in cols if c not in ("retention", "revenue")]
    assert_rows(records(got_obj), want, exact, ["revenue"], ["retention"])


def boundaries_or_error(case):
    """The reference boundaries, or None when there is none (the product must raise)."""
    try:
        return ref_bounds(case)
    except ValueError:
        return None


def expect_no_boundary(fn) -> None:
    with pytest.raises(custseg.ConfigError, match="start|end"):
        fn()


# --------------------------------------------------------------------------- history
@SETTINGS
@given(case=hist_cases())
def test_history_matches_reference(case):
    """CV8 (P1, P2, I3): at every boundary of [start, end] the rows of the CV
    reference with as_of = the boundary, stacked and sorted; no boundary: an error."""
    df = to_frame(case["rows"], case["string_ids"])
    if boundaries_or_error(case) is None:
        expect_no_boundary(lambda: product_history(df, case))
        return
    got = product_history(df, case)
    assert isinstance(got, pd.DataFrame)
    assert list(got.columns) == ["period_start", "customer_id", *OUT_COLUMNS]
    assert str(got["period_start"].dtype).startswith("datetime64")
    assert isinstance(got["cv_group"].dtype, pd.CategoricalDtype) and got["cv_group"].cat.ordered
    assert "1 NEW" not in set(got["cv_group"].astype(str)), "P2: no NEW at a period start"
    assert_history(got, ref_history(case))


@SETTINGS
@given(case=hist_cases(with_orders=True))
def test_history_order_mode_matches_reference(case):
    """CV8 with I2 order mode: the events are orders, their day the earliest line."""
    df = to_frame(case["rows"], case["string_ids"])
    if boundaries_or_error(case) is None:
        expect_no_boundary(lambda: product_history(df, case))
        return
    assert_history(product_history(df, case), ref_history(case))


@FEWER
@given(case=hist_cases())
def test_history_slices_equal_customer_value(case):
    """CV8: the slice of each boundary s is ``customer_value(data, as_of=s)``, column
    for column and dtype for dtype (empty where as_of = s is before all data)."""
    df = to_frame(case["rows"], case["string_ids"])
    bounds = boundaries_or_error(case)
    if bounds is None:
        return
    hist = product_history(df, case)
    starts = {d.date() for d in pd.to_datetime(hist["period_start"])}
    assert starts <= set(bounds), "every period_start is a boundary of [start, end]"
    for s in bounds:
        part = hist[hist["period_start"] == pd.Timestamp(s)].drop(columns=["period_start"])
        part = part.reset_index(drop=True)
        try:
            want = custseg.customer_value(
                df, **common_kw(case), as_of=_form(s, case["date_form"]), **case["cv"]
            )
        except custseg.AsOfError:
            assert len(part) == 0, f"{s}: rows at a boundary before all data"
            continue
        pd.testing.assert_frame_equal(part, want, check_exact=True, obj=f"slice {s}")


RFM_OPTS = st.fixed_dictionaries(
    {"bins": st.integers(2, 9), "monetary": st.sampled_from(["sum", "mean"])}
)
WHAT = st.sampled_from(
    [("cv", "rfm", "clv"), ("cv", "rfm", "clv"), ("cv", "rfm"), ("rfm", "clv"), ("cv", "clv")]
)


@FEWER
@given(
    what=WHAT,
    ropts=RFM_OPTS,
    lifetime=st.one_of(st.sampled_from([1.0, 2.5, 4.0]), st.just(None)),
    case=hist_cases(defaults_only=True),
)
def test_segment_history_slices_equal_segment(what, ropts, lifetime, case):
    """CV8 for ``segment``: each slice is ``segment(data, as_of=s, what=...)``; an error
    at one boundary (CLV1: the default lifetime) is an error of the history."""
    df = to_frame(case["rows"], case["string_ids"])
    bounds = boundaries_or_error(case)
    if bounds is None:
        return
    kw = dict(**common_kw(case), **case["cv"], **ropts, lifetime_years=lifetime)
    wants: dict = {}
    failed = False
    for s in bounds:
        try:
            wants[s] = custseg.segment(df, what=what, as_of=s, **kw)
        except custseg.AsOfError:
            wants[s] = None
        except custseg.ConfigError:
            failed = True
            break
    if failed:
        with pytest.raises(custseg.ConfigError):
            _segment_history(df, what=what, **kw)
        return
    hist = _segment_history(df, what=what, **kw)
    assert isinstance(hist, pd.DataFrame)
    for s in bounds:
        part = hist[hist["period_start"] == pd.Timestamp(s)].drop(columns=["period_start"])
        part = part.reset_index(drop=True)
        if wants[s] is None:
            assert len(part) == 0
            continue
        pd.testing.assert_frame_equal(part, wants[s], check_exact=True, obj=f"slice {s}")
    # the migration of any label column of the segmentations (R3, CLV2, CLV3)
    if "cv" in what:
        by = ("cv_group", "rfm_segment" if "rfm" in what else "clv_tier")
        want = rh.migration(hist_records(hist), by=by)
        assert_migration(_migration(hist, by=by), want)


# --------------------------------------------------------------------------- migration
@SETTINGS
@given(by=BYS, pick=st.integers(0, 3), data=st.data(), case=hist_cases())
def test_migration_matches_reference(by, pick, data, case):
    """CV8 migration: consecutive pairs or the pair (frm, to); (new) first; shares of
    the from segment; CV3 monetary sums at both ends."""
    if boundaries_or_error(case) is None:
        return
    df = to_frame(case["rows"], case["string_ids"])
    hist = product_history(df, case)
    ref_hist = ref_history(case)
    starts = sorted({r["period_start"] for r in ref_hist})
    frm = to = None
    if pick == 0 and len(starts) >= 2:
        frm, to = sorted(
            data.draw(st.lists(st.sampled_from(starts), min_size=2, max_size=2, unique=True))
        )
    want = rh.migration(ref_hist, by=by, frm=frm, to=to)
    got = _migration(
        hist, by=by, frm=_form(frm, case["date_form"]), to=_form(to, case["date_form"])
    )
    assert isinstance(got, pd.DataFrame)
    assert_migration(got, want)


@FEWER
@given(by=BYS, values=st.sampled_from(["customers", "share"]), case=hist_cases())
def test_migration_matrix_is_the_last_pair(by, values, case):
    """CV8 migration_matrix: the last pair as a wide table, 0 where nobody moved."""
    if boundaries_or_error(case) is None:
        return
    ref_hist = ref_history(case)
    starts = sorted({r["period_start"] for r in ref_hist})
    if len(starts) < 2:
        return
    df = to_frame(case["rows"], case["string_ids"])
    got = _migration_matrix(product_history(df, case), by=by, values=values)
    cells = rh.migration(ref_hist, by=by, frm=starts[-2], to=starts[-1])
    froms = list(dict.fromkeys(r["from_segment"] for r in cells))
    key = {lab: i for i, lab in enumerate(_label_order(ref_hist, by, cells))}
    tos = sorted({r["to_segment"] for r in cells}, key=key.__getitem__)
    assert list(got.columns) == ["from_segment", *tos]
    assert [str(v) for v in got["from_segment"]] == froms
    want = {(r["from_segment"], r["to_segment"]): r[values] for r in cells}
    for i, f in enumerate(froms):
        for t in tos:
            g = got[t].iloc[i]
            w = want.get((f, t), 0)
            assert math.isclose(float(g), float(w), rel_tol=1e-12), (f, t, g, w)


def _label_order(ref_hist, by, cells) -> list[str]:
    """Every label of a migration in label order ((new) first, (gone) last)."""
    labels = {r["from_segment"] for r in cells} | {r["to_segment"] for r in cells}
    key = rh._sorter(ref_hist, by, rh.LABEL_ORDERS)
    return sorted(labels, key=key)


# --------------------------------------------------------------------------- performance
@SETTINGS
@given(by=BYS, case=hist_cases())
def test_segment_performance_matches_reference(by, case):
    """CV8 performance: per boundary s and label, customers, buyers and revenue in
    [s, next boundary); (new) last: first purchase event in that period (I2)."""
    if boundaries_or_error(case) is None:
        return
    # docs/rules.md, CV8: with an order column, performance decides an order whose lines
    # fall in two periods as of each period's end (buyers, new), the reference over all
    # the data; the two agree when no order spans a period start.
    assume(not (case["order"] and order_spans_a_period_start(case)))
    df = to_frame(case["rows"], case["string_ids"])
    hist = product_history(df, case)
    want = rh.segment_performance(
        ref_history(case),
        ref_rows(case),
        case["periods"][1],
        by=by,
        count_zero_days=case["count_zero_days"],
        order=case["order"],
    )
    got = _performance(hist, df, by=by, **common_kw(case))
    assert isinstance(got, pd.DataFrame)
    assert_performance(got, want)


def order_spans_a_period_start(case) -> bool:
    """Whether an order of ``case`` has lines in two periods of its calendar."""
    periods = case["periods"][1]
    seen: dict = {}
    for cust, day, _, order in case["rows"]:
        seen.setdefault((cust, order), set()).add(periods.index(day))
    return any(len(p) > 1 for p in seen.values())


# --------------------------------------------------------------------------- cohorts
@st.composite
def cohort_ranges(draw, case):
    """start / end of a cohort table, within the calendar (P1: explicit boundaries
    hold no day before the first)."""
    days = [r[1] for r in case["rows"]]
    first, last = min(days), max(days)
    b0 = case["periods"][2]
    start = end = None
    if draw(st.booleans()):
        start = draw(st.dates(b0 or first - timedelta(days=300), last))
    if draw(st.booleans()):
        end = draw(st.dates(start or first, last + timedelta(days=300)))
    return start, end


@SETTINGS
@given(data=st.data(), case=hist_cases(defaults_only=True))
def test_cohorts_match_reference(data, case):
    """CV8 cohorts: cohort = period of the first purchase event; one row per later
    period with active customers (I2), retention and revenue."""
    start, end = data.draw(cohort_ranges(case))
    df = to_frame(case["rows"], case["string_ids"])
    want = rh.cohorts(
        ref_rows(case),
        case["periods"][1],
        start=start,
        end=end,
        count_zero_days=case["count_zero_days"],
        order=case["order"],
    )
    got = _cohorts(
        df,
        **common_kw(case),
        start=_form(start, case["date_form"]),
        end=_form(end, case["date_form"]),
    )
    assert isinstance(got, pd.DataFrame)
    assert_cohorts(got, want)


@FEWER
@given(by=BYS, at_age=st.integers(0, 3), case=hist_cases())
def test_cohorts_by_segment_match_reference(by, at_age, case):
    """CV8 cohorts with by: split by the label ``at_age`` periods after the cohort's
    start, (none) without a row there."""
    if boundaries_or_error(case) is None:
        return
    df = to_frame(case["rows"], case["string_ids"])
    hist = product_history(df, case)
    want = rh.cohorts(
        ref_rows(case),
        case["periods"][1],
        count_zero_days=case["count_zero_days"],
        order=case["order"],
        by=by,
        hist_rows=ref_history(case),
        at_age=at_age,
    )
    got = _cohorts(df, **common_kw(case), by=by, history=hist, at_age=at_age)
    assert_cohorts(got, want, by=by)


# --------------------------------------------------------------------------- direct forms
@FEWER
@given(by=BYS, case=hist_cases())
def test_forms_from_transactions_equal_forms_over_a_history(by, case):
    """migration(data=...) and segment_performance(None, data, ...) compute the history
    of [start, end] themselves: the same tables as over that history."""
    df = to_frame(case["rows"], case["string_ids"])
    kw = dict(**common_kw(case), **range_kw(case), **case["cv"])
    if boundaries_or_error(case) is None:
        expect_no_boundary(lambda: _migration(data=df, by=by, **kw))
        expect_no_boundary(lambda: _performance(None, df, by=by, **kw))
        return
    hist = product_history(df, case)
    pd.testing.assert_frame_equal(
        _migration(data=df, by=by, **kw), _migration(hist, by=by), check_exact=True
    )
    pd.testing.assert_frame_equal(
        _performance(None, df, by=by, **kw),
        _performance(hist, df, by=by, **common_kw(case)),
        check_exact=True,
    )


# --------------------------------------------------------------------------- families
SMALL = [
    ("A", date(2023, 2, 10), 100.0),
    ("A", date(2023, 9, 5), 50.0),
    ("A", date(2024, 3, 1), 80.0),
    ("B", date(2023, 8, 20), 30.0),
    ("B", date(2024, 5, 5), 20.0),
    ("C", date(2024, 2, 2), 70.0),
    ("D", date(2024, 9, 9), 25.0),
    ("D", date(2025, 4, 1), 15.0),
]
SEMI = custseg.Periods.semiannual(start_month=1)


def _small_pandas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in SMALL],
            "date": pd.to_datetime([r[1] for r in SMALL]),
            "amount": [r[2] for r in SMALL],
        }
    )


def _all_results(tx):
    hist = _history(tx, periods=SEMI)
    return {
        "history": hist,
        "segment_history": _segment_history(tx, periods=SEMI, lifetime_years=2.0),
        "migration": _migration(hist),
        "migration_data": _migration(data=tx, periods=SEMI),
        "matrix": _migration_matrix(hist),
        "performance": _performance(hist, tx, periods=SEMI),
        "performance_data": _performance(None, tx, periods=SEMI),
        "cohorts": _cohorts(tx, periods=SEMI),
        "cohorts_by": _cohorts(tx, periods=SEMI, by="cv_segment", history=hist),
    }


def _same_content(got: dict, want: dict) -> None:
    for name, frame in want.items():
        assert records(got[name]) == records(frame) or _nan_equal(
            records(got[name]), records(frame)
        ), name


def _nan_equal(a: list[dict], b: list[dict]) -> bool:
    def norm(rows):
        return [{k: (None if _undefined(v) else v) for k, v in r.items()} for r in rows]

    return norm(a) == norm(b)


def test_pandas_in_pandas_out():
    res = _all_results(_small_pandas())
    for name, frame in res.items():
        assert isinstance(frame, pd.DataFrame), name
    reference = ref_small_history()
    assert_history(res["history"], reference)


def test_polars_in_polars_out():
    pl = pytest.importorskip("polars")
    pandas_res = _all_results(_small_pandas())
    res = _all_results(pl.from_pandas(_small_pandas()))
    for name, frame in res.items():
        assert isinstance(frame, pl.DataFrame), name
    _same_content(res, pandas_res)


def test_pyarrow_in_pyarrow_out():
    pandas_res = _all_results(_small_pandas())
    res = _all_results(pa.Table.from_pandas(_small_pandas(), preserve_index=False))
    for name, frame in res.items():
        assert isinstance(frame, pa.Table), name
    assert res["history"].schema.field("period_start").type == pa.date32()
    _same_content(res, pandas_res)


def ref_small_history() -> list[dict]:
    periods = RegularPeriods(6, date(2000, 1, 1))
    days = [r[1] for r in SMALL]
    bounds = rh.boundaries(periods, None, None, min(days), max(days))
    return rh.history(SMALL, periods, bounds)
