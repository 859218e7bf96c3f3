#!/usr/bin/env python3
"""Benchmark: every BTYD count model of custseg (rule CLV4, issue 19) against
lifetimes, fit and predictions, at 1M and 10M customers.

Usage::

    python benches/bench_btyd_family.py [--models bgnbd,pareto,mbgnbd,bgbb]
        [--customers 1M,10M] [--lifetimes-max 1M] [--lifetimes-timeout 1800]
        [--repeat 3] [--quick] [--json out.json]

(``bench_btyd.py`` measures BG/NBD with Gamma-Gamma and the CLV in depth; this
program covers the family: ``bgnbd`` = ``BetaGeo`` / ``BetaGeoFitter``,
``pareto`` = ``ParetoNBD`` / ``ParetoNBDFitter``, ``mbgnbd`` = ``ModifiedBetaGeo`` /
``ModifiedBetaGeoFitter``, ``bgbb`` = ``BetaGeoBetaBinom`` / ``BetaGeoBetaBinomFitter``.)

**Data**: a summary drawn from each model (``btyd_simulate.py``: CDNOW's
published parameters for the continuous-time models, the donations parameters
for BG/BB; whole days in weeks; BG/BB with 1..20 opportunities), seed 42, one
row per customer, as ``rfm_summary`` gives it.

**Contenders**, each in its own fresh process (time and peak RSS = VmHWM of that
process, which includes loading the summary):

* custseg: ``Model().fit(table)`` (fit, standard errors included: every custseg
  fit computes them), then ``conditional_expected_purchases(t, s)`` and
  ``p_alive(s)`` (predict), t = 52 weeks (BG/BB: 10 opportunities).
* lifetimes 0.11.3 (its own virtual environment, see ``bench_btyd.py``):
  ``Fitter().fit(...)`` (its fit computes the Hessian for standard errors too),
  ``conditional_expected_number_of_purchases_up_to_time`` and
  ``conditional_probability_alive``. Only up to ``--lifetimes-max`` customers
  and within ``--lifetimes-timeout`` seconds per run: beyond, the table says so.

**Gate**, before any time is reported: lifetimes' fitted parameters must equal
custseg's within 1e-3 relative (else both log-likelihoods are printed, by
custseg's ``log_likelihood_of``, so the reader sees which found the higher), and
lifetimes' predictions *at custseg's parameters* must equal custseg's within
1e-6 relative.

**Timing**: best of ``--repeat`` (lifetimes: 1 run, it is slow); ratio =
lifetimes / custseg.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MODELS = {
    # name: (custseg class, lifetimes class, parameters, third column)
    "bgnbd": ("BetaGeo", "BetaGeoFitter", ("r", "alpha", "a", "b"), "T"),
    "pareto": ("ParetoNBD", "ParetoNBDFitter", ("r", "alpha", "s", "beta"), "T"),
    "mbgnbd": ("ModifiedBetaGeo", "ModifiedBetaGeoFitter", ("r", "alpha", "a", "b"), "T"),
    "bgbb": (
        "BetaGeoBetaBinom",
        "BetaGeoBetaBinomFitter",
        ("alpha", "beta", "gamma", "delta"),
        "n_periods",
    ),
}
HORIZON = {"bgbb": 10}  # opportunities; the others 52 weeks
PARAM_RTOL, PREDICT_RTOL = 1e-3, 1e-6


def horizon(model: str) -> float:
    return HORIZON.get(model, 52)


def columns(model: str) -> tuple[str, str, str]:
    return ("frequency", "recency", MODELS[model][3])


def peak_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------------
# Contenders (run in the worker process)
# ---------------------------------------------------------------------------
def custseg_run(model: str, arrays: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    import custseg
    import numpy as np
    import pyarrow as pa

    s = pa.table({c: arrays[c] for c in columns(model)})
    cls = getattr(custseg, MODELS[model][0])
    t0 = time.perf_counter()
    m = cls().fit(s)
    t1 = time.perf_counter()
    e = m.conditional_expected_purchases(horizon(model), s)
    a = m.p_alive(s)
    t2 = time.perf_counter()
    out = {
        "params": m.params,
        "log_likelihood": m.log_likelihood,
        "converged": m.converged,
        "standard_errors": m.standard_errors,
        "expected": np.asarray(e),
        "p_alive": np.asarray(a),
    }
    return (t1 - t0, t2 - t1), out


def lifetimes_model(model: str, arrays: dict[str, Any], params: dict[str, float] | None) -> Any:
    import lifetimes
    import pandas as pd

    m = getattr(lifetimes, MODELS[model][1])()
    f, r, third = (pd.Series(arrays[c]) for c in columns(model))
    if params is None:
        m.fit(f, r, third)
    else:
        m.params_ = pd.Series(params)
    return m, (f, r, third)


def lifetimes_predict(model: str, m: Any, cols: tuple[Any, Any, Any]) -> tuple[Any, Any]:
    import numpy as np

    t = horizon(model)
    e = m.conditional_expected_number_of_purchases_up_to_time(t, *cols)
    if model == "bgbb":
        a = m.conditional_probability_alive(1, *cols)  # alive at the next opportunity
    else:
        a = m.conditional_probability_alive(*cols)
    return np.asarray(e, dtype=float), np.asarray(a, dtype=float)


def lifetimes_run(model: str, arrays: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    t0 = time.perf_counter()
    m, cols = lifetimes_model(model, arrays, None)
    t1 = time.perf_counter()
    e, a = lifetimes_predict(model, m, cols)
    t2 = time.perf_counter()
    params = {k: float(v) for k, v in m.params_.items()}
    return (t1 - t0, t2 - t1), {"params": params, "expected": e, "p_alive": a}


def worker(args: argparse.Namespace) -> int:
    import numpy as np

    with np.load(Path(args.data) / "summary.npz") as f:
        arrays = {c: f[c] for c in f.files}
    run = custseg_run if args.contender == "custseg" else lifetimes_run
    times, out = [], {}
    for _ in range(args.repeat):
        t, out = run(args.model, arrays)
        times.append(t)
        print(f"    {args.contender}: fit {t[0]:.3f} s, predict {t[1]:.3f} s", flush=True)
    result: dict[str, Any] = {
        "fit_s": min(t[0] for t in times),
        "predict_s": min(t[1] for t in times),
        "total_s": min(t[0] + t[1] for t in times),
        "peak_mib": peak_mib(),
        "params": out["params"],
    }
    if args.contender == "custseg":
        np.savez(Path(args.data) / "custseg.npz", expected=out["expected"], alive=out["p_alive"])
        for k in ("log_likelihood", "converged", "standard_errors"):
            result[k] = out[k]
    else:
        result["gate"] = lifetimes_gate(args, arrays, out)
    Path(args.out).write_text(json.dumps(result))
    return 0


def rel_diff(a: Any, b: Any) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300), initial=0.0))


def lifetimes_gate(args: argparse.Namespace, arrays: dict[str, Any], out: dict) -> dict:
    """lifetimes' predictions at custseg's parameters against custseg's; the parameters."""
    import numpy as np

    cs = json.loads((Path(args.data) / "custseg.json").read_text())
    m, cols = lifetimes_model(args.model, arrays, cs["params"])
    e, a = lifetimes_predict(args.model, m, cols)
    with np.load(Path(args.data) / "custseg.npz") as f:
        de, da = rel_diff(e, f["expected"]), rel_diff(a, f["alive"])
    dp = max(abs(out["params"][k] - v) / v for k, v in cs["params"].items())
    return {"params_rel": dp, "expected_rel": de, "p_alive_rel": da}


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------
def spawn(python: str, model: str, contender: str, folder: Path, repeat: int, timeout: float):
    out = folder / f"{contender}.result.json"
    cmd = [python, str(Path(__file__).resolve()), "--worker", "--model", model]
    cmd += ["--contender", contender, "--data", str(folder), "--out", str(out)]
    cmd += ["--repeat", str(repeat)]
    try:
        proc = subprocess.run(cmd, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"out of time (> {timeout:.0f} s)"}
    if proc.returncode != 0 or not out.exists():
        why = "out of memory" if proc.returncode in (-9, 137) else "failed"
        return {"error": f"{why} (exit code {proc.returncode})"}
    return json.loads(out.read_text())


