"""cs.profile (rule A1): a hand-worked example, the plain reference under
hypothesis on every path of the core (bits per customer or pairs, cells per
task or one task; one batch or many, dictionaries per batch), the families,
errors naming column, row and rule, and the synthetic data's planted truth."""

from __future__ import annotations

import datetime as _dt
from contextlib import contextmanager
from functools import partial
from typing import Any
from unittest import mock

import custseg as cs
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import reference_analyses as ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

D = _dt.date
AS_OF = "2025-09-01"

# The hand-worked example: GOLD = {1, 2, 3}, BRONZE = {4, 5}; customer 9 is
# not segmented; the row on as_of is not profiled.
#   GOLD:   store 50 + 20 = 70 (customers 1, 3), web 100 + 30 = 130 (1, 2); 200
#   BRONZE: store 10 + 15 = 25 (4, 5), web -5 (5); 20
#   all:    store 95, web 125, total 220
#   index GOLD store = 100 x (70/200) / (95/220) = 81.05...
HAND_ROWS = [
    (1, D(2025, 1, 10), 100.0, "web"),
    (1, D(2025, 2, 10), 50.0, "store"),
    (2, D(2025, 3, 1), 30.0, "web"),
    (3, D(2025, 3, 5), 20.0, "store"),
    (3, D(2025, 9, 1), 999.0, "web"),
    (4, D(2025, 4, 1), 10.0, "store"),
    (5, D(2025, 5, 1), 15.0, "store"),
    (5, D(2025, 5, 2), -5.0, "web"),
    (9, D(2025, 1, 1), 70.0, "web"),
]


def hand_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    tx = pd.DataFrame(HAND_ROWS, columns=["customer_id", "date", "amount", "channel"])
    seg = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "cv_segment": pd.Categorical(
                ["GOLD", "GOLD", "GOLD", "BRONZE", "BRONZE"],
                categories=["GOLD", "BRONZE"],
                ordered=True,
            ),
        }
    )
    return seg, tx


def test_a1_hand_worked_example() -> None:
    seg, tx = hand_frames()
    p, rep = cs.profile(seg, tx, by="channel", as_of=AS_OF, return_report=True)
    assert isinstance(p, pd.DataFrame)
    assert list(p["cv_segment"].astype(str)) == ["GOLD", "GOLD", "BRONZE", "BRONZE"]
    assert list(p["channel"].astype(str)) == ["store", "web", "store", "web"]
    assert list(p["customers"]) == [2, 2, 2, 1]
    assert list(p["customer_share"]) == [2 / 3, 2 / 3, 1.0, 0.5]
    assert list(p["revenue"]) == [70.0, 130.0, 25.0, -5.0]
    assert list(p["revenue_share"]) == [0.35, 0.65, 1.25, -0.25]
    want = [100 * 0.35 / (95 / 220), 100 * 0.65 / (125 / 220)]
    want += [100 * 1.25 / (95 / 220), 100 * -0.25 / (125 / 220)]
    np.testing.assert_allclose(p["index"], want, rtol=1e-15)
    assert round(p["index"][0], 2) == 81.05
    assert (rep.rows_read, rep.rows_used, rep.rows_after_as_of) == (9, 7, 1)
    assert (rep.rows_without_segment, rep.customers_without_segment) == (1, 1)
    assert rep.revenue_without_segment == 70.0
    assert (rep.segment_customers, rep.segment_customers_without_rows) == (5, 0)


def test_a1_without_as_of_every_row_counts() -> None:
    seg, tx = hand_frames()
    p = cs.profile(seg, tx, by="channel")
    assert p["revenue"].tolist() == [70.0, 1129.0, 25.0, -5.0]


# --------------------------------------------------------------------------- paths
CORE_PROFILE = cs._core.profile
PATHS = {
    "bits, tasks": {},
    "pairs, tasks": {"bits_limit": 0},
    "bits, one task": {"cells_limit": 0},
    "pairs, one task": {"bits_limit": 0, "cells_limit": 0},
    "a few bits": {"bits_limit": 2},
    "hashed ids": {"dense_ids": False},
    "hashed ids, pairs, one task": {"dense_ids": False, "bits_limit": 0, "cells_limit": 0},
}


