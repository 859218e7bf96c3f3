"""custseg.plot over time (CV8): the migration heatmap draws migration_matrix's
cells, the stacked segments add up to the customers (or revenue shares) of
each period start, the cohort triangle has one row per cohort and the
retention of cohorts(); every input family; errors name what is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import custseg as cs  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
import pyarrow as pa  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

FAMILIES = {"arrow": lambda t: t, "pandas": lambda t: t.to_pandas(), "polars": pl.from_arrow}


@pytest.fixture(scope="module")
def tx() -> pa.Table:
    return cs.datasets.synthetic(customers=3_000, years=3, seed=5)


@pytest.fixture(scope="module")
def hist(tx: pa.Table) -> pa.Table:
    return cs.customer_value_history(tx)  # 2023-07-01 .. 2026-01-01, semiannual


@pytest.fixture(scope="module")
def hists(tx: pa.Table) -> dict[str, Any]:
    """The history in each family, computed from the transactions of that family
    (pandas Categoricals, polars Enums: label order kept)."""
    return {family: cs.customer_value_history(to(tx)) for family, to in FAMILIES.items()}


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


def saved(ax: Any, tmp_path: Path) -> None:
    path = tmp_path / "plot.png"
    ax.figure.savefig(path, dpi=50)
    assert path.stat().st_size > 1_000


def texts(items: Any) -> list[str]:
    return [t.get_text() for t in items]


def pct(v: float) -> str:
    """The percent text of the heatmaps, written again here."""
    p = 100 * v
    return f"{p:.0f}%" if p == 0 or p >= 1 else (f"{p:.1f}%" if p >= 0.1 else "<0.1%")


def drawn(ax: Any) -> np.ndarray:
    return np.ma.filled(ax.get_images()[0].get_array().astype(float), np.nan)


def check_matrix(ax: Any, matrix: pa.Table, values: str) -> None:
    """The heatmap is the matrix: labels, cells (blank where 0), one text per
    non-zero cell with its value."""
    rows = matrix.column("from_segment").to_pylist()
    cols = matrix.column_names[1:]
    cells = np.column_stack([matrix.column(c).to_numpy().astype(float) for c in cols])
    assert texts(ax.get_yticklabels()) == rows and texts(ax.get_xticklabels()) == cols
    assert drawn(ax).shape == cells.shape == (len(rows), len(cols))
    np.testing.assert_allclose(drawn(ax), np.where(cells != 0, cells, np.nan))
    expected = [pct(v) if values == "share" else f"{int(v):,}" for v in cells[cells != 0]]
    assert texts(ax.texts) == expected


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("values", ["share", "customers"])
@pytest.mark.parametrize("by", ["cv_group", ("cv_group", "cv_segment")])
def test_migration_heatmap_of_a_history(
    hist: pa.Table, hists: Any, family: str, values: str, by: Any, tmp_path: Path
) -> None:
    ax = cs.plot.migration_heatmap(hists[family], by=by, values=values)
    saved(ax, tmp_path)
    matrix = cs.migration_matrix(hist, by=by, values=values)  # the last pair
    check_matrix(ax, matrix, values)
    assert ax.get_yticklabels()[0].get_text() == "(new)"
    assert "2025-07-01 → 2026-01-01" in ax.get_title()
    assert ax.get_ylabel() == "from: segment at 2025-07-01"
    if values == "share":  # every row adds up to 100%
        np.testing.assert_allclose(np.nansum(drawn(ax), axis=1), 1.0)


@pytest.mark.parametrize("family", FAMILIES)
def test_migration_heatmap_of_a_migration_table(
    hist: pa.Table, family: str, tmp_path: Path
) -> None:
    tidy = FAMILIES[family](cs.migration(hist))  # every pair
    pair = {"frm": "2024-07-01", "to": "2025-01-01"}
    for values in ("share", "customers"):
        ax = cs.plot.migration_heatmap(tidy, values=values, **pair)
        saved(ax, tmp_path)
        check_matrix(ax, cs.migration_matrix(hist, values=values, **pair), values)
        assert ax.get_xlabel() == "to: segment at 2025-01-01"
    last = cs.plot.migration_heatmap(tidy, values="customers")  # default: the last pair
    check_matrix(last, cs.migration_matrix(hist), "customers")


def test_migration_heatmap_of_a_matrix(hist: pa.Table) -> None:
    counts = cs.migration_matrix(hist, by="cv_group")
    ax = cs.plot.migration_heatmap(counts)  # shares from the counts: row / row total
    check_matrix(ax, cs.migration_matrix(hist, by="cv_group", values="share"), "share")
    assert ax.get_title() == "Migration (share of each from-segment)"
    ax = cs.plot.migration_heatmap(counts, values="customers", frm="2025-07-01", to="2026-01-01")
    check_matrix(ax, counts, "customers")
    assert "2025-07-01 → 2026-01-01" in ax.get_title()


def test_migration_heatmap_errors(hist: pa.Table, tx: pa.Table) -> None:
    with pytest.raises(cs.ConfigError, match="values must be"):
        cs.plot.migration_heatmap(hist, values="percent")
    with pytest.raises(cs.ColumnNotFoundError, match="from_segment, to_segment"):
        cs.plot.migration_heatmap(tx)
    with pytest.raises(cs.ColumnNotFoundError, match="'rfm_segment'"):
        cs.plot.migration_heatmap(hist, by="rfm_segment")
    tidy = cs.migration(hist, by="cv_group")
    with pytest.raises(cs.ConfigError, match="pass both frm and to"):
        cs.plot.migration_heatmap(tidy, frm="2024-07-01")
    with pytest.raises(cs.ConfigError, match="no migration 2024-07-01 → 2025-07-01"):
        cs.plot.migration_heatmap(tidy, frm="2024-07-01", to="2025-07-01")
    with pytest.raises(cs.ColumnNotFoundError, match="'share'"):
        cs.plot.migration_heatmap(tidy.drop_columns(["share"]))
    shares = cs.migration_matrix(hist, by="cv_group", values="share")
    with pytest.raises(cs.ConfigError, match="holds shares"):
        cs.plot.migration_heatmap(shares, values="customers")
    with pytest.raises(cs.ConfigError, match="fewer than two"):
        cs.plot.migration_heatmap(
            cs.customer_value_history(tx, start="2025-07-01", end="2025-07-01")
        )


def counts_per_period(hist: pa.Table, by: str) -> pd.DataFrame:
    """Customers per period start (rows) and label (columns, category order), here by pandas."""
    frame = hist.to_pandas()
    table = frame.groupby(["period_start", by], observed=True).size().unstack(fill_value=0)
    return table.loc[:, table.sum() > 0]


def stacked(ax: Any, periods: int) -> np.ndarray:
    """The bar heights as (layer, period), checking each bar sits on the ones below."""
    heights = np.array([p.get_height() for p in ax.patches]).reshape(-1, periods)
    bottoms = np.array([p.get_y() for p in ax.patches]).reshape(-1, periods)
    below = np.vstack([np.zeros(periods), np.cumsum(heights, axis=0)[:-1]])
    np.testing.assert_allclose(bottoms, below)  # all heights are >= 0 here
    return heights


@pytest.mark.parametrize("family", FAMILIES)
def test_segments_over_time_customers(
    hist: pa.Table, hists: Any, family: str, tmp_path: Path
) -> None:
    ax = cs.plot.segments_over_time(hists[family])
    saved(ax, tmp_path)
    expected = counts_per_period(hist, "cv_group")
    heights = stacked(ax, len(expected))
    np.testing.assert_array_equal(heights, expected.to_numpy().T)
    totals = hist.group_by("period_start").aggregate([("customer_id", "count")])
    np.testing.assert_array_equal(
        heights.sum(axis=0), totals.sort_by("period_start")["customer_id_count"].to_numpy()
    )
    assert texts(ax.get_legend().get_texts()) == list(expected.columns)[::-1]  # top layer first
    assert texts(ax.get_xticklabels()) == [
        "2023-07",
        "2024-01",
        "2024-07",
        "2025-01",
        "2025-07",
        "2026-01",
    ]
    assert ax.get_ylabel() == "customers"


def test_segments_over_time_shares_and_colors(hist: pa.Table, tx: pa.Table) -> None:
    ax = cs.plot.segments_over_time(hist, by=("cv_group", "cv_segment"), measure="customer_share")
    expected = counts_per_period(
        hist.append_column(
            "label",
            pa.array(
                [
                    f"{g} / {s}"
                    for g, s in zip(
                        hist["cv_group"].to_pylist(), hist["cv_segment"].to_pylist(), strict=True
                    )
                ]
            ),
        ),
        "label",
    )
    heights = stacked(ax, len(expected))
    np.testing.assert_allclose(heights.sum(axis=0), 100.0)
    shares = expected.to_numpy() / expected.to_numpy().sum(axis=1, keepdims=True)
    names = texts(ax.get_legend().get_texts())[::-1]
    order = [names.index(c) for c in expected.columns]
    np.testing.assert_allclose(heights[order], 100 * shares.T)
    assert ax.get_ylabel() == "% of customers"
    # the same label has the same color whatever the data: C<k> by the group's category
    later = cs.customer_value_history(tx, start="2025-01-01")
    for h in (hist, later):
        bars = cs.plot.segments_over_time(h)
        for handle, text in zip(
            bars.get_legend().legend_handles, bars.get_legend().get_texts(), strict=True
        ):
            k = cs.CV_GROUPS.index(text.get_text())
            assert handle.get_facecolor() == to_rgba(f"C{k}")


@pytest.mark.parametrize("family", ["arrow", "pandas"])
def test_segments_over_time_revenue(
    hist: pa.Table, hists: Any, tx: pa.Table, family: str, tmp_path: Path
) -> None:
    data = FAMILIES[family](tx)
    ax = cs.plot.segments_over_time(hists[family], data)  # revenue_share
    saved(ax, tmp_path)
    perf = cs.segment_performance(hist, tx, by="cv_group").to_pandas()
    perf = perf[perf.groupby("period_start")["revenue"].transform(lambda r: (r != 0).any())]
    wide = perf.pivot(index="period_start", columns="segment", values="revenue_share")
    assert len(wide) == 5  # 2026-01-01: no transaction after the data ends, left out
    names = texts(ax.get_legend().get_texts())[::-1]
    assert names[-1] == "(new)" and names[:-1] == [g for g in cs.CV_GROUPS if g in wide.columns]
    heights = stacked(ax, len(wide))
    np.testing.assert_allclose(heights, 100 * wide[names].fillna(0).to_numpy().T)
    np.testing.assert_allclose(heights.sum(axis=0), 100.0)
    assert "2026-01" not in texts(ax.get_xticklabels())
    money = cs.plot.segments_over_time(hist, tx, measure="revenue")
    np.testing.assert_allclose(
        stacked(money, len(wide)).sum(axis=0), perf.groupby("period_start")["revenue"].sum()
    )
    area = cs.plot.segments_over_time(hist, kind="area")
    assert len(area.collections) == len(counts_per_period(hist, "cv_group").columns)


def test_segments_over_time_errors(hist: pa.Table, tx: pa.Table) -> None:
    with pytest.raises(cs.ConfigError, match="measure must be"):
        cs.plot.segments_over_time(hist, measure="buyers")
    with pytest.raises(cs.ConfigError, match="needs the transactions"):
        cs.plot.segments_over_time(hist, measure="revenue_share")
    with pytest.raises(cs.ConfigError, match="kind must be"):
        cs.plot.segments_over_time(hist, kind="line")
    with pytest.raises(cs.ColumnNotFoundError, match="'clv_tier'"):
        cs.plot.segments_over_time(hist, by="clv_tier")
    with pytest.raises(cs.ColumnNotFoundError, match="period_start"):
        cs.plot.segments_over_time(tx)


@pytest.mark.parametrize("family", FAMILIES)
def test_cohort_triangle(tx: pa.Table, family: str, tmp_path: Path) -> None:
    c = cs.cohorts(tx)
    ax = cs.plot.cohort_triangle(FAMILIES[family](c))
    saved(ax, tmp_path)
    frame = c.to_pandas()
    cohorts = sorted(frame["cohort"].unique())
    grid = drawn(ax)
    assert grid.shape == (len(cohorts), frame["age"].max() + 1)
    assert len(ax.get_yticklabels()) == len(cohorts)  # one row per cohort, oldest on top
    sizes = frame.groupby("cohort")["customers"].first()
    assert texts(ax.get_yticklabels()) == [f"{d:%Y-%m} (n={n:,})" for d, n in sizes.items()]
    retention = frame.pivot(index="cohort", columns="age", values="retention").to_numpy()
    np.testing.assert_allclose(grid, retention)  # NaN below the diagonal
    assert np.isnan(grid[-1, 1:]).all() and (grid[:, 0] == 1).all()
    assert texts(ax.texts) == [pct(v) for v in frame["retention"]]  # cohort then age
    active = cs.plot.cohort_triangle(c, value="active")
    assert texts(active.texts) == [f"{v:,}" for v in frame["active"]]


def test_cohort_triangle_of_segments(tx: pa.Table, hist: pa.Table) -> None:
    c = cs.cohorts(tx, by="cv_group", history=hist)
    plain = cs.cohorts(tx).to_pandas()
    together = drawn(cs.plot.cohort_triangle(c))  # all segments: active / customers summed
    np.testing.assert_allclose(
        together, plain.pivot(index="cohort", columns="age", values="retention").to_numpy()
    )
    act = c.filter(pa.compute.equal(c["segment"], "2 ACT")).to_pandas()
    ax = cs.plot.cohort_triangle(c, segment="2 ACT", value="revenue_per_customer")
    expected = act.assign(v=act["revenue"] / act["customers"]).pivot(
        index="cohort", columns="age", values="v"
    )
    np.testing.assert_allclose(drawn(ax), expected.to_numpy())
    assert ax.get_title().endswith(", 2 ACT")


def test_cohort_triangle_errors(tx: pa.Table) -> None:
    c = cs.cohorts(tx)
    with pytest.raises(cs.ConfigError, match="value must be"):
        cs.plot.cohort_triangle(c, value="share")
    with pytest.raises(cs.ColumnNotFoundError, match="'active'"):
        cs.plot.cohort_triangle(c.drop_columns(["active"]))
    with pytest.raises(cs.ColumnNotFoundError, match="'revenue'"):
        cs.plot.cohort_triangle(c.drop_columns(["revenue"]), value="revenue")
    with pytest.raises(cs.ColumnNotFoundError, match="'segment'"):
        cs.plot.cohort_triangle(c, segment="2 ACT")
    seg = cs.cohorts(tx, by="cv_group", history=cs.customer_value_history(tx))
    with pytest.raises(cs.ConfigError, match="'1 NEW' is not in the table"):
        cs.plot.cohort_triangle(seg, segment="1 NEW")


@pytest.mark.parametrize("name", ["migration_heatmap", "segments_over_time", "cohort_triangle"])
def test_draws_on_the_given_ax(hist: pa.Table, tx: pa.Table, name: str, tmp_path: Path) -> None:
    fn = getattr(cs.plot, name)
    data = cs.cohorts(tx) if name == "cohort_triangle" else hist
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    assert fn(data, ax=right) is right
    assert not left.has_data() and right.has_data() and right.get_title()
    assert len(plt.get_fignums()) == 1
    saved(right, tmp_path)
    ax = fn(data, title="mine")
    assert ax.figure is not fig and min(ax.figure.get_size_inches()) >= 3.5
    assert ax.get_title() == "mine"
