"""The benchmark programs still run (their timings are never asserted here).

``benches/bench_btyd.py --quick --contenders custseg`` fits and predicts 20k
simulated customers through the same worker, checks and report code as the full
comparison with lifetimes (which is not installed in the test environment).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def test_bench_btyd_quick_runs() -> None:
    r = subprocess.run(
        [sys.executable, str(BENCHES / "bench_btyd.py"), "--quick", "--contenders", "custseg"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [ln.split() for ln in r.stdout.splitlines()]
    phases = {ln[0] for ln in lines if len(ln) > 3 and ln[1] == "20k" and ln[2] == "custseg"}
    assert phases == {"fit", "predict", "total"}, r.stdout


def test_bench_customer_value_checks_every_contender_on_every_order() -> None:
    """The correctness gate of the benchmark (each contender equal to custseg before it
    is timed) on 100k rows in all three row orders, string ids (the hashed and the
    sorted-id paths of custseg, and the contenders' string handling)."""
    for order in ("grouped", "shuffled", "by-date"):
        r = subprocess.run(
            [
                sys.executable,
                str(BENCHES / "bench_customer_value.py"),
                *("--rows", "100k", "--ids", "str", "--order", order, "--repeat", "1"),
                *("--contenders", "custseg,polars,duckdb"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        rows = [ln.split() for ln in r.stdout.splitlines() if ln.split()[:2] == ["100k", "str"]]
        assert [ln[2] for ln in rows] == ["custseg", "polars", "duckdb"], r.stdout
        assert f"rows {order}" in r.stdout


def test_bench_history_checks_every_contender_before_timing() -> None:
    """The correctness gate of the CV8 benchmark: the history equals the single calls
    at every boundary, and the polars and DuckDB histories equal it, on 100k rows of a
    transaction log with string ids, before anything is timed."""
    r = subprocess.run(
        [
            sys.executable,
            str(BENCHES / "bench_history.py"),
            *("--rows", "100k", "--ids", "str", "--order", "by-date", "--repeat", "1"),
            *("--contenders", "history,one-call,calls,polars,duckdb", "--json", "none"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    names = [
        ln.split()[3]
        for ln in r.stdout.splitlines()
        if ln.split()[:3] == ["100k", "str", "by-date"]
    ]
    assert names == ["history", "one-call", "calls", "polars", "duckdb"], r.stdout
    assert "history / one call" in r.stdout


def test_bench_btyd_family_quick_runs() -> None:
    """Every model of the family fits and predicts 20k simulated customers
    through the benchmark's worker (lifetimes is not installed here)."""
    r = subprocess.run(
        [sys.executable, str(BENCHES / "bench_btyd_family.py"), "--quick"]
        + ["--contenders", "custseg"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [ln.split() for ln in r.stdout.splitlines() if ln.split()[1:2] == ["20,000"]]
    assert [row[0] for row in rows] == ["bgnbd", "pareto", "mbgnbd", "bgbb"], r.stdout
    assert all(float(row[2]) > 0 and float(row[3]) > 0 for row in rows), r.stdout


def test_btyd_simulations_recover_their_parameters() -> None:
    """The benchmark's data are what each model describes: fitted on 50k
    customers drawn from it, every parameter is within 4 standard errors of
    the truth (a check of the simulators, the fits and their errors at once)."""
    sys.path.insert(0, str(BENCHES))
    import btyd_simulate
    import custseg
    import pyarrow as pa

    classes = {
        "bgnbd": custseg.BetaGeo,
        "pareto": custseg.ParetoNBD,
        "mbgnbd": custseg.ModifiedBetaGeo,
        "bgbb": custseg.BetaGeoBetaBinom,
    }
    for model, cls in classes.items():
        m = cls().fit(pa.table(btyd_simulate.simulate(model, 50_000, seed=7)))
        truth, se = btyd_simulate.TRUTH[model], m.standard_errors
        far = {
            k: (v, truth[k], se[k]) for k, v in m.params.items() if abs(v - truth[k]) > 4 * se[k]
        }
        assert m.converged and not far, (model, far)


def test_bench_stream_runs_by_date_and_history() -> None:
    """``bench_stream.py`` over the date-ordered stream (several windows), spilled, for
    Customer Value and its history, each equal to an in-memory run of the same stream."""
    for history in ([], ["--history"]):
        r = subprocess.run(
            [
                sys.executable,
                str(BENCHES / "bench_stream.py"),
                *("--rows", "200k", "--order", "by-date", "--window-rows", "50000"),
                *("--memory-limit", "0", "--check", *history),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "order by-date" in r.stdout
        assert "equal to in-memory run: True" in r.stdout, r.stdout
        assert ("history rows" in r.stdout) == bool(history), r.stdout


def test_first_call_bench_runs_without_pandas() -> None:
    """``first_call.py`` times a fresh process's two calls, and pandas stays out."""
    r = subprocess.run(
        [sys.executable, str(BENCHES / "first_call.py"), "--rows", "10k", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    row = r.stdout.strip().splitlines()[-1]
    assert row.startswith("| 1 |") and row.endswith("| False |"), r.stdout