@contextmanager
def core_path(limits: dict[str, int]) -> Any:
    """cs.profile through the core with the given path limits."""
    with mock.patch.object(cs._core, "profile", partial(CORE_PROFILE, **limits)):
        yield


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    style = draw(st.sampled_from(["str", "dense ints", "sparse ints"]))
    pool = list(range(12))
    make = {
        "str": lambda i: f"c{i:03d}",
        "dense ints": lambda i: i * 7 - 20,
        "sparse ints": lambda i: (i - 6) * 10**17 + i,  # too spread for the id table
    }[style]
    ids = [make(i) for i in pool]
    segmented = draw(st.lists(st.sampled_from(pool), unique=True, max_size=10))
    labels = draw(
        st.lists(st.sampled_from(["A", "B", "C"]), min_size=len(segmented), max_size=len(segmented))
    )
    two = draw(st.booleans())
    values = st.sampled_from(["x", "y", "z", None])
    ints = st.sampled_from([3, -1, 10, None])
    row = st.tuples(
        st.sampled_from(pool),
        st.integers(0, 60),
        st.integers(-3000, 20000),
        values,
        ints,
    )
    rows = draw(st.lists(row, max_size=60))
    return {
        "ids": ids,
        "segments": {ids[c]: lab for c, lab in zip(segmented, labels, strict=True)},
        "rows": [
            (ids[c], D(2025, 1, 1) + _dt.timedelta(days=d), a, x, y) for c, d, a, x, y in rows
        ],
        "by": ["channel", "store"] if two else ["channel"],
        "as_of": draw(
            st.one_of(
                st.none(), st.integers(0, 61).map(lambda d: D(2025, 1, 1) + _dt.timedelta(days=d))
            )
        ),
        "batches": draw(st.integers(1, 4)),
        "dictionary": draw(st.booleans()),
    }


