"""cs.playbook (rule A3): every label the segmentations give has an entry,
the seeds' words where the seeds give them, both languages, a join that keeps
the label categories, and clear errors."""

from __future__ import annotations

import custseg as cs
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

# CV4: the segments each group holds.
CV_PAIRS = [
    ("0 SOL", "ACT"), ("0 SOL", "COLD"), ("0 SOL", "LOST"),
    ("1 NEW", "NEW"),
    ("2 ACT", "PLATINA"), ("2 ACT", "GOLD"), ("2 ACT", "SILVER"), ("2 ACT", "BRONZE"),
    ("2 ACT", "JUNIOR"),
    ("3 COLD", "L"), ("3 COLD", "M"), ("3 COLD", "S"), ("3 COLD", "XS"), ("3 COLD", "JUNIOR"),
    ("4 LOST", "L"), ("4 LOST", "M"), ("4 LOST", "S"), ("4 LOST", "XS"),
    ("5 LOST", "LOST"),
]  # fmt: skip


def test_a3_every_label_of_the_rules_has_an_entry() -> None:
    cv = cs.playbook("cv", output="pandas")
    assert list(zip(cv["cv_group"].astype(str), cv["cv_segment"].astype(str), strict=True)) == (
        CV_PAIRS
    )
    rfm = cs.playbook("rfm", output="pandas")
    assert list(rfm["rfm_segment"]) == [r[0] for r in cs.RFM_RULES] + ["Others"]
    for kind, labels in [
        ("value_loyalty", cs.CLV_QUADRANTS),
        ("clv_tier", cs.CLV_TIERS),
        ("tenure_quadrant", cs.CLV_TENURE_QUADRANTS),
    ]:
        assert list(cs.playbook(kind, output="pandas")[kind].astype(str)) == list(labels)


def test_a3_joins_onto_real_results_without_a_gap() -> None:
    tx = cs.datasets.synthetic(customers=20_000, years=4, seed=6, output="pandas")
    s = cs.segment(tx, as_of="2026-01-01", sales_only=True)
    for kind, keys in [
        ("cv", ["cv_group", "cv_segment"]),
        ("rfm", ["rfm_segment"]),
        ("clv_tier", ["clv_tier"]),
    ]:
        joined = s.merge(cs.playbook(kind, output="pandas"), on=keys, how="left")
        assert len(joined) == len(s) and joined["actions"].notna().all(), kind
        for k in keys:
            assert isinstance(joined[k].dtype, pd.CategoricalDtype), (kind, k)
    v = cs.clv(tx, as_of="2026-01-01")
    for kind in ("value_loyalty", "tenure_quadrant"):
        joined = v.merge(cs.playbook(kind, output="pandas"), on=kind, how="left")
        assert joined["goal"].notna().all()
    assert len(set(s["cv_group"].astype(str))) >= 5  # SOL and the recency groups occur


def test_a3_the_seeds_words_in_both_languages() -> None:
    en = cs.playbook("value_loyalty", output="pandas").set_index("value_loyalty")
    nl = cs.playbook("value_loyalty", lang="nl", output="pandas").set_index("value_loyalty")
    hh = "high value / high loyalty"
    assert en.loc[hh, "actions"].startswith("Reward with exclusive offers")
    assert nl.loc[hh, "actions"].startswith("Belonen met exclusieve aanbiedingen")
    assert nl.loc["low value / low loyalty", "actions"] == (
        "Minimaliseer investeringen; focus op conversie en upsell mogelijkheden"
    )
    assert set(en["source"]) == {"seeds 002/003 (strategies per segment)"}
    cv = cs.playbook("cv", lang="nl", output="pandas")
    assert (cv["goal"] != cs.playbook("cv", output="pandas")["goal"]).all()


@pytest.mark.parametrize(
    ("output", "kind"), [("arrow", pa.Table), ("pandas", pd.DataFrame), ("polars", pl.DataFrame)]
)
def test_a3_output_families(output: str, kind: type) -> None:
    pb = cs.playbook("cv", output=output)  # type: ignore[arg-type]
    assert isinstance(pb, kind)
    if output == "polars":
        assert pb["cv_segment"].dtype == pl.Enum(cs.CV_SEGMENTS)


def test_a3_errors() -> None:
    with pytest.raises(cs.ConfigError, match='kind must be one of.*"tenure_quadrant".*A3'):
        cs.playbook("rmf")  # type: ignore[arg-type]
    with pytest.raises(cs.ConfigError, match='lang must be "en" or "nl"'):
        cs.playbook("cv", lang="fr")  # type: ignore[arg-type]
    with pytest.raises(cs.ConfigError, match="output must be"):
        cs.playbook("cv", output="excel")  # type: ignore[arg-type]
