#!/usr/bin/env python3
"""Benchmark: custseg's BG/NBD + Gamma-Gamma (CLV4) against lifetimes on the same summary.

    python benches/bench_btyd.py [--customers 1M] [--source bgnbd|bgnbd-continuous|transactions]
        [--contenders custseg,lifetimes] [--repeat 3] [--threads N]
        [--lifetimes-python PATH] [--quick] [--json out.json]

**Data.** One (frequency, recency, T, monetary_value) summary per size, built once in this
process, saved to a temporary ``.npz`` and read by every contender, so all of them fit
exactly the same numbers:

* ``--source bgnbd`` (default): simulated in numpy from the BG/NBD story with known
  parameters (those published for CDNOW: r 0.243, alpha 4.414, a 0.793, b 2.426): each
  customer buys at a Gamma-distributed Poisson rate, drops out after each repeat purchase
  with a Beta-distributed probability, and is observed for T weeks, T uniform in
  [26, 78] (first purchases spread over one year, observation ends six months later).
  Each purchase's value is Gamma(p, nu) with nu ~ Gamma(q, v) (p 6.25, q 3.74, v 15.44),
  so the fitted parameters can be compared with the truth. Times are whole days (divided
  by 7), as in any summary of dated transactions, so many customers share their
  (frequency, recency, T): about 300k distinct rows in 1M;
* ``--source bgnbd-continuous``: the same with continuous times, every row distinct (the
  worst case for a fit that weights identical rows once, as custseg's does);
* ``--source transactions``: ``custseg.rfm_summary(custseg.datasets.synthetic(customers=N,
  years=4, seed=42), unit="W")`` (customers without a purchase event drop out).

**Contenders**, each in a fresh process (``bench_customer_value.run_worker``):

* custseg: ``BetaGeo().fit`` + ``GammaGamma().fit`` (fit); ``conditional_expected_purchases``
  (52 weeks) + ``p_alive`` + ``predictive_clv`` (12 months, 1 % a month) (predict). Input: a
  pyarrow Table made from the arrays without a copy.
* lifetimes: ``BetaGeoFitter().fit`` + ``GammaGammaFitter().fit`` on the repeat customers
  (fit; lifetimes' ``fit`` always computes the Hessian for its standard errors, so that is
  part of its fit; its cost is measured once and printed apart);
  ``conditional_expected_number_of_purchases_up_to_time`` + ``conditional_probability_alive``
  + ``customer_lifetime_value(freq="W")`` (predict). Input: pandas Series. lifetimes runs in
  its own virtual environment: ``--lifetimes-python``, else ``<repo>/.venv-lifetimes``, made
  on first use (``python -m venv`` + ``pip install lifetimes==0.11.3``). Its worker starts as
  this interpreter and replaces itself (``os.execv``, same process) with that one.

**Correctness gate**, before timing (the lifetimes worker, on custseg's untimed first run):

* the fitted parameters must agree within 1e-3 relative. If they do not, both parameter
  sets are printed with their log-likelihoods (lifetimes' formula, same data), so the reader
  sees which fit found the higher likelihood; the run goes on, and ends with exit code 1 when
  custseg's is the lower one;
* custseg's ``log_likelihood`` must equal lifetimes' formula at custseg's parameters (1e-9);
* with *custseg's* parameters loaded into lifetimes' fitters, lifetimes' predictions must
  equal custseg's (1e-7 relative): expected purchases in 52 weeks and in 12 months,
  P(alive), expected spend and the CLV. lifetimes' own CLV uses a month of 4.345 weeks,
  custseg's 365.25 / 12 / 7 = 4.348 weeks, so the CLV is checked with lifetimes' functions
  summed over custseg's months. A mismatch stops the benchmark with a diff.

**Timing**: ``--repeat`` runs (default 3, best of) of fit then predict; ``best s`` per phase
and the best total (fit + predict of the same run). ``peak RSS`` is the process's
``ru_maxrss`` over that phase's timed runs (the mark is reset before each phase); it includes
the resident summary (``load RSS``). ``ratio`` = lifetimes best time / custseg best time.
``--quick``: 20k customers, 1 run (a few seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

ALL_CONTENDERS = ("custseg", "lifetimes")
SOURCES = ("bgnbd", "bgnbd-continuous", "transactions")
COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")
TRUE_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
TRUE_GG = {"p": 6.25, "q": 3.74, "v": 15.44}
T_DAYS = (182, 546)  # observation length per customer in the simulation (26 to 78 weeks)
SEED = 42
PREDICT_T = 52.0  # weeks, for the expected purchases
HORIZON_MONTHS, DISCOUNT = 12, 0.01
MONTH_WEEKS = 365.25 / 12 / 7  # custseg's month (CLV4)
LIFETIMES_REQUIREMENT = "lifetimes==0.11.3"
PARAM_RTOL, LL_RTOL, PREDICT_RTOL = 1e-3, 1e-9, 1e-7
QUICK_CUSTOMERS = 20_000
DEFAULT_CUSTOMERS = "1M"


def bench_helpers() -> Any:
    """``bench_customer_value`` (its process, memory and output helpers; it imports its
    pyarrow-based contenders only when they run, so the lifetimes environment can load it)."""
    import bench_customer_value as bcv

    return bcv


# ---------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------
def simulate(customers: int, whole_days: bool = True, seed: int = SEED) -> dict[str, Any]:
    """A summary drawn from the BG/NBD and Gamma-Gamma models with TRUE_BG, TRUE_GG, in weeks.

    Repeat purchases come at rate lambda ~ Gamma(r, alpha) (a Poisson process) from the
    first purchase at time 0; after each repeat purchase the customer drops out with
    probability p ~ Beta(a, b), so the customer makes K ~ Geometric(p) repeat purchases in
    a lifetime. With N Poisson events in [0, T], frequency x = min(K, N), and the x-th of N
    uniform event times in [0, T] is T * Beta(x, N - x + 1). The mean of x purchase values
    Gamma(p, nu) is Gamma(p x, nu) / x, with nu ~ Gamma(q, v).

    With ``whole_days`` (as in any summary of dated transactions, and as ``rfm_summary``
    gives it) T is a whole number of days and the last purchase falls on the day its time
    is in (recency = ceil(time in days), at least 1), both divided by 7; customers with the
    same (frequency, recency, T) are then common. Otherwise the times are continuous and
    every row is distinct.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    bg, gg = TRUE_BG, TRUE_GG
    if whole_days:
        T = rng.integers(T_DAYS[0], T_DAYS[1], endpoint=True, size=customers) / 7.0
    else:
        T = rng.uniform(T_DAYS[0] / 7, T_DAYS[1] / 7, customers)
    lam = rng.gamma(bg["r"], 1.0 / bg["alpha"], customers)
    drop = rng.beta(bg["a"], bg["b"], customers)
    lifetime_purchases = rng.geometric(drop)
    events = rng.poisson(lam * T)
    x = np.minimum(lifetime_purchases, events).astype(np.int64)
    rep = x > 0
    recency = np.zeros(customers)
    recency[rep] = T[rep] * rng.beta(x[rep], events[rep] - x[rep] + 1)
    if whole_days:
        recency = np.minimum(np.ceil(recency * 7), np.round(T * 7)) / 7.0
    nu = rng.gamma(gg["q"], 1.0 / gg["v"], customers)
    monetary = np.zeros(customers)
    monetary[rep] = rng.gamma(gg["p"] * x[rep], 1.0 / nu[rep]) / x[rep]
    return {
        "customer_id": np.arange(1, customers + 1, dtype=np.int64),
        "frequency": x,
        "recency": recency,
        "T": T,
        "monetary_value": monetary,
    }