def data_of(case: dict[str, Any]) -> pa.RecordBatchReader:
    """The rows as a stream of batches (per-batch dictionaries for channel)."""
    rows = case["rows"]
    table = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] / 100 for r in rows], pa.float64()),
            "channel": pa.array([r[3] for r in rows], pa.string()),
            "store": pa.array([r[4] for r in rows], pa.int64()),
        },
        schema=pa.schema(
            [
                ("customer_id", pa.string() if isinstance(case["ids"][0], str) else pa.int64()),
                ("date", pa.date32()),
                ("amount", pa.float64()),
                ("channel", pa.string()),
                ("store", pa.int64()),
            ]
        ),
    )
    size = max(1, -(-len(rows) // case["batches"]))
    batches = table.to_batches(max_chunksize=size)
    if case["dictionary"]:
        schema = table.schema.set(3, pa.field("channel", pa.dictionary(pa.int32(), pa.string())))
        batches = [
            pa.record_batch(
                [
                    b.column(0),
                    b.column(1),
                    b.column(2),
                    b.column(3).dictionary_encode(),
                    b.column(4),
                ],
                schema=schema,
            )
            for b in batches
        ]
        return pa.RecordBatchReader.from_batches(schema, batches)
    return pa.RecordBatchReader.from_batches(table.schema, batches)


def dictionary_order(case: dict[str, Any]) -> list[Any]:
    """The channel values in order of first appearance in the batches'
    dictionaries (the order of a categorical by column, A1)."""
    order: list[Any] = []
    for batch in data_of(case):
        for v in batch.column(3).dictionary.to_pylist():
            if v not in order:
                order.append(v)
    return order


def reference(case: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    # amounts in cents -> millionths exactly
    rows = [
        (c, d, a * 10_000, (x, y) if len(case["by"]) == 2 else (x,))
        for c, d, a, x, y in case["rows"]
    ]
    orders = [dictionary_order(case) if case["dictionary"] else None, None]
    return ref.profile(rows, case["segments"], ["A", "B", "C"], orders, case["as_of"])


def segments_frame(case: dict[str, Any]) -> pa.Table:
    ids = list(case["segments"])
    labels = [case["segments"][c] for c in ids]
    return pa.table(
        {
            "customer_id": pa.array(
                ids, pa.string() if isinstance(case["ids"][0], str) else pa.int64()
            ),
            "cv_segment": pa.DictionaryArray.from_arrays(
                pa.array([["A", "B", "C"].index(v) for v in labels], pa.int8()),
                pa.array(["A", "B", "C"]),
                ordered=True,
            ),
        }
    )


def rows_of(p: pa.Table, by: list[str]) -> list[dict[str, Any]]:
    out = []
    for r in p.to_pylist():
        out.append(
            {
                "segment": r["cv_segment"],
                "values": tuple(r[b] for b in by),
                **{
                    k: r[k]
                    for k in ("customers", "customer_share", "revenue", "revenue_share", "index")
                },
            }
        )
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_a1_every_path_matches_the_reference(case: dict[str, Any]) -> None:
    want, counts = reference(case)
    seg = segments_frame(case)
    for name, limits in PATHS.items():
        with core_path(limits):
            p, rep = cs.profile(
                seg, data_of(case), by=case["by"], as_of=case["as_of"], return_report=True
            )
        assert rows_of(p, case["by"]) == want, name
        for k, v in counts.items():
            assert getattr(rep, k) == v, (name, k)
        assert rep.rows_read == len(case["rows"])
        assert rep.segment_customers == len(case["segments"])


# --------------------------------------------------------------------------- families
@pytest.mark.parametrize("family", ["pandas", "polars", "arrow"])
def test_a1_output_in_the_family_of_the_data(family: str) -> None:
    tx = cs.datasets.synthetic(customers=800, years=3, seed=4, extra_columns=True, output=family)
    cv = cs.customer_value(tx, as_of="2026-01-01")
    p = cs.profile(cv, tx, by="category", as_of="2026-01-01")
    if family == "pandas":
        assert isinstance(p, pd.DataFrame)
        assert isinstance(p["cv_segment"].dtype, pd.CategoricalDtype)
        categories = list(p["category"].cat.categories)
    elif family == "polars":
        assert isinstance(p, pl.DataFrame)
        categories = p["category"].unique(maintain_order=True).to_list()
    else:
        assert isinstance(p, pa.Table)
        categories = p["category"].combine_chunks().dictionary.to_pylist()
    # the synthetic category is an ordered categorical: its order is kept
    want = cs.datasets.synthetic(customers=10, years=1, seed=4, extra_columns=True)["category"]
    assert categories == want.combine_chunks().dictionary.to_pylist()


def test_a1_segment_pairs_tell_cold_l_from_lost_l() -> None:
    tx = cs.datasets.synthetic(customers=3_000, years=4, seed=8, extra_columns=True)
    cv = cs.customer_value(tx, as_of="2026-01-01")
    p = cs.profile(cv, tx, by="channel", segment=("cv_group", "cv_segment"), as_of="2026-01-01")
    pairs = set(zip(p["cv_group"].to_pylist(), p["cv_segment"].to_pylist(), strict=True))
    assert ("3 COLD", "L") in pairs and ("4 LOST", "L") in pairs
    # per pair, the customers over the channels are at least the pair's size share
    df = p.to_pandas()
    sizes = cv.to_pandas().groupby(["cv_group", "cv_segment"], observed=True).size()
    for (g, s), part in df.groupby(["cv_group", "cv_segment"], observed=True):
        assert part["customers"].max() <= sizes[(g, s)]
        assert part["revenue_share"].sum() == pytest.approx(1.0)


def test_a1_large_input_in_windows_matches_pandas() -> None:
    """More rows than one window of the core (2^20): every path against a
    pandas group-by of the same join."""
    tx = cs.datasets.synthetic(customers=150_000, years=3, seed=2, extra_columns=True)
    assert tx.num_rows > 1 << 20
    cv = cs.customer_value(tx, as_of="2026-01-01")
    df = tx.to_pandas().merge(
        cv.select(["customer_id", "cv_segment"]).to_pandas(), on="customer_id"
    )
    g = df.groupby(["cv_segment", "channel"], observed=True)
    want = g.agg(customers=("customer_id", "nunique"), revenue=("amount", "sum"))
    for name, limits in PATHS.items():
        with core_path(limits):
            p = cs.profile(cv, tx, by="channel").to_pandas()
        got = p.set_index(["cv_segment", "channel"])
        got = got[got["customers"] > 0]
        assert got["customers"].to_dict() == want["customers"].to_dict(), name
        np.testing.assert_allclose(
            got["revenue"].to_numpy(), want["revenue"].reindex(got.index).to_numpy(), rtol=1e-9
        )


def test_a1_the_planted_truth_is_found() -> None:
    """The synthetic mix follows value: PLATINA over-indexes on premium and
    online, BRONZE on basics and the store (datasets.synthetic, extra_columns)."""
    tx = cs.datasets.synthetic(customers=20_000, years=3, seed=1, extra_columns=True)
    cv = cs.customer_value(tx, as_of="2026-01-01")
    cat = cs.profile(cv, tx, by="category", as_of="2026-01-01").to_pandas()
    index = cat.set_index(["cv_segment", "category"])["index"]
    assert index[("PLATINA", "premium")] > 100 > index[("BRONZE", "premium")]
    ch = cs.profile(cv, tx, by="channel", as_of="2026-01-01").to_pandas()
    index = ch.set_index(["cv_segment", "channel"])["index"]
    assert index[("BRONZE", "store")] > 100 > index[("PLATINA", "store")]


# --------------------------------------------------------------------------- errors
def test_a1_errors_name_column_row_and_rule() -> None:
    seg, tx = hand_frames()
    with pytest.raises(cs.ConfigError, match=r"customer 1 twice \(rows 0 and 5\).*A1"):
        cs.profile(pd.concat([seg, seg.head(1)]), tx, by="channel")
    with pytest.raises(cs.ConfigError, match="'customer_id'.*integers.*A1"):
        cs.profile(seg, tx.astype({"customer_id": str}), by="channel")
    with pytest.raises(cs.ColumnNotFoundError, match="'channels' \\(by\\).*'channel'"):
        cs.profile(seg, tx, by="channels")
    with pytest.raises(cs.UnsupportedTypeError, match="'amount' \\(by\\)"):
        cs.profile(seg, tx, by="amount")
    with pytest.raises(cs.ColumnNotFoundError, match="'rfm_segment' \\(segment\\)"):
        cs.profile(seg, tx, by="channel", segment="rfm_segment")
    with pytest.raises(cs.ConfigError, match="clash"):
        cs.profile(seg, tx.rename(columns={"channel": "index"}), by="index")
    bad = tx.copy()
    bad.loc[3, "date"] = None
    with pytest.raises(cs.NullValueError, match="'date'.*row 3.*I4"):
        cs.profile(seg, bad, by="channel")
    p, rep = cs.profile(seg, bad, by="channel", on_invalid="drop", return_report=True)
    assert rep.rows_dropped == {"null_date": 1}
    assert p["revenue"].sum() == 1129.0 + 95.0 - 20.0 - 5.0 + 5.0 - 5.0 + 20.0 - 20.0
    nulls = seg.copy()
    nulls["cv_segment"] = nulls["cv_segment"].cat.add_categories(["X"]).where(seg.index != 2)
    with pytest.raises(cs.ConfigError, match="missing labels"):
        cs.profile(nulls, tx, by="channel")


def test_a1_text_dates_and_amounts_as_the_segmentations_read_them() -> None:
    seg, tx = hand_frames()
    text = tx.assign(date=tx["date"].astype(str), amount=tx["amount"].map(lambda a: f"{a:.2f}"))
    got = cs.profile(seg, text, by="channel", as_of=AS_OF)
    want = cs.profile(seg, tx, by="channel", as_of=AS_OF)
    pd.testing.assert_frame_equal(got, want)