def check(model: str, cs: dict[str, Any], lt: dict[str, Any], folder: Path) -> str | None:
    """The gate: None when lifetimes and custseg agree, else what differs."""
    g = lt["gate"]
    if g["expected_rel"] > PREDICT_RTOL or g["p_alive_rel"] > PREDICT_RTOL:
        return f"predictions at custseg's parameters differ: {g}"
    if g["params_rel"] > PARAM_RTOL:
        import custseg
        import numpy as np
        import pyarrow as pa

        with np.load(folder / "summary.npz") as f:
            s = pa.table({c: f[c] for c in columns(model)})
        cls = getattr(custseg, MODELS[model][0])
        ll = {
            who: cls.from_params(**r["params"]).log_likelihood_of(s)
            for who, r in (("custseg", cs), ("lifetimes", lt))
        }
        return f"fitted parameters differ by {g['params_rel']:.2e}; log-likelihoods {ll}"
    return None


def bench_one(model: str, n: int, args: argparse.Namespace, lt_python: str | None) -> dict:
    import btyd_simulate
    import numpy as np

    with tempfile.TemporaryDirectory(prefix="bench_btyd_") as tmp:
        folder = Path(tmp)
        np.savez(folder / "summary.npz", **btyd_simulate.simulate(model, n))
        print(f"  {model} at {n:,} customers", flush=True)
        cs = spawn(sys.executable, model, "custseg", folder, args.repeat, 3600)
        row: dict[str, Any] = {"model": model, "customers": n, "custseg": cs}
        if "error" in cs:
            return row
        (folder / "custseg.json").write_text(json.dumps(cs))
        if lt_python is None or n > args.lifetimes_max:
            why = "not in --contenders" if lt_python is None else "beyond --lifetimes-max"
            row["lifetimes"] = {"error": f"not run ({why})"}
            return row
        lt = spawn(lt_python, model, "lifetimes", folder, 1, args.lifetimes_timeout)
        row["lifetimes"] = lt
        if "error" not in lt:
            row["mismatch"] = check(model, cs, lt, folder)
            if row["mismatch"] is None:
                row["ratio"] = {k: lt[k] / cs[k] for k in ("fit_s", "predict_s", "total_s")}
        return row