def from_transactions(customers: int) -> dict[str, Any]:
    """custseg.rfm_summary of the synthetic transaction table, in weeks."""
    import custseg
    import numpy as np

    tx = custseg.datasets.synthetic(customers=customers, years=4, seed=SEED)
    s = custseg.rfm_summary(tx, unit="W")
    return {c: np.asarray(s[c].to_numpy(), dtype=s[c].type.to_pandas_dtype()) for c in COLUMNS}


def describe_source(source: str) -> str:
    if source == "transactions":
        return (
            f"custseg.rfm_summary(custseg.datasets.synthetic(customers=N, years=4, "
            f'seed={SEED}), unit="W")'
        )
    bg = ", ".join(f"{k} {v}" for k, v in TRUE_BG.items())
    gg = ", ".join(f"{k} {v}" for k, v in TRUE_GG.items())
    times = (
        "times in whole days (as from dated transactions)"
        if source == "bgnbd"
        else "continuous times (every row distinct)"
    )
    return (
        f"simulated in numpy from BG/NBD ({bg}) with Gamma-Gamma spend ({gg}), T uniform "
        f"in [{T_DAYS[0]}, {T_DAYS[1]}] days, {times}, in weeks, seed {SEED}"
    )


def load_summary(folder: str) -> dict[str, Any]:
    import numpy as np

    with np.load(Path(folder) / "summary.npz") as f:
        return {c: f[c] for c in COLUMNS}


