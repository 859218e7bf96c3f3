"""Property tests: ``custseg.rfm`` / ``custseg.clv`` / ``custseg.segment`` equal the reference.

Random transaction tables (the strategies of ``tests/test_cv_properties.py``)
are segmented by the product and by ``tests/reference_rfm_clv.py`` (a slow,
obviously-correct reading of spec sections 3 and 4: R1-R3, CLV1-CLV3) and every
output column is compared exactly: the reference does the same float
operations in the same order as the product, so even the float columns are
compared with ``==``.  Further properties: ``segment`` gives the columns of the
three separate calls; row order and Arrow chunking do not change RFM or CLV (I5).

The module fails loudly (it does not skip) when the compiled package is missing.
"""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from typing import Any

import custseg
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

import reference_rfm_clv as ref  # noqa: E402
from reference import RegularPeriods  # noqa: E402
from test_cv_properties import _cust, cases, to_frame  # noqa: E402

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEWER = settings(SETTINGS, max_examples=40)
# The options are drawn before the (large) data set in every test: hypothesis fills
# draws past the end of a long buffer with minimal values, which would otherwise
# make "default rules, bins=2" and "default lifetime" far too common.


# --------------------------------------------------------------------------- strategies
def _range_form(draw, lo: int, hi: int) -> Any:
    """R3: a range written as (lo, hi), "lo-hi" or (when lo == hi) one int."""
    form = draw(st.integers(0, 2))
    if form == 0:
        return (lo, hi)
    if form == 1 or lo != hi:
        return f"{lo}-{hi}"
    return lo


@st.composite
def rules_tables(draw, bins: int):
    """R3: None (the default table) or a random table of 0-6 rules, as a list of
    dicts or a pandas DataFrame; rarely one rule that does not fit the bins."""
    if draw(st.integers(0, 3)) == 0:
        return None, None
    n_rules = draw(st.integers(0, 6))
    misfit = n_rules > 0 and draw(st.integers(0, 14)) == 0
    table = []
    for i in range(n_rules):
        rule: dict[str, Any] = {"segment": f"S{i}"}
        for key in "rfm":
            lo = draw(st.integers(1, bins))
            hi = draw(st.integers(lo, bins))
            rule[key] = _range_form(draw, lo, hi)
        table.append(rule)
    if misfit:
        i = draw(st.integers(0, n_rules - 1))
        table[i]["f"] = draw(st.sampled_from([f"0-{bins}", f"1-{bins + 1}", "3-2"]))
    ref_table = [dict(r) for r in table]
    if draw(st.booleans()):
        # a DataFrame: every cell a string, as a spreadsheet would hold it
        frame = pd.DataFrame(
            {
                "segment": [r["segment"] for r in table],
                **{k: [_as_text(r[k]) for r in table] for k in "rfm"},
            },
            columns=["segment", "r", "f", "m"],
        )
        return frame, ref_table
    return table, ref_table


def _as_text(v: Any) -> str:
    if isinstance(v, tuple):
        return f"{v[0]}-{v[1]}"
    return str(v)


