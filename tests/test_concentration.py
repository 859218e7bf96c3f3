"""cs.concentration (rule A2): hand-worked figures, the plain reference under
hypothesis, order independence, the curve, families and errors."""

from __future__ import annotations

import math
from typing import Any

import custseg as cs
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import reference_analyses as ref
from hypothesis import given, settings
from hypothesis import strategies as st


def test_a2_hand_worked_ten_customers() -> None:
    # 60, 20 and eight customers of 2.5: the top 10% hold 60%, the top 20% 80%.
    values = pd.Series([2.5] * 8 + [20.0, 60.0], name="monetary")
    c = cs.concentration(values, top=(0.1, 0.2, 0.5, 1.0))
    assert c.table["customers"].tolist() == [1, 2, 5, 10]
    assert c.table["value_share"].tolist() == [0.6, 0.8, 0.875, 1.0]
    # Lorenz from the bottom: 0.025 .. 0.2, 0.4, 1; sum of the trapezoids
    assert c.gini == pytest.approx(0.64, abs=1e-12)
    assert (c.customers, c.total, c.value) == (10, 100.0, "monetary")
    assert "top 20% (2 customers) bring 80.0%" in str(c)


@settings(max_examples=200, deadline=None)
@given(
    cents=st.lists(st.integers(0, 10**7), min_size=1, max_size=80).filter(lambda v: sum(v) > 0),
    top=st.lists(
        st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.25, 1 / 3, 0.5, 0.8, 1.0]), min_size=1, max_size=5
    ),
)
def test_a2_matches_the_reference(cents: list[int], top: list[float]) -> None:
    values = [c / 100 for c in cents]
    want = ref.concentration(values, top)
    c = cs.concentration(pa.array(values), top=top, points=None)
    assert c.table["customers"].to_pylist() == want["customers"]
    np.testing.assert_allclose(c.table["value_share"].to_pylist(), want["value_share"], rtol=1e-12)
    assert c.gini == pytest.approx(want["gini"], rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(c.curve_x, want["curve_x"], rtol=0, atol=0)
    np.testing.assert_allclose(c.curve_y, want["curve_y"], rtol=1e-12, atol=1e-15)
    shuffled = cs.concentration(pa.array(values[::-1]), top=top, points=None)
    assert shuffled.gini == c.gini  # the order of the rows changes nothing
    assert shuffled.table.equals(c.table)


def test_a2_cdnow_matches_pandas() -> None:
    r = cs.rfm(cs.datasets.cdnow(output="pandas"), as_of="1998-07-01")
    c = cs.concentration(r, value="monetary")
    m = np.sort(r["monetary"].to_numpy())[::-1]
    n = len(m)
    for t, k, share in c.table.itertuples(index=False):
        assert k == max(1, math.ceil(round(t * n, 9)))
        assert share == pytest.approx(m[:k].sum() / m.sum(), rel=1e-12)
    # CDNOW: the top 20% of the buyers bring about two thirds of the revenue
    assert 0.6 < c.table["value_share"][3] < 0.75
    assert 0.6 < c.gini < 0.7


def test_a2_curve_runs_from_zero_to_one_with_the_table_on_it() -> None:
    tx = cs.datasets.synthetic(customers=5_000, years=3, seed=3)
    v = cs.clv(tx, as_of="2026-01-01")
    c = cs.concentration(v, value="clv", top=(0.2,), points=100)
    x, y = c.curve_x, c.curve_y
    assert len(x) == 101 and (x[0], y[0], x[-1]) == (0.0, 0.0, 1.0)
    assert y[-1] == pytest.approx(1.0, rel=1e-12)
    assert np.all(np.diff(x) > 0) and np.all(np.diff(y) >= -1e-15)
    # 0.2 x 5000 customers is a point of the curve: the same share as the table
    assert x[20] == 0.2 and y[20] == c.table["value_share"][0].as_py()
    assert np.all(np.diff(np.diff(y)) <= 1e-12)  # concave: largest first


@pytest.mark.parametrize("family", ["pandas", "polars", "arrow"])
def test_a2_families(family: str) -> None:
    tx = cs.datasets.synthetic(customers=500, years=2, seed=2, output=family)
    r = cs.rfm(tx, as_of="2026-01-01")
    c = cs.concentration(r)
    kinds: dict[str, Any] = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "arrow": pa.Table}
    assert isinstance(c.table, kinds[family]) and isinstance(c.curve, kinds[family])
    assert list(c.table.columns if family != "arrow" else c.table.column_names) == [
        "top_share",
        "customers",
        "value_share",
    ]
    same = cs.concentration(np.asarray(as_numpy(r)))
    assert same.gini == c.gini


def as_numpy(r: Any) -> np.ndarray:
    if isinstance(r, pa.Table):
        return r["monetary"].to_numpy()
    return r["monetary"].to_numpy()


def test_a2_errors_name_the_row_and_rule() -> None:
    with pytest.raises(cs.InvalidValueError, match=r"'monetary' at row 1: -2 is negative.*A2"):
        cs.concentration(pd.DataFrame({"monetary": [1.0, -2.0]}))
    c = cs.concentration(
        pd.DataFrame({"monetary": [1.0, -2.0, 3.0]}), negative="zero", top=(1 / 3,)
    )
    assert c.table["value_share"][0] == 0.75
    with pytest.raises(cs.InvalidValueError, match="row 2: null"):
        cs.concentration(pa.table({"monetary": [1.0, 2.0, None]}))
    with pytest.raises(cs.InvalidValueError, match="row 0: NaN is not a finite number"):
        cs.concentration(np.array([np.nan, 1.0]))
    with pytest.raises(cs.ConfigError, match="sum to 0"):
        cs.concentration(np.zeros(3))
    with pytest.raises(cs.ConfigError, match="no values"):
        cs.concentration(np.array([], dtype=float))
    with pytest.raises(cs.ConfigError, match="above 0 and at most 1"):
        cs.concentration(np.ones(3), top=(0.2, 20))
    with pytest.raises(cs.ConfigError, match="list of shares"):
        cs.concentration(np.ones(3), top=0.2)  # type: ignore[arg-type]
    with pytest.raises(cs.ColumnNotFoundError, match="'clv' \\(value\\).*A2"):
        cs.concentration(pd.DataFrame({"monetary": [1.0]}), value="clv")
    with pytest.raises(cs.ConfigError, match="negative must be"):
        cs.concentration(np.ones(3), negative="clip")