# ---------------------------------------------------------------------------
# Contenders
# ---------------------------------------------------------------------------
def custseg_input(arrays: dict[str, Any]) -> Any:
    import pyarrow as pa

    return pa.table({c: arrays[c] for c in COLUMNS})


def custseg_fit(s: Any) -> Any:
    import custseg

    return custseg.BetaGeo().fit(s), custseg.GammaGamma().fit(s)


def custseg_predict(models: Any, s: Any) -> Any:
    import custseg

    bg, gg = models
    return (
        bg.conditional_expected_purchases(PREDICT_T, s),
        bg.p_alive(s),
        custseg.predictive_clv(
            bg, gg, s, horizon_months=HORIZON_MONTHS, discount_rate=DISCOUNT, unit="W"
        ),
    )


def lifetimes_input(arrays: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.DataFrame({c: arrays[c] for c in COLUMNS})


def lifetimes_fit(s: Any) -> Any:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    repeat = s[s["frequency"] > 0]  # lifetimes' Gamma-Gamma takes the repeat customers only
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    return bgf, ggf


def lifetimes_predict(models: Any, s: Any) -> Any:
    bgf, ggf = models
    f, r, T, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]
    return (
        bgf.conditional_expected_number_of_purchases_up_to_time(PREDICT_T, f, r, T),
        bgf.conditional_probability_alive(f, r, T),
        ggf.customer_lifetime_value(
            bgf, f, r, T, m, time=HORIZON_MONTHS, discount_rate=DISCOUNT, freq="W"
        ),
    )


CONTENDERS = {
    "custseg": (custseg_input, custseg_fit, custseg_predict),
    "lifetimes": (lifetimes_input, lifetimes_fit, lifetimes_predict),
}


def custseg_result(models: Any, predictions: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """custseg's parameters and log-likelihoods, and its predictions as numpy arrays."""
    import numpy as np

    bg, gg = models
    expected, alive, clv = predictions
    fit = {
        "bg": dict(bg.params),
        "gg": dict(gg.params),
        "ll_bg": bg.log_likelihood,
        "ll_gg": gg.log_likelihood,
        "converged": [bool(bg.converged), bool(gg.converged)],
        "iterations": [int(bg.iterations), int(gg.iterations)],
    }
    arrays = {
        "expected_purchases_t": np.asarray(expected),
        "p_alive": np.asarray(alive),
        "expected_purchases_horizon": clv["expected_purchases"].to_numpy(),
        "expected_spend": clv["expected_spend"].to_numpy(),
        "clv": clv["clv"].to_numpy(),
    }
    return fit, arrays


# ---------------------------------------------------------------------------
# The gate (in the lifetimes worker)
# ---------------------------------------------------------------------------
def rel_diffs(a: Any, b: Any) -> Any:
    """|a - b| / max(|a|, |b|) per element (0 where both are 0 or both NaN, inf for one NaN)."""
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(a), np.abs(b))
    d = np.abs(a - b) / np.where(scale > 0, scale, 1.0)
    d = np.where(np.isnan(a) & np.isnan(b), 0.0, d)
    return np.nan_to_num(d, nan=np.inf)


def rel_diff(a: Any, b: Any) -> float:
    """The largest of :func:`rel_diffs`."""
    d = rel_diffs(a, b)
    return float(d.max()) if d.size else 0.0


def lifetimes_ll(s: Any, bg: dict[str, float], gg: dict[str, float]) -> tuple[float, float]:
    """Total log-likelihoods of ``s`` under lifetimes' formulas (unscaled time)."""
    import numpy as np
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    f = s["frequency"].to_numpy().astype(int)
    w = np.ones(len(s), dtype=int)
    log_bg = np.log([bg["r"], bg["alpha"], bg["a"], bg["b"]])
    ll_bg = -BetaGeoFitter._negative_log_likelihood(
        log_bg, f, s["recency"].to_numpy(), s["T"].to_numpy(), w, 0.0
    ) * len(s)
    rep = f > 0
    x, m = f[rep].astype(float), s["monetary_value"].to_numpy()[rep]
    log_gg = np.log([gg["p"], gg["q"], gg["v"]])
    ll_gg = -GammaGammaFitter._negative_log_likelihood(
        log_gg, x, m, np.ones(len(x), dtype=int), 0.0
    ) * len(x)
    return float(ll_bg), float(ll_gg)