LIFETIMES = st.one_of(
    st.none(),
    st.none(),
    st.sampled_from([1.0, 2.5, 4.0, 0.75]),
    st.floats(0.1, 20.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def rfm_options(draw):
    bins = draw(st.integers(2, 9))
    segments, ref_rules = draw(rules_tables(bins))
    return {
        "bins": bins,
        "monetary": draw(st.sampled_from(["sum", "mean"])),
        "segments": segments,
        "ref_rules": ref_rules,
    }


@st.composite
def clv_options(draw):
    tiers = draw(
        st.one_of(
            st.just((0.2, 0.8)),
            st.lists(
                st.sampled_from([0.1, 0.2, 0.25, 0.5, 0.6, 0.75, 0.8]),
                min_size=2,
                max_size=2,
                unique=True,
            ).map(lambda xs: tuple(sorted(xs))),
        )
    )
    return {
        "lifetime_years": draw(LIFETIMES),
        "tiers": tiers,
        "value_threshold": draw(st.one_of(st.none(), st.none(), st.sampled_from([0.0, 50.0]))),
        "loyalty_threshold": draw(
            st.one_of(st.none(), st.none(), st.sampled_from([0.5, 1.0, 1 / 3]))
        ),
        "tenure_threshold": draw(st.one_of(st.none(), st.none(), st.sampled_from([0.0, 0.5, 1.0]))),
    }


# --------------------------------------------------------------------------- helpers
def ref_rows(rows, string_ids: bool) -> list[tuple]:
    return [(_cust(r[0], string_ids), r[1], r[2] / 100, r[3]) for r in rows]


def call_rfm(tx, cfg, opts, **kw):
    return custseg.rfm(
        tx,
        order="order_id" if cfg["order"] else None,
        as_of=cfg["as_of"],
        bins=opts["bins"],
        monetary=opts["monetary"],
        segments=opts["segments"],
        count_zero_days=cfg["count_zero_days"],
        **kw,
    )


def call_clv(tx, cfg, opts, **kw):
    return custseg.clv(
        tx,
        order="order_id" if cfg["order"] else None,
        as_of=cfg["as_of"],
        periods=cfg["periods"][0],
        lifetime_years=opts["lifetime_years"],
        cuts=opts["tiers"],
        value_threshold=opts["value_threshold"],
        loyalty_threshold=opts["loyalty_threshold"],
        tenure_threshold=opts["tenure_threshold"],
        count_zero_days=cfg["count_zero_days"],
        **kw,
    )


def reference_rfm(rows, cfg, opts, string_ids):
    return ref.rfm(
        ref_rows(rows, string_ids),
        as_of=cfg["as_of"],
        bins=opts["bins"],
        monetary=opts["monetary"],
        rules=opts["ref_rules"],
        order=cfg["order"],
        count_zero_days=cfg["count_zero_days"],
    )


def reference_clv(rows, cfg, opts, string_ids):
    return ref.clv(
        ref_rows(rows, string_ids),
        as_of=cfg["as_of"],
        periods=cfg["periods"][1],
        lifetime_years=opts["lifetime_years"],
        tiers=opts["tiers"],
        value_threshold=opts["value_threshold"],
        loyalty_threshold=opts["loyalty_threshold"],
        tenure_threshold=opts["tenure_threshold"],
        order=cfg["order"],
        count_zero_days=cfg["count_zero_days"],
    )


def records(df: pd.DataFrame, columns) -> dict:
    """A pandas result as {customer: {column: python value}} (labels as str)."""
    out = {}
    for rec in df.to_dict("records"):
        row = {}
        for col in columns:
            v = rec[col]
            if isinstance(v, str):
                row[col] = v
            elif hasattr(v, "item"):
                row[col] = v.item()
            else:
                row[col] = v
        out[rec["customer_id"]] = row
    return out


def assert_same(got: dict, want: dict, ids: list) -> None:
    assert ids == sorted(ids), "rows must be sorted by customer id"
    assert list(got) == list(want), f"customers differ: got {list(got)}, want {list(want)}"
    for c in want:
        for col, w in want[c].items():
            g = got[c][col]
            assert g == w and type(g) is type(w), (
                f"customer {c!r}, column {col}: got {g!r}, want {w!r}\n"
                f"got row  {got[c]}\nwant row {want[c]}"
            )


def expect_config_error(fn) -> None:
    with pytest.raises(custseg.ConfigError):
        fn()


# --------------------------------------------------------------------------- tests
@SETTINGS
@given(opts=rfm_options(), case=cases())
def test_rfm_matches_reference(opts, case):
    """R1-R3, I2, I3, I6: every RFM column equals the reference exactly
    (bins 2-9, sum/mean, random rules tables, order mode, count_zero_days)."""
    rows, cfg, string_ids = case
    df = to_frame(rows, string_ids)
    try:
        want = reference_rfm(rows, cfg, opts, string_ids)
    except ValueError:
        # R2/R3: the rules table does not fit the bins
        expect_config_error(lambda: call_rfm(df, cfg, opts))
        return
    got_df = call_rfm(df, cfg, opts)
    assert isinstance(got_df, pd.DataFrame)
    assert list(got_df.columns) == ["customer_id", *ref.RFM_COLUMNS]
    assert got_df["monetary"].dtype == "float64"
    for col in ("r_score", "f_score", "m_score"):
        assert got_df[col].dtype == "int8"
    seg = got_df["rfm_segment"].dtype
    assert isinstance(seg, pd.CategoricalDtype) and seg.ordered
    assert list(seg.categories) == ref.rfm_labels(opts["ref_rules"]), "R3: category order"
    assert_same(records(got_df, ref.RFM_COLUMNS), want, list(got_df["customer_id"]))


@SETTINGS
@given(opts=clv_options(), case=cases())
def test_clv_matches_reference(opts, case):
    """CLV1-CLV3: every CLV column equals the reference exactly; when the default
    lifetime cannot be computed (CLV1) the product raises ConfigError."""
    rows, cfg, string_ids = case
    df = to_frame(rows, string_ids)
    try:
        want = reference_clv(rows, cfg, opts, string_ids)
    except ValueError:
        assert opts["lifetime_years"] is None
        with pytest.raises(custseg.ConfigError, match="lifetime_years"):
            call_clv(df, cfg, opts)
        return
    got_df = call_clv(df, cfg, opts)
    assert isinstance(got_df, pd.DataFrame)
    assert list(got_df.columns) == ["customer_id", *ref.CLV_COLUMNS]
    for col, labels in (
        ("clv_tier", ref.CLV_TIERS),
        ("value_loyalty", ref.CLV_QUADRANTS),
        ("tenure_quadrant", ref.CLV_TENURE_QUADRANTS),
    ):
        dtype = got_df[col].dtype
        assert isinstance(dtype, pd.CategoricalDtype) and dtype.ordered
        assert tuple(dtype.categories) == labels
    assert_same(records(got_df, ref.CLV_COLUMNS), want, list(got_df["customer_id"]))


@SETTINGS
@given(opts=clv_options(), ropts=rfm_options(), case=cases(with_orders=True))
def test_order_mode_matches_reference(opts, ropts, case):
    """I2 order mode for R1 and CLV1: events are orders with a positive total."""
    rows, cfg, string_ids = case
    df = to_frame(rows, string_ids)
    opts = {**opts, "lifetime_years": opts["lifetime_years"] or 3.0}
    want = reference_clv(rows, cfg, opts, string_ids)
    got = call_clv(df, cfg, opts)
    assert_same(records(got, ref.CLV_COLUMNS), want, list(got["customer_id"]))
    ropts = {**ropts, "segments": None, "ref_rules": None, "bins": max(ropts["bins"], 5)}
    want = reference_rfm(rows, cfg, ropts, string_ids)
    got = call_rfm(df, cfg, ropts)
    assert_same(records(got, ref.RFM_COLUMNS), want, list(got["customer_id"]))


WHAT = st.sampled_from(
    [("cv", "rfm", "clv"), ("cv", "rfm", "clv"), ("cv", "rfm"), ("rfm", "clv"), ("cv", "clv")]
)


@FEWER
@given(ropts=rfm_options(), copts=clv_options(), what=WHAT, case=cases())
def test_segment_equals_separate_calls(ropts, copts, what, case):
    """segment(what=...) has exactly the columns of customer_value, rfm and clv
    (R1-R3, CLV1-CLV3, CV7), RFM's monetary named rfm_monetary when CV is there."""
    rows, cfg, string_ids = case
    df = to_frame(rows, string_ids)
    kwargs = dict(
        order="order_id" if cfg["order"] else None,
        as_of=cfg["as_of"],
        periods=cfg["periods"][0],
        count_zero_days=cfg["count_zero_days"],
    )
    cv_kwargs = dict(
        sales_only=cfg["sales_only"],
        sales_months=cfg["sales_months"],
        sales_lookback=cfg["sales_lookback"],
        cuts=cfg["cuts"],
        monetary_periods=cfg["monetary_periods"],
    )
    rfm_kwargs = dict(bins=ropts["bins"], monetary=ropts["monetary"], segments=ropts["segments"])
    clv_kwargs = {
        "lifetime_years": copts["lifetime_years"],
        "value_threshold": copts["value_threshold"],
        "loyalty_threshold": copts["loyalty_threshold"],
        "tenure_threshold": copts["tenure_threshold"],
    }
    parts = []
    try:
        if "cv" in what:
            parts.append(custseg.customer_value(df, **kwargs, **cv_kwargs))
        if "rfm" in what:
            r = custseg.rfm(df, **{k: v for k, v in kwargs.items() if k != "periods"}, **rfm_kwargs)
            parts.append(r.rename(columns={"monetary": "rfm_monetary"}) if "cv" in what else r)
        if "clv" in what:
            parts.append(custseg.clv(df, **kwargs, **clv_kwargs, cuts=copts["tiers"]))
    except custseg.ConfigError:
        expect_config_error(
            lambda: custseg.segment(
                df,
                what=what,
                **kwargs,
                **cv_kwargs,
                **rfm_kwargs,
                **clv_kwargs,
                clv_cuts=copts["tiers"],
            )
        )
        return
    got = custseg.segment(
        df,
        what=what,
        **kwargs,
        **cv_kwargs,
        **rfm_kwargs,
        **clv_kwargs,
        clv_cuts=copts["tiers"],
    )
    want = parts[0]
    for p in parts[1:]:
        assert list(p["customer_id"]) == list(want["customer_id"])
        want = pd.concat([want, p.drop(columns=["customer_id"])], axis=1)
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@FEWER
@given(
    ropts=rfm_options(),
    copts=clv_options(),
    seed=st.randoms(use_true_random=False),
    case=cases(),
)
def test_rfm_clv_row_order_does_not_matter(ropts, copts, seed, case):
    """I5: shuffled rows give the identical RFM and CLV frames."""
    rows, cfg, string_ids = case
    df = to_frame(rows, string_ids)
    shuffled = df.sample(frac=1.0, random_state=seed.randint(0, 2**31)).reset_index(drop=True)
    copts = {**copts, "lifetime_years": copts["lifetime_years"] or 2.0}
    ropts = {**ropts, "bins": 5, "segments": None}
    pd.testing.assert_frame_equal(
        call_rfm(df, cfg, ropts), call_rfm(shuffled, cfg, ropts), check_exact=True
    )
    pd.testing.assert_frame_equal(
        call_clv(df, cfg, copts), call_clv(shuffled, cfg, copts), check_exact=True
    )


@FEWER
@given(copts=clv_options(), chunk=st.integers(1, 7), monetary=st.booleans(), case=cases())
def test_rfm_clv_arrow_chunking_does_not_matter(copts, chunk, monetary, case):
    """I5: an Arrow table split into small batches gives the identical RFM and CLV
    tables, and both equal the reference (R1-R3, CLV1-CLV3 through Arrow)."""
    rows, cfg, string_ids = case
    t = pa.Table.from_pandas(to_frame(rows, string_ids), preserve_index=False)
    pieces = pa.Table.from_batches(t.to_batches(max_chunksize=chunk), schema=t.schema)
    copts = {**copts, "lifetime_years": copts["lifetime_years"] or 1.5}
    ropts = {"bins": 5, "monetary": "mean" if monetary else "sum", "segments": None}
    for call in (lambda x: call_rfm(x, cfg, ropts), lambda x: call_clv(x, cfg, copts)):
        whole, split = call(t), call(pieces)
        assert isinstance(whole, pa.Table)
        assert whole.equals(split), f"\n{whole}\n!=\n{split}"
    want = reference_rfm(rows, cfg, {**ropts, "ref_rules": None}, string_ids)
    got = call_rfm(pieces, cfg, ropts).to_pandas()
    assert_same(records(got, ref.RFM_COLUMNS), want, list(got["customer_id"]))


EDGE_DAYS = (1, 364, 365, 366, 729, 730, 731)


@FEWER
@given(
    opts=clv_options(),
    extra=st.lists(st.tuples(st.integers(0, 29), st.sampled_from(EDGE_DAYS)), max_size=12),
    case=cases(),
)
def test_clv_churn_window_edges(opts, extra, case):
    """CLV1: purchases exactly 365 / 366 / 730 / 731 days before as_of land in the
    right churn window ([as_of - 730, as_of - 365) and [as_of - 365, as_of))."""
    rows, cfg, string_ids = case
    as_of = cfg["as_of"] or max(r[1] for r in rows) + timedelta(days=1)
    # A regular calendar: the added purchases may lie before an explicit first boundary (P1).
    semiannual = (custseg.Periods.semiannual(), RegularPeriods(6, date(2000, 1, 1)), None)
    cfg = {**cfg, "as_of": as_of, "periods": semiannual}
    rows = rows + [(c, as_of - timedelta(days=back), 1234, 9) for c, back in extra]
    opts = {**opts, "lifetime_years": None}
    df = to_frame(rows, string_ids)
    try:
        want = reference_clv(rows, cfg, opts, string_ids)
    except ValueError:
        with pytest.raises(custseg.ConfigError, match="lifetime_years"):
            call_clv(df, cfg, opts)
        return
    got = call_clv(df, cfg, opts)
    assert_same(records(got, ref.CLV_COLUMNS), want, list(got["customer_id"]))
