"""custseg.plot: every plot renders to PNG, draws what the rules say (labels in
rule order: CV7, R3, CLV2, CLV3; shares in percent; medians; the Gini
coefficient) in each input family, draws on a given Axes, and matplotlib is
not imported by ``import custseg``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
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
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

AS_OF = "2026-01-01"
TENURE_QUADRANTS = [
    "high value / long tenure",
    "high value / short tenure",
    "low value / long tenure",
    "low value / short tenure",
]


@pytest.fixture(scope="module")
def tx() -> pa.Table:
    return cs.datasets.synthetic(customers=3_000, years=3, seed=5)


@pytest.fixture(scope="module")
def results(tx: pa.Table) -> dict[str, dict[str, Any]]:
    """cv, rfm and clv results as Arrow (Arrow input) and pandas (pandas input)."""
    out: dict[str, dict[str, Any]] = {}
    for family, data in (("arrow", tx), ("pandas", tx.to_pandas())):
        out[family] = {
            "cv": cs.customer_value(data, as_of=AS_OF),
            "rfm": cs.rfm(data, as_of=AS_OF),
            "clv": cs.clv(data, as_of=AS_OF, lifetime_years=3),
        }
    return out


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


def saved(ax: Any, tmp_path: Path) -> None:
    """Render the figure of ``ax`` to PNG: a non-empty file."""
    path = tmp_path / "plot.png"
    ax.figure.savefig(path, dpi=60)
    assert path.stat().st_size > 1_000


def present(table: pa.Table, column: str) -> tuple[list[str], np.ndarray]:
    """The categories of a label column with customers, in category order, and
    their counts (computed here without custseg.plot)."""
    col = table[column].combine_chunks()
    counts = np.bincount(col.indices.to_numpy(), minlength=len(col.dictionary))
    keep = np.flatnonzero(counts)
    return [col.dictionary[i].as_py() for i in keep], counts[keep]


def texts(items: Any) -> list[str]:
    return [t.get_text() for t in items]


def dashed(ax: Any) -> list[Any]:
    return [line for line in ax.lines if line.get_linestyle() == "--"]


def test_import_custseg_does_not_import_matplotlib() -> None:
    code = (
        "import sys, custseg; before = 'matplotlib' in sys.modules; p = custseg.plot; "
        "print(before, 'matplotlib' in sys.modules, p.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "custseg.plot"]
    assert not hasattr(cs, "no_such_thing")


@pytest.mark.parametrize("family", ["arrow", "pandas"])
@pytest.mark.parametrize(("kind", "label"), [("cv", "cv_segment"), ("rfm", "rfm_segment")])
def test_segments(results: Any, family: str, kind: str, label: str, tmp_path: Path) -> None:
    result = results[family][kind]
    ax = cs.plot.segments(result)
    saved(ax, tmp_path)
    names, counts = present(results["arrow"][kind], label)
    assert texts(ax.get_yticklabels()) == names  # rule order, top to bottom (CV7, R3)
    assert ax.yaxis_inverted()
    assert len(ax.patches) == 2 * len(names)
    widths = np.array([p.get_width() for p in ax.patches])
    np.testing.assert_allclose(widths[: len(names)], 100 * counts / counts.sum())
    money = results["arrow"][kind]["monetary"].to_numpy()
    codes = results["arrow"][kind][label].combine_chunks().indices.to_numpy()
    first = results["arrow"][kind][label].combine_chunks().dictionary.index(names[0]).as_py()
    assert widths[len(names)] == pytest.approx(100 * money[codes == first].sum() / money.sum())
    assert widths[len(names) :].sum() == pytest.approx(100)
    assert ax.get_xlabel() == "% of customers / % of value"
    assert texts(ax.get_legend().get_texts()) == ["% of customers", "% of monetary"]
    assert label in ax.get_title()


def test_segments_default_columns(tx: pa.Table, results: Any, tmp_path: Path) -> None:
    s = cs.segment(pl.from_arrow(tx), as_of=AS_OF, lifetime_years=3)  # polars
    ax = cs.plot.segments(s, by="rfm_segment")
    saved(ax, tmp_path)
    names, _ = present(s.to_arrow(), "rfm_segment")
    assert texts(ax.get_yticklabels()) == names
    assert texts(ax.get_legend().get_texts())[1] == "% of rfm_monetary"  # RFM's sum (R1)
    assert "cv_segment" in cs.plot.segments(s).get_title()  # the first label column
    ax = cs.plot.segments(results["arrow"]["clv"])  # no monetary: clv_tier by clv
    assert texts(ax.get_yticklabels()) == ["high", "medium", "low"]
    assert texts(ax.get_legend().get_texts())[1] == "% of clv"
    with pytest.raises(cs.ColumnNotFoundError, match="pass by="):
        cs.plot.segments(tx)
    with pytest.raises(cs.ColumnNotFoundError, match="'revenue'"):
        cs.plot.segments(results["arrow"]["cv"], value="revenue")


@pytest.mark.parametrize("family", ["arrow", "pandas"])
def test_rfm_heatmap(results: Any, family: str, tmp_path: Path) -> None:
    ax = cs.plot.rfm_heatmap(results[family]["rfm"])
    saved(ax, tmp_path)
    r = results["arrow"]["rfm"]
    rs, fs, money = (r[c].to_numpy() for c in ("r_score", "f_score", "monetary"))
    count = np.zeros((5, 5), int)
    mean = np.full((5, 5), np.nan)
    for i, score_r in enumerate(range(5, 0, -1)):  # R = 5 on top
        for j, score_f in enumerate(range(1, 6)):
            cell = (rs == score_r) & (fs == score_f)
            count[i, j] = cell.sum()
            if cell.any():
                mean[i, j] = money[cell].mean()
    drawn = np.ma.filled(ax.get_images()[0].get_array().astype(float), np.nan)
    assert drawn.shape == (5, 5)
    assert (count == 0).any()  # this data leaves F = 1 and 2 empty: blank cells
    np.testing.assert_array_equal(np.isnan(drawn), count == 0)
    np.testing.assert_allclose(drawn[count > 0], mean[count > 0])
    assert len(ax.texts) == (count > 0).sum()
    assert f"{count[0, 4]:,}" in texts(ax.texts)  # R 5, F 5: the Champions' cell
    assert texts(ax.get_yticklabels()) == ["5", "4", "3", "2", "1"]
    assert texts(ax.get_xticklabels()) == ["1", "2", "3", "4", "5"]
    assert ax.figure.axes[-1].get_ylabel() == "mean monetary"  # the colorbar


def test_rfm_heatmap_bins(tx: pa.Table, tmp_path: Path) -> None:
    """B is the highest score present: 3 bins give a 3 x 3 grid; a segment()
    result colors by rfm_monetary (the RFM sum, R1)."""
    ax = cs.plot.rfm_heatmap(cs.rfm(tx, as_of=AS_OF, bins=3, segments=[]))
    saved(ax, tmp_path)
    assert ax.get_images()[0].get_array().shape == (3, 3)
    assert texts(ax.get_yticklabels()) == ["3", "2", "1"]
    s = cs.segment(tx, as_of=AS_OF, what=("cv", "rfm"))
    drawn = np.ma.filled(cs.plot.rfm_heatmap(s).get_images()[0].get_array(), np.nan)
    top = (s["r_score"].to_numpy() == 5) & (s["f_score"].to_numpy() == 5)
    assert drawn[0, 4] == pytest.approx(s["rfm_monetary"].to_numpy()[top].mean())


@pytest.mark.parametrize("family", ["arrow", "pandas", "polars"])
def test_value_loyalty(tx: pa.Table, results: Any, family: str, tmp_path: Path) -> None:
    v = results["arrow"]["clv"]
    if family == "polars":  # a polars result: Enum labels
        data = cs.clv(pl.from_arrow(tx), as_of=AS_OF, lifetime_years=3)
    else:
        data = results[family]["clv"]
    ax = cs.plot.value_loyalty(data)
    saved(ax, tmp_path)
    names, counts = present(v, "value_loyalty")
    assert names == list(cs.CLV_QUADRANTS)  # CLV3 order
    assert texts(ax.get_legend().get_texts()) == names
    assert [len(c.get_offsets()) for c in ax.collections] == list(counts)
    hline, vline = dashed(ax)
    assert hline.get_ydata()[0] == pytest.approx(np.median(v["clv"].to_numpy()))
    assert vline.get_xdata()[0] == pytest.approx(np.median(v["loyalty"].to_numpy()))
    assert ax.get_yscale() == "symlog"  # clv spans 1.1 .. 25,622: more than two decades
    assert ax.get_xlabel().startswith("loyalty") and "CLV3" in ax.get_title()


def test_scatter_subsample_and_linear_scale(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 25_000
    clv, loyalty = rng.uniform(10, 500, n), rng.uniform(0, 1, n)
    quadrant = 2 * (clv < np.median(clv)) + (loyalty < np.median(loyalty))
    labels = pd.Categorical.from_codes(quadrant, list(cs.CLV_QUADRANTS), ordered=True)
    frame = pd.DataFrame({"clv": clv, "loyalty": loyalty, "value_loyalty": labels})
    ax = cs.plot.value_loyalty(frame)
    saved(ax, tmp_path)
    assert sum(len(c.get_offsets()) for c in ax.collections) == 20_000
    again = cs.plot.value_loyalty(frame)
    for a, b in zip(ax.collections, again.collections, strict=True):
        np.testing.assert_array_equal(a.get_offsets(), b.get_offsets())  # default_rng(0)
    assert ax.get_yscale() == "linear"  # 10 .. 500: under two decades


@pytest.mark.parametrize("family", ["arrow", "pandas"])
def test_clv_tiers(results: Any, family: str, tmp_path: Path) -> None:
    ax = cs.plot.clv_tiers(results[family]["clv"])
    saved(ax, tmp_path)
    v = results["arrow"]["clv"]
    names, counts = present(v, "clv_tier")
    assert texts(ax.get_xticklabels()) == names == ["high", "medium", "low"]  # CLV2
    assert len(ax.patches) == 6
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights[:3], 100 * counts / counts.sum())
    clv = v["clv"].to_numpy()
    high = v["clv_tier"].combine_chunks().indices.to_numpy() == 0
    assert heights[3] == pytest.approx(100 * clv[high].sum() / clv.sum())
    assert len(ax.texts) == 6
    assert texts(ax.texts)[3] == f"{heights[3]:.0f}%"
    assert ax.get_ylabel() == "% of customers / % of total CLV"


@dataclass
class Concentration:
    curve_x: np.ndarray
    curve_y: np.ndarray
    gini: float
    table: Any


def concentration_of(values: np.ndarray) -> Concentration:
    """The concentration curve of ``values``, largest first, computed here."""
    v = np.sort(values)[::-1]
    x = np.arange(len(v) + 1) / len(v)
    y = np.concatenate([[0.0], np.cumsum(v) / v.sum()])
    gini = float(2 * np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)) - 1)
    tops = [0.01, 0.05, 0.1, 0.2, 0.5]
    shares = [float(np.interp(t, x, y)) for t in tops]
    customers = [round(t * len(v)) for t in tops]
    table = pd.DataFrame({"top_share": tops, "customers": customers, "value_share": shares})
    return Concentration(x, y, gini, table)


def test_concentration(results: Any, tmp_path: Path) -> None:
    c = concentration_of(results["arrow"]["cv"]["monetary"].to_numpy())
    ax = cs.plot.concentration(c)
    saved(ax, tmp_path)
    assert f"Gini {c.gini:.2f}" in ax.get_title()
    y20 = 100 * np.interp(0.2, c.curve_x, c.curve_y)
    (point,) = [line for line in ax.lines if line.get_marker() == "o"]
    assert point.get_xdata()[0] == 20 and point.get_ydata()[0] == pytest.approx(y20)
    assert texts(ax.texts) == [f"top 20% bring {y20:.0f}% of revenue"]
    (diagonal,) = dashed(ax)
    assert list(diagonal.get_xdata()) == list(diagonal.get_ydata()) == [0, 100]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 100 * c.curve_y)
    assert ax.get_xlim() == ax.get_ylim() == (0, 100)
    assert ax.get_ylabel() == "% of revenue"
    other = cs.plot.concentration(c, value="clv")
    assert other.get_ylabel() == "% of clv" and "of clv" in other.texts[0].get_text()


@pytest.mark.skipif(not hasattr(cs, "concentration"), reason="custseg.concentration not yet")
@pytest.mark.parametrize("family", ["arrow", "pandas"])
def test_concentration_of_a_result(results: Any, family: str, tmp_path: Path) -> None:
    cv = results[family]["cv"]
    ax = cs.plot.concentration(cv)
    saved(ax, tmp_path)
    c = cs.concentration(cv, value="monetary")
    assert f"Gini {c.gini:.2f}" in ax.get_title()
    y20 = 100 * np.interp(0.2, c.curve_x, c.curve_y)
    assert texts(ax.texts) == [f"top 20% bring {y20:.0f}% of revenue"]


def profile_frame() -> pd.DataFrame:
    """A custseg.profile table by hand: rows out of order, GOLD x premium has
    no row, BRONZE x basics has no customer."""
    rows = [
        ("BRONZE", "basics", 0, 0.0, 0.0, 0.0),
        ("BRONZE", "premium", 40, 800.0, 0.2, 150.0),
        ("PLATINA", "basics", 10, 500.0, 0.1, 60.0),
        ("PLATINA", "premium", 20, 2500.0, 0.5, 180.0),
        ("GOLD", "basics", 30, 1200.0, 0.2, 104.4),
    ]
    columns = ["cv_segment", "category", "customers", "revenue", "revenue_share", "index"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["cv_segment"] = pd.Categorical(frame["cv_segment"], cs.CV_SEGMENTS, ordered=True)
    frame["category"] = pd.Categorical(frame["category"], ["basics", "premium"], ordered=True)
    return frame


@pytest.mark.parametrize("family", ["pandas", "arrow"])
def test_profile(family: str, tmp_path: Path) -> None:
    frame = profile_frame()
    ax = cs.plot.profile(frame if family == "pandas" else pa.Table.from_pandas(frame))
    saved(ax, tmp_path)
    assert texts(ax.get_yticklabels()) == ["PLATINA", "GOLD", "BRONZE"]  # CV7 order
    assert texts(ax.get_xticklabels()) == ["basics", "premium"]
    image = ax.get_images()[0]
    drawn = np.ma.filled(image.get_array().astype(float), np.nan)
    expected = [[60.0, 180.0], [104.4, np.nan], [np.nan, 150.0]]
    np.testing.assert_array_equal(drawn, expected)
    assert isinstance(image.norm, TwoSlopeNorm) and image.norm.vcenter == 100
    assert sorted(texts(ax.texts)) == sorted(["60", "180", "104", "150"])
    assert ax.figure.axes[-1].get_ylabel() == "index (100 = average)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("category", "cv_segment")


def test_profile_columns_given(tmp_path: Path) -> None:
    columns = ["category", "cv_segment", "customers", "revenue", "revenue_share", "index"]
    frame = profile_frame()[columns]
    ax = cs.plot.profile(frame, segment="cv_segment", by="category")
    saved(ax, tmp_path)
    assert texts(ax.get_yticklabels()) == ["PLATINA", "GOLD", "BRONZE"]
    assert cs.plot.profile(frame).get_images()[0].get_array().shape == (2, 3)  # transposed
    doubled = pd.concat([profile_frame()] * 2)
    with pytest.raises(ValueError, match="several rows"):
        cs.plot.profile(doubled)


@pytest.mark.skipif(not hasattr(cs, "profile"), reason="custseg.profile not yet")
def test_profile_of_custseg(tmp_path: Path) -> None:
    tx = cs.datasets.synthetic(customers=3_000, years=3, seed=5, extra_columns=True)
    cv = cs.customer_value(tx, as_of=AS_OF)
    table = cs.profile(cv, tx, by="category", as_of=AS_OF)
    ax = cs.plot.profile(table)
    saved(ax, tmp_path)
    names, _ = present(cv, "cv_segment")
    assert texts(ax.get_yticklabels()) == names
    assert texts(ax.get_xticklabels()) == tx["category"].combine_chunks().dictionary.to_pylist()
    assert len(ax.texts) == np.isfinite(np.ma.filled(ax.get_images()[0].get_array(), np.nan)).sum()


def with_tenure_quadrant(v: pa.Table) -> pd.DataFrame:
    """The clv result with tenure_quadrant computed here (thresholds at the medians)."""
    frame = v.to_pandas()
    low_value = frame["clv"] < frame["clv"].median()
    short = frame["tenure_years"] < frame["tenure_years"].median()
    codes = 2 * low_value.to_numpy().astype(int) + short.to_numpy().astype(int)
    frame["tenure_quadrant"] = pd.Categorical.from_codes(codes, TENURE_QUADRANTS, ordered=True)
    return frame


def check_clv_tenure(ax: Any, frame: pd.DataFrame) -> None:
    counts = frame["tenure_quadrant"].value_counts(sort=False)
    names = [n for n in TENURE_QUADRANTS if counts[n] > 0]
    assert texts(ax.get_legend().get_texts()) == names
    assert [len(c.get_offsets()) for c in ax.collections] == [counts[n] for n in names]
    hline, vline = dashed(ax)
    assert hline.get_ydata()[0] == pytest.approx(frame["clv"].median())
    assert vline.get_xdata()[0] == pytest.approx(frame["tenure_years"].median())
    assert ax.get_xlabel().startswith("tenure (years")


def test_clv_tenure(results: Any, tmp_path: Path) -> None:
    frame = with_tenure_quadrant(results["arrow"]["clv"])
    ax = cs.plot.clv_tenure(frame)
    saved(ax, tmp_path)
    check_clv_tenure(ax, frame)


def test_clv_tenure_of_custseg(results: Any, tmp_path: Path) -> None:
    v = results["pandas"]["clv"]
    if "tenure_quadrant" not in v.columns:
        pytest.skip("clv() has no tenure_quadrant yet")
    ax = cs.plot.clv_tenure(v)
    saved(ax, tmp_path)
    assert list(v["tenure_quadrant"].cat.categories) == TENURE_QUADRANTS
    check_clv_tenure(ax, v)


PLOTS: dict[str, Callable[[Any], tuple[Callable[..., Any], Any]]] = {
    "segments": lambda r: (cs.plot.segments, r["arrow"]["cv"]),
    "rfm_heatmap": lambda r: (cs.plot.rfm_heatmap, r["arrow"]["rfm"]),
    "value_loyalty": lambda r: (cs.plot.value_loyalty, r["arrow"]["clv"]),
    "clv_tiers": lambda r: (cs.plot.clv_tiers, r["arrow"]["clv"]),
    "concentration": lambda r: (cs.plot.concentration, concentration_of(np.arange(1.0, 50))),
    "profile": lambda r: (cs.plot.profile, profile_frame()),
    "clv_tenure": lambda r: (cs.plot.clv_tenure, with_tenure_quadrant(r["arrow"]["clv"])),
}


@pytest.mark.parametrize("name", PLOTS)
def test_draws_on_the_given_ax(results: Any, name: str, tmp_path: Path) -> None:
    fn, data = PLOTS[name](results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    assert fn(data, ax=right) is right
    assert not left.has_data() and right.has_data()
    assert right.get_title()
    assert len(plt.get_fignums()) == 1  # no new figure
    saved(right, tmp_path)
    ax = fn(data)  # ax=None: a new figure of a readable size
    assert ax.figure is not fig and min(ax.figure.get_size_inches()) >= 4


def test_quadrant_lines_at_the_thresholds_given() -> None:
    tx = cs.datasets.synthetic(customers=2_000, years=3, seed=4)
    v = cs.clv(tx, as_of=AS_OF, lifetime_years=3, loyalty_threshold=0.5, tenure_threshold=1.0)
    ax = cs.plot.value_loyalty(v, value_threshold=100.0, loyalty_threshold=0.5)
    hline, vline = dashed(ax)
    assert (hline.get_ydata()[0], vline.get_xdata()[0]) == (100.0, 0.5)
    assert ax.get_title().endswith("dashed lines: thresholds")
    ax = cs.plot.clv_tenure(v, tenure_threshold=1.0)
    hline, vline = dashed(ax)
    assert vline.get_xdata()[0] == 1.0
    assert hline.get_ydata()[0] == pytest.approx(np.median(v["clv"].to_numpy()))
    plt.close("all")


def test_concentration_names_its_axes_after_the_measured_column() -> None:
    tx = cs.datasets.synthetic(customers=2_000, years=3, seed=4)
    c = cs.concentration(cs.clv(tx, as_of=AS_OF, lifetime_years=3), value="clv")
    ax = cs.plot.concentration(c)
    assert ax.get_ylabel() == "% of clv"
    assert cs.plot.concentration(c, value="predicted value").get_ylabel() == "% of predicted value"
    plt.close("all")