def lifetimes_at(s: Any, bg: dict[str, float], gg: dict[str, float]) -> dict[str, Any]:
    """lifetimes' predictions with the given parameters loaded into its fitters; the CLV is
    lifetimes' sum, over custseg's months (365.25 / 12 / 7 weeks)."""
    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bgf, ggf = BetaGeoFitter(), GammaGammaFitter()
    bgf.params_ = pd.Series(bg)[["r", "alpha", "a", "b"]]
    ggf.params_ = pd.Series(gg)[["p", "q", "v"]]
    f, r, T, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]

    def expected(t: float) -> Any:
        return np.asarray(bgf.conditional_expected_number_of_purchases_up_to_time(t, f, r, T))

    spend = np.asarray(ggf.conditional_expected_average_profit(f, m))
    clv = np.zeros(len(s))
    before = expected(0.0)
    for i in range(1, HORIZON_MONTHS + 1):
        now = expected(i * MONTH_WEEKS)
        clv += spend * (now - before) / (1 + DISCOUNT) ** i
        before = now
    return {
        "expected_purchases_t": expected(PREDICT_T),
        "p_alive": np.asarray(bgf.conditional_probability_alive(f, r, T)),
        "expected_purchases_horizon": before,
        "expected_spend": spend,
        "clv": clv,
    }


