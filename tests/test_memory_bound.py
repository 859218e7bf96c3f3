"""Memory that holds (issue 18, item 5): with ``memory_limit=L`` the peak RSS of
``customer_value`` stays under the documented bound (docs/reliability.md;
benches/bench_memory.py says how each term is made up) for rows grouped by
customer, by date and shuffled: 12M rows (192 MB of lines), 500k customers,
L = 64 MB, each run in its own process (peak: VmHWM), the rows from a generator. The same
rows without a limit go above the bound: the test fails if the limit is not
kept.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benches" / "bench_memory.py"
spec = importlib.util.spec_from_file_location("bench_memory", BENCH)
bench_memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_memory)

ROWS, CUSTOMERS, LIMIT = 12_000_000, 500_000, 64_000_000


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    spill = str(tmp_path_factory.mktemp("spill"))
    return bench_memory.measure(ROWS, CUSTOMERS, LIMIT, ["grouped", "by-date", "shuffled"], spill)


@pytest.mark.parametrize("order", ["grouped", "by-date", "shuffled"])
def test_peak_rss_stays_under_the_bound(results, order):
    r = next(r for r in results if r["order"] == order)
    assert r["rows"] == ROWS and r["customers"] > 0.99 * CUSTOMERS
    assert r["spilled"] > LIMIT * 0.9, "the lines must pass the limit and spill"
    assert r["extra"] <= r["bound"], (
        f"{order}: peak {r['extra'] / 2**20:.0f} MiB above the bound {r['bound'] / 2**20:.0f} MiB"
    )


def test_without_the_limit_the_same_rows_go_above_the_bound(results, tmp_path):
    """The bound is tight enough to catch a limit that is not kept."""
    free = bench_memory.child(ROWS, CUSTOMERS, "shuffled", "none", str(tmp_path))
    assert free["spilled"] == 0
    assert free["extra"] > results[0]["bound"], (free["extra"] / 2**20, results[0]["bound"] / 2**20)