def print_row(r: dict[str, Any]) -> None:
    cs, lt = r["custseg"], r.get("lifetimes", {})

    def cell(x: dict, k: str) -> str:
        return f"{x[k]:.3f}" if k in x else "-"

    head = f"{r['model']:<7} {r['customers']:>10,}"
    if "error" in cs:
        print(f"{head} custseg {cs['error']}")
        return
    ratio = r.get("ratio", {})
    print(
        f"{head} {cell(cs, 'fit_s'):>9} {cell(cs, 'predict_s'):>9} {cs['peak_mib']:>8.0f} "
        f"{cell(lt, 'fit_s'):>9} {cell(lt, 'predict_s'):>9} "
        f"{lt.get('peak_mib', float('nan')):>8.0f} "
        f"{ratio.get('fit_s', float('nan')):>7.1f}x {ratio.get('total_s', float('nan')):>7.1f}x "
        f"{lt.get('error', r.get('mismatch') or '')}"
    )


def main(argv: list[str] | None = None) -> int:
    import bench_btyd
    import bench_customer_value as bcv

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--customers", default="1M,10M")
    p.add_argument("--contenders", default="custseg,lifetimes")
    p.add_argument("--lifetimes-max", default="1M")
    p.add_argument("--lifetimes-timeout", type=float, default=1800)
    p.add_argument("--lifetimes-python")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="20k customers, 1 run")
    p.add_argument("--json")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    p.add_argument("--contender", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    models = args.models.split(",")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        p.error(f"unknown models {unknown}; choose from {list(MODELS)}")
    sizes = [20_000] if args.quick else [bcv.parse_rows(c) for c in args.customers.split(",")]
    args.repeat = 1 if args.quick else args.repeat
    args.lifetimes_max = bcv.parse_rows(args.lifetimes_max)
    lt_python = None
    if "lifetimes" in args.contenders.split(","):
        lt_python = bench_btyd.lifetimes_python(args.lifetimes_python)
    vers = bcv.versions([])
    if lt_python is not None:
        vers["lifetimes"] = bench_btyd.lifetimes_versions(lt_python)["lifetimes"]
    mach, vers, command = bcv.print_header(vers)
    rows = [bench_one(m, n, args, lt_python) for m in models for n in sizes]
    print(
        f"\n{'model':<7} {'customers':>10} {'cs fit s':>9} {'cs pred s':>9} {'cs MiB':>8} "
        f"{'lt fit s':>9} {'lt pred s':>9} {'lt MiB':>8} {'fit x':>8} {'total x':>8}"
    )
    for r in rows:
        print_row(r)
    if args.json:
        doc = {"command": command, "machine": mach, "versions": vers, "results": rows}
        Path(args.json).write_text(json.dumps(doc, indent=1, default=str))
    bad = [r for r in rows if r.get("mismatch")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