def gate(s: Any, models: Any, predictions: Any, folder: str) -> tuple[dict[str, Any], str | None]:
    """lifetimes' first fit and predictions against custseg's (see the module docstring).

    Returns what was compared, and a problem (predictions or log-likelihood differ) or None.
    """
    import numpy as np

    ref = json.loads((Path(folder) / "custseg_fit.json").read_text())
    with np.load(Path(folder) / "custseg_predictions.npz") as f:
        ref_pred = {k: f[k] for k in f.files}
    bgf, ggf = models
    lt_bg = {k: float(v) for k, v in bgf.params_.items()}
    lt_gg = {k: float(v) for k, v in ggf.params_.items()}
    ll_cs = lifetimes_ll(s, ref["bg"], ref["gg"])
    ll_lt = lifetimes_ll(s, lt_bg, lt_gg)
    info: dict[str, Any] = {
        "bg": lt_bg,
        "gg": lt_gg,
        "param_rel_diff": {
            "bg": max(rel_diff(ref["bg"][k], lt_bg[k]) for k in lt_bg),
            "gg": max(rel_diff(ref["gg"][k], lt_gg[k]) for k in lt_gg),
        },
        "ll_formula_at_custseg": {"bg": ll_cs[0], "gg": ll_cs[1]},
        "ll_formula_at_lifetimes": {"bg": ll_lt[0], "gg": ll_lt[1]},
    }
    problems = []
    for i, model in enumerate(("bg", "gg")):
        d = rel_diff(ref[f"ll_{model}"], ll_cs[i])
        if d > LL_RTOL:
            problems.append(
                f"{model} log-likelihood at custseg's parameters: custseg reports "
                f"{ref[f'll_{model}']!r}, lifetimes' formula gives {ll_cs[i]!r} "
                f"(relative difference {d:.2e} > {LL_RTOL:g})"
            )
    got = lifetimes_at(s, ref["bg"], ref["gg"])
    info["predict_rel_diff"] = {k: rel_diff(ref_pred[k], got[k]) for k in got}
    for k, d in info["predict_rel_diff"].items():
        if d > PREDICT_RTOL:
            bad = np.argsort(-rel_diffs(ref_pred[k], got[k]))[:5]
            col = {c: s[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value")}
            rows = "\n".join(
                f"    row {i}: frequency {int(col['frequency'][i])}, recency "
                f"{float(col['recency'][i])!r}, T {float(col['T'][i])!r}, monetary "
                f"{float(col['monetary_value'][i])!r}: custseg {float(ref_pred[k][i])!r}, "
                f"lifetimes {float(got[k][i])!r}"
                for i in bad
            )
            problems.append(
                f"{k} at custseg's parameters: max relative difference {d:.2e} > "
                f"{PREDICT_RTOL:g}; the worst rows:\n{rows}"
            )
    # lifetimes' own CLV (its month of 4.345 weeks) against custseg's, for the record.
    own = np.asarray(predictions[2])
    both = (ref_pred["clv"] > 0) & (own > 0)
    info["own_clv_median_rel_diff"] = float(
        np.median(np.abs(own[both] / ref_pred["clv"][both] - 1)) if both.any() else 0.0
    )
    return info, "\n".join(problems) or None


def hessian_seconds(s: Any, models: Any) -> float:
    """Time of the two Hessians lifetimes' ``fit`` computes (autograd) at its optimum."""
    import numpy as np
    from autograd import hessian

    bgf, ggf = models
    f = s["frequency"].to_numpy().astype(int)
    scale = 1.0 / s["T"].to_numpy().max()
    w = np.ones(len(s), dtype=int)
    p = bgf.params_
    log_bg = np.log([p["r"], p["alpha"] * scale, p["a"], p["b"]])
    rep = f > 0
    x, m = f[rep].astype(float), s["monetary_value"].to_numpy()[rep]
    log_gg = np.log(ggf.params_[["p", "q", "v"]].to_numpy())
    t0 = time.perf_counter()
    args_bg = (f, s["recency"].to_numpy() * scale, s["T"].to_numpy() * scale, w, 0.0)
    hessian(bgf._negative_log_likelihood)(log_bg, *args_bg)
    hessian(ggf._negative_log_likelihood)(log_gg, x, m, np.ones(len(x), dtype=int), 0.0)
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------
# The worker
# ---------------------------------------------------------------------------
def worker(args: argparse.Namespace) -> int:
    """One contender on the saved summary, in this fresh process; writes its result as JSON."""
    name = args.contenders
    if name == "lifetimes" and not args.execed:
        # Become the lifetimes interpreter (same process, so run_worker waits on it).
        py = args.lifetimes_python
        os.execv(py, [py, str(Path(__file__).resolve()), *sys.argv[1:], "--execed"])
    bcv = bench_helpers()
    make_input, fit, predict = CONTENDERS[name]
    label = f"{name} {bcv.rows_label(args.customers)}"

    t0 = time.perf_counter()
    arrays = load_summary(args.data)
    s = make_input(arrays)
    load_s = time.perf_counter() - t0
    customers = len(arrays["frequency"])
    input_bytes = sum(int(a.nbytes) for a in arrays.values())
    del arrays
    bcv.release_memory()
    loaded = bcv.rss_kib()

    # Untimed first run: custseg's is the reference of the gate, lifetimes' is checked.
    t0 = time.perf_counter()
    models = fit(s)
    first_fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    predictions = predict(models, s)
    first_predict_s = time.perf_counter() - t0
    progress(f"{label}: check run: fit {first_fit_s:.3f} s, predict {first_predict_s:.3f} s")
    info: dict[str, Any] = {}
    if name == "custseg":
        import numpy as np

        fitted, arrays = custseg_result(models, predictions)
        (Path(args.data) / "custseg_fit.json").write_text(json.dumps(fitted))
        np.savez(Path(args.data) / "custseg_predictions.npz", **arrays)
        info["fit"] = fitted
    else:
        checked, problem = gate(s, models, predictions, args.data)
        if problem:
            print(
                f"\nMISMATCH: lifetimes differs from custseg on {args.customers} customers\n"
                f"{problem}",
                file=sys.stderr,
                flush=True,
            )
            return bcv.EXIT_MISMATCH
        info["fit"] = {"bg": checked["bg"], "gg": checked["gg"]}
        info["gate"] = checked
    del models, predictions
    bcv.release_memory()

    fit_s, predict_s, peak_fit, peak_predict = [], [], 0, 0
    for i in range(args.repeat):
        peak_reset = bcv.reset_peak()
        t0 = time.perf_counter()
        models = fit(s)
        fit_s.append(time.perf_counter() - t0)
        peak_fit = max(peak_fit, bcv.peak_kib())
        bcv.reset_peak()
        t0 = time.perf_counter()
        predictions = predict(models, s)
        predict_s.append(time.perf_counter() - t0)
        peak_predict = max(peak_predict, bcv.peak_kib())
        progress(
            f"{label}: run {i + 1}/{args.repeat}: fit {fit_s[-1]:.3f} s, "
            f"predict {predict_s[-1]:.3f} s"
        )
        if i + 1 < args.repeat:
            del models, predictions
    if name == "lifetimes":
        info["hessian_s"] = hessian_seconds(s, models)
    del models, predictions

    total_s = [a + b for a, b in zip(fit_s, predict_s, strict=True)]
    info.update(
        {
            "contender": name,
            "customers": customers,
            "threads": args.threads,
            "threads_used": 1 if name == "lifetimes" else bcv.threads_used("custseg", args.threads),
            "fit_s": fit_s,
            "predict_s": predict_s,
            "total_s": total_s,
            "first_fit_s": first_fit_s,
            "first_predict_s": first_predict_s,
            "load_s": load_s,
            "rss_loaded_kib": loaded,
            "peak_fit_kib": peak_fit,
            "peak_predict_kib": peak_predict,
            "peak_reset": peak_reset,
            "input_bytes": input_bytes,
        }
    )
    Path(args.out).write_text(json.dumps(info))
    return 0


def progress(text: str) -> None:
    print(f"  {text}", flush=True)


# ---------------------------------------------------------------------------
# The lifetimes environment
# ---------------------------------------------------------------------------
def lifetimes_python(given: str | None) -> str:
    """The interpreter that runs lifetimes: ``given``, else ``<repo>/.venv-lifetimes``,
    created with lifetimes installed when it is missing."""
    if given:
        py = Path(given)
        if not py.exists():
            sys.exit(f"--lifetimes-python {given}: no such file")
        return str(py.absolute())
    venv = REPO / ".venv-lifetimes"
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if py.exists() and has_lifetimes(str(py)):
        return str(py)
    print(f"creating {venv} with {LIFETIMES_REQUIREMENT} (first use only)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", LIFETIMES_REQUIREMENT], check=True)
    return str(py)


def has_lifetimes(py: str) -> bool:
    return subprocess.run([py, "-c", "import lifetimes"], capture_output=True).returncode == 0


def lifetimes_versions(py: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, platform\n"
        "v = {p: m.version(p) for p in ('lifetimes', 'pandas', 'numpy', 'scipy', 'autograd')}\n"
        "print(json.dumps({'python': platform.python_version(), **v}))"
    )
    out = subprocess.run([py, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{py} cannot run lifetimes:\n{out.stderr}")
    return json.loads(out.stdout)


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------
def build_summary(customers: int, source: str, folder: Path) -> dict[str, Any]:
    """Builds and saves the summary; returns what the output says about it."""
    import numpy as np

    t0 = time.perf_counter()
    if source == "transactions":
        arrays = from_transactions(customers)
    else:
        arrays = simulate(customers, whole_days=source == "bgnbd")
    build_s = time.perf_counter() - t0
    np.savez(folder / "summary.npz", **arrays)
    f = arrays["frequency"]
    return {
        "customers": int(len(f)),
        "repeat_customers": int((f > 0).sum()),
        "repeat_purchases": int(f.sum()),
        "build_s": build_s,
    }


def params_text(label: str, bg: dict[str, float], gg: dict[str, float], extra: str = "") -> str:
    cells = [f"{bg[k]:>9.5g}" for k in ("r", "alpha", "a", "b")]
    cells += [f"{gg[k]:>9.5g}" for k in ("p", "q", "v")]
    return f"  {label:<10} {' '.join(cells)}  {extra}".rstrip()


def report_fit(cs: dict[str, Any], lt: dict[str, Any] | None) -> bool:
    """Prints the fitted parameters and the gate; False when custseg's fit is the worse."""
    names = ("r", "alpha", "a", "b", "p", "q", "v")
    print("  fitted     " + " ".join(f"{k:>9}" for k in names) + "  log-likelihood BG / GG")
    if cs.get("truth"):
        print(params_text("truth", TRUE_BG, TRUE_GG))
    fit = cs["fit"]
    steps = f"iterations {fit['iterations'][0]} / {fit['iterations'][1]}"
    if not all(fit["converged"]):
        steps += f", CONVERGED {fit['converged']}"
    print(
        params_text("custseg", fit["bg"], fit["gg"], f"{fit['ll_bg']:.4f} / {fit['ll_gg']:.4f}")
        + f" ({steps})"
    )
    if lt is None or "gate" not in lt:
        return all(fit["converged"])
    g = lt["gate"]
    at_cs, at_lt = g["ll_formula_at_custseg"], g["ll_formula_at_lifetimes"]
    print(params_text("lifetimes", g["bg"], g["gg"], f"{at_lt['bg']:.4f} / {at_lt['gg']:.4f}"))
    gaps = g["param_rel_diff"]
    worst = max(gaps.values())
    ok = True
    if worst <= PARAM_RTOL:
        print(
            f"  fits agree: largest relative difference of a parameter {gaps['bg']:.1e} (BG/NBD), "
            f"{gaps['gg']:.1e} (Gamma-Gamma), within {PARAM_RTOL:g}"
        )
    else:
        print(
            f"  FITS DIFFER: largest relative difference {gaps['bg']:.1e} (BG/NBD), "
            f"{gaps['gg']:.1e} (Gamma-Gamma), above {PARAM_RTOL:g}. Log-likelihoods with "
            "lifetimes' formula on the same data:"
        )
        for m, title in (("bg", "BG/NBD"), ("gg", "Gamma-Gamma")):
            if gaps[m] <= PARAM_RTOL:
                continue
            better = "custseg" if at_cs[m] >= at_lt[m] else "lifetimes"
            ok = ok and better == "custseg"
            print(
                f"    {title}: custseg's parameters {at_cs[m]:.6f}, lifetimes' {at_lt[m]:.6f}: "
                f"{better} found the higher likelihood (by {abs(at_cs[m] - at_lt[m]):.3g})"
            )
    pr = g["predict_rel_diff"]
    print(
        "  predictions agree at custseg's parameters (largest relative difference): "
        + ", ".join(f"{k} {v:.1e}" for k, v in pr.items())
        + f" (tolerance {PREDICT_RTOL:g})"
    )
    print(
        f"  lifetimes' own CLV (month = 4.345 weeks) vs custseg's ({MONTH_WEEKS:.4f} weeks): "
        f"median relative difference {g['own_clv_median_rel_diff']:.2%}"
    )
    return ok and all(fit["converged"])


def phase_rows(r: dict[str, Any], base: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per phase (fit, predict, total) in the shape bench_customer_value prints."""
    rows = []
    for phase in ("fit", "predict", "total"):
        best = min(r[f"{phase}_s"])
        peak = (
            max(r["peak_fit_kib"], r["peak_predict_kib"])
            if phase == "total"
            else r[f"peak_{phase}_kib"]
        )
        ratio = best / min(base[f"{phase}_s"]) if base else None
        rows.append(
            {
                "phase": phase,
                "contender": r["contender"],
                "customers": r["customers"],
                "rows": r["customers"],
                "best_s": best,
                "peak_rss_kib": peak,
                "rss_loaded_kib": r["rss_loaded_kib"],
                "input_arrow_bytes": r["input_bytes"],
                "ratio": ratio,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", default=None, help="comma-separated sizes: 100k,1M (1M)")
    p.add_argument("--source", default="bgnbd", choices=SOURCES, help="how the summary is made")
    p.add_argument("--contenders", default=",".join(ALL_CONTENDERS))
    p.add_argument("--repeat", type=int, default=None, help="timed runs, best is reported (3)")
    p.add_argument("--threads", type=int, default=None, help="custseg threads (all cores)")
    p.add_argument("--lifetimes-python", default=None, help="interpreter with lifetimes")
    p.add_argument("--quick", action="store_true", help=f"{QUICK_CUSTOMERS} customers, 1 run")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--execed", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--data", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    if args.worker:
        args.customers = int(args.customers)
        return worker(args)

    bcv = bench_helpers()
    sizes_text = args.customers or (str(QUICK_CUSTOMERS) if args.quick else DEFAULT_CUSTOMERS)
    sizes = [bcv.parse_rows(s) for s in sizes_text.split(",") if s.strip()]
    names = [s.strip() for s in args.contenders.split(",") if s.strip()]
    for bad in [n for n in names if n not in ALL_CONTENDERS]:
        p.error(f"unknown contender {bad!r} ({', '.join(ALL_CONTENDERS)})")
    names = ["custseg", *(["lifetimes"] if "lifetimes" in names else [])]  # custseg: the base

    lt_py = lt_vers = None
    if "lifetimes" in names:
        lt_py = lifetimes_python(args.lifetimes_python)
        lt_vers = lifetimes_versions(lt_py)
    mach, vers, command = bcv.print_header(bcv.versions(["custseg", "pandas"]))
    if lt_vers:
        print(
            f"lifetimes environment ({lt_py}): " + ", ".join(f"{k} {v}" for k, v in lt_vers.items())
        )
    threads = "all cores" if args.threads is None else f"{args.threads}"
    print(
        f"data: one summary per size, {describe_source(args.source)}; saved once, every "
        "contender fits the same numbers"
    )
    print(
        f"fit = BG/NBD + Gamma-Gamma (repeat customers); predict = expected purchases in "
        f"{PREDICT_T:g} weeks + P(alive) + CLV over {HORIZON_MONTHS} months at "
        f"{DISCOUNT:.0%} a month; best of {args.repeat}; custseg threads: {threads}, lifetimes: "
        "numpy/scipy in one process"
    )
    print(
        "Mrows/s = million customers (summary rows) per second; ratio = lifetimes best time / "
        "custseg best time; peak RSS = whole process over the phase's timed runs\n"
    )

    results, rows, fits_ok = [], [], True
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench_btyd_") as tmp:
            about = build_summary(n, args.source, Path(tmp))
            print(
                f"{bcv.rows_label(n)}: {about['customers']:,} customers, "
                f"{about['repeat_customers']:,} with a repeat purchase, "
                f"{about['repeat_purchases']:,} repeat purchases "
                f"(built in {about['build_s']:.2f} s)",
                flush=True,
            )
            by_name: dict[str, dict[str, Any]] = {}
            for name in names:
                worker_args = ["--customers", str(n), "--contenders", name, "--data", tmp]
                if name == "lifetimes":
                    worker_args += ["--lifetimes-python", str(lt_py)]
                what = f"{name} at {bcv.rows_label(n)} customers"
                r = bcv.run_worker(str(Path(__file__).resolve()), worker_args, what, args)
                r.setdefault("contender", name)
                by_name[name] = r
                if "error" in r or "error" in by_name["custseg"]:
                    break
        cs, lt = by_name["custseg"], by_name.get("lifetimes")
        result = {"customers_requested": n, "summary": about, "contenders": by_name}
        results.append(result)
        if "error" in cs:
            print(f"  custseg: {cs['error']}")
            continue
        cs["truth"] = args.source != "transactions"
        fits_ok = report_fit(cs, lt if lt and "error" not in lt else None) and fits_ok
        if lt and "error" in lt:
            print(f"  lifetimes: {lt['error']}")
        if lt and "hessian_s" in lt:
            print(
                f"  lifetimes' fit includes its Hessian (autograd, for standard errors): "
                f"{lt['hessian_s']:.3f} s of it"
            )
        size_rows = phase_rows(cs, None)
        if lt and "error" not in lt:
            size_rows += phase_rows(lt, cs)
        for row in size_rows:
            row["label"] = bcv.rows_label(n)
        rows += size_rows
        result["phases"] = size_rows
        print()

    header = f"{'phase':<8} {'customers':>9} {'contender':<9} {bcv.MEASURES}"
    print(header)
    for phase in ("fit", "predict", "total"):
        for row in [r for r in rows if r["phase"] == phase]:
            head = f"{phase:<8} {row['label']:>9} {row['contender']:<9}"
            print(bcv.measures_text(head, row))
    for label in dict.fromkeys(r["label"] for r in rows):
        lt_rows = {
            r["phase"]: r for r in rows if r["label"] == label and r["contender"] == "lifetimes"
        }
        if lt_rows:
            ratios = ", ".join(
                f"{k} {lt_rows[k]['ratio']:.1f}x" for k in ("fit", "predict", "total")
            )
            print(f"\nlifetimes / custseg at {label} customers: {ratios}")

    if args.json:
        doc = {
            "command": command,
            "machine": mach,
            "versions": vers,
            "lifetimes_versions": lt_vers,
            "config": {
                "customers": sizes,
                "source": args.source,
                "contenders": names,
                "repeat": args.repeat,
                "threads": args.threads,
                "seed": SEED,
                "true_bg": TRUE_BG if args.source != "transactions" else None,
                "true_gg": TRUE_GG if args.source != "transactions" else None,
                "predict_t_weeks": PREDICT_T,
                "horizon_months": HORIZON_MONTHS,
                "discount_rate": DISCOUNT,
            },
            "results": results,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    errors = any("error" in r for res in results for r in res["contenders"].values())
    return 1 if errors or not fits_ok else 0


if __name__ == "__main__":
    sys.exit(main())
