#!/usr/bin/env python3
"""Benchmark: two (or more) builds of custseg side by side in the same run.

    python benches/bench_compare.py --build old=../builds/old \\
        --build new=../builds/new [--cases customer_value,rfm,clv,btyd]
        [--orders grouped,by-date] [--ids int,str] [--rows 10M] [--btyd-customers 1M]
        [--repeat 7] [--inner 3] [--threads N] [--data-dir DIR] [--strict] [--json out.json]

    # the harness' own noise floor: one build against itself
    python benches/bench_compare.py --build old=../builds/old \\
        --build old2=../builds/old --repeat 5

    # smoke run against whatever custseg the virtual environment imports
    python benches/bench_compare.py --build a=installed --build b=installed --rows 20k \\
        --repeat 1 --inner 1

It answers "is the new build within 5 % of the old on each case". ``--build NAME=DIR``
(repeatable, at least two; the first is the base every other build is compared with): the
worker processes of that build run with DIR first on ``PYTHONPATH`` (a folder holding a
``pip install --no-deps --target DIR`` of a wheel); ``installed`` leaves ``PYTHONPATH`` as it
is, so the worker imports the custseg of the virtual environment. Each build is probed first:
the custseg it imports must lie under DIR (its file, version and the sha256 of its native
module are printed, so two names for one build show as such).

**Cases** (``--cases``), the defaults of each call unless said otherwise, ``as_of``
2026-01-01:

* ``customer_value``, ``rfm``, ``clv`` (``lifetime_years=3``) on
  ``custseg.datasets.synthetic(customers=..., years=4, seed=42, ids=int|str)`` with the
  customer count of ``bench_customer_value.py`` for ``--rows`` (10M: 1,024,000 customers), in
  the row orders ``--orders`` (``grouped``: as generated; ``by-date``: sorted by date, the
  ordering of ``bench_customer_value.load``; ``shuffled`` is accepted too) and ``--ids``;
* ``btyd``: ``BetaGeo().fit`` + ``GammaGamma().fit`` then ``p_alive``,
  ``conditional_expected_purchases`` over 52 weeks and ``predictive_clv`` over 12 months
  (1 % a month) on the summary ``bench_btyd.py`` simulates (its ``simulate``: BG/NBD with the
  CDNOW parameters, times in whole days) for ``--btyd-customers`` customers (default: rows /
  10, so 1M at 10M rows). Its time is fit + predict of the same run; the phases are reported
  apart too.

**Workers.** Every measurement is a fresh ``--worker`` process of this file with the build's
environment. It generates the data (deterministic, not timed; with ``--data-dir`` the driver writes
each input once as Arrow IPC and the workers map it), runs the case once untimed
(the correctness check and warm-up), then ``--inner`` timed runs; its sample is the best of
those (the warm best of one process). Peak RSS is reset after the untimed run (Linux).

**Correctness first.** Before any timing, one worker per (case, order, ids, build) digests
its result: per column, sha256 of the type, the null mask and the values (Arrow IPC bytes,
floats bit for bit); for ``btyd`` the fitted parameters, log-likelihoods, iterations and
every prediction array, bit for bit. Each build's digest must equal the first build's; a
mismatch prints the differing columns with the first differing rows (or the differing
parameters and arrays with their largest difference), says whether the rows are only in
another order, and ends the run with exit code 3 before anything is timed. Every timed
worker checks its result against the same digest again (a build that is not deterministic
fails too).

**Timing.** For each case the builds run interleaved, one worker each per round, the order
turning every round (A B, B A, A B, ...) so that neither build always runs first and drifting
machine load hits both alike; ``--repeat`` rounds. Per build: ``best`` (the fastest sample)
and ``median`` (of the samples); per other build: the ratios build / base of the bests and of
the medians, and ``within 5%`` = yes when the ratio of the bests is at most 1.05 (faster is
fine). The output is a Markdown table, the largest |ratio - 1| per case (with one build
against itself this is the noise floor of the harness on the machine) and, with ``--json``,
every sample. Exit code: 0 when every result matched and every worker ran (with
``--strict``: and every verdict is yes), 1 when a worker failed (or a verdict is no under
``--strict``), 2 for a build that does not import from its DIR, 3 for a mismatch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_btyd as bb  # noqa: E402  (next to this file; stdlib-only at import)
import bench_customer_value as bcv  # noqa: E402

CASES = ("customer_value", "rfm", "clv", "btyd")
TABLE_CASES = CASES[:3]
DEFAULT_ORDERS = ("grouped", "by-date")
AS_OF = "2026-01-01"
LIFETIME_YEARS = 3
TOLERANCE = 0.05
EXIT_FAILED, EXIT_BAD_BUILD, EXIT_MISMATCH = 1, 2, bcv.EXIT_MISMATCH
INSTALLED = "installed"


@dataclass(frozen=True)
class Build:
    name: str
    folder: Path | None  # None: the custseg of the virtual environment

    def env(self, threads: int | None) -> dict[str, str]:
        env = dict(os.environ)
        if self.folder is not None:
            rest = env.get("PYTHONPATH")
            env["PYTHONPATH"] = str(self.folder) + (os.pathsep + rest if rest else "")
        if threads is not None:
            env["RAYON_NUM_THREADS"] = str(threads)
        return env

    @property
    def label(self) -> str:
        return INSTALLED if self.folder is None else str(self.folder)


@dataclass(frozen=True)
class Cell:
    case: str
    order: str  # "-" for btyd
    ids: str  # "-" for btyd

    @property
    def key(self) -> str:
        return f"{self.case} {self.order} {self.ids}"

    @property
    def slug(self) -> str:
        return f"{self.case}_{self.order}_{self.ids}".replace("-", "")


# ---------------------------------------------------------------------------
# The cases (in the worker)
# ---------------------------------------------------------------------------
def make_data(case: str, rows: int, order: str, ids: str, btyd_customers: int) -> Any:
    """The case's input, generated in this process (deterministic)."""
    if case == "btyd":
        return bb.custseg_input(bb.simulate(btyd_customers))
    return bcv.load(rows, ids, order)


def data_file(data_dir: str, case: str, rows: int, order: str, ids: str, btyd: int) -> Path:
    """The Arrow IPC file of a case's input in ``data_dir`` (the table cases share one)."""
    name = f"btyd-{btyd}" if case == "btyd" else f"table-{rows}-{order}-{ids}"
    return Path(data_dir) / f"{name}.arrow"


def write_data(args: argparse.Namespace, cells: list[Cell]) -> None:
    """Writes every cell's input once to ``--data-dir`` (uncompressed Arrow IPC), so the
    workers map it instead of generating it again: the same bytes for every build."""
    import pyarrow as pa

    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    for c in cells:
        path = data_file(args.data_dir, c.case, args.rows_n, c.order, c.ids, args.btyd_n)
        if path.exists():
            continue
        table = make_data(c.case, args.rows_n, c.order, c.ids, args.btyd_n)
        tmp = path.with_suffix(".tmp")
        with pa.OSFile(str(tmp), "wb") as f, pa.ipc.new_file(f, table.schema) as w:
            w.write_table(table)
        tmp.rename(path)
        print(f"data: {path} ({table.num_rows:,} rows)", flush=True)


def read_data(args: argparse.Namespace) -> Any:
    """The case's input: mapped from ``--data-dir`` when given, else generated here."""
    if not args.data_dir:
        return make_data(args.case, args.rows, args.order, args.ids, args.btyd_customers)
    import pyarrow as pa

    path = data_file(args.data_dir, args.case, args.rows, args.order, args.ids, args.btyd_customers)
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()


def run_table_case(case: str, table: Any, threads: int | None) -> Any:
    import custseg

    extra: dict[str, Any] = {} if threads is None else {"threads": threads}
    if case == "customer_value":
        return custseg.customer_value(table, as_of=AS_OF, **extra)
    if case == "rfm":
        return custseg.rfm(table, as_of=AS_OF, **extra)
    if case == "clv":
        return custseg.clv(table, as_of=AS_OF, lifetime_years=LIFETIME_YEARS, **extra)
    raise ValueError(f"unknown case {case!r}")


def as_arrow(result: Any) -> Any:
    import pyarrow as pa

    if isinstance(result, pa.Table):
        return result
    if hasattr(result, "to_arrow"):  # polars
        return result.to_arrow()
    return pa.Table.from_pandas(result, preserve_index=False)


def sha(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def column_digest(col: Any) -> str:
    """sha256 of a column's type, null mask and values (Arrow IPC bytes of the valid values,
    floats bit for bit; what the null slots hold does not count)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    typ = str(arr.type).encode()
    valid = pc.is_valid(arr)
    mask = np.asarray(valid.to_numpy(zero_copy_only=False), dtype=np.uint8).tobytes()
    values = arr.filter(valid) if arr.null_count else arr
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_boolean(values.type):
        values = values.cast(pa.uint8())  # no stray bits past the end of a bitmap
    values = pa.concat_arrays([values])  # fresh buffers at offset 0
    sink = pa.BufferOutputStream()
    one = pa.table({"v": values})
    with pa.ipc.new_stream(sink, one.schema) as w:
        w.write_table(one)
    return sha(typ, mask, sink.getvalue().to_pybytes())


def table_digest(table: Any) -> dict[str, str]:
    out = {
        "__columns__": sha(json.dumps([[f.name, str(f.type)] for f in table.schema]).encode()),
        "__rows__": str(table.num_rows),
    }
    for name in table.column_names:
        out[name] = column_digest(table[name])
    return out


def btyd_result(models: Any, predictions: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fitted parameters etc. as JSON-able values, floats as float.hex; prediction arrays)."""
    import numpy as np

    fit, arrays = bb.custseg_result(models, predictions)

    def exact(v: Any) -> Any:
        if isinstance(v, float):
            return v.hex()
        if isinstance(v, dict):
            return {k: exact(x) for k, x in v.items()}
        if isinstance(v, list):
            return [exact(x) for x in v]
        return v

    return exact(fit), {k: np.ascontiguousarray(a) for k, a in arrays.items()}


def btyd_digest(fit: dict[str, Any], arrays: dict[str, Any]) -> dict[str, str]:
    out = {"fit": sha(json.dumps(fit, sort_keys=True).encode())}
    for k, a in arrays.items():
        out[k] = sha(f"{a.dtype.str} {a.shape}".encode(), a.tobytes())
    return out


def save_result(case: str, result: Any, path: Path) -> None:
    """The untimed result on disk, for the driver's diff."""
    if case == "btyd":
        import numpy as np

        fit, arrays = result
        Path(str(path) + ".json").write_text(json.dumps(fit, sort_keys=True))
        np.savez(str(path) + ".npz", **arrays)
        return
    import pyarrow as pa

    with pa.OSFile(str(path) + ".arrow", "wb") as f, pa.ipc.new_file(f, result.schema) as w:
        w.write_table(result)


def worker(args: argparse.Namespace) -> int:
    """One (case, order, ids) of one build in this fresh process; writes its result as JSON."""
    import custseg

    case, threads = args.case, args.threads
    info: dict[str, Any] = {
        "custseg_file": str(Path(custseg.__file__).resolve()),
        "custseg_version": getattr(custseg, "__version__", None),
    }
    t0 = time.perf_counter()
    data = read_data(args)
    info["load_s"] = time.perf_counter() - t0
    info["input_rows"] = data.num_rows
    info["input_arrow_bytes"] = data.nbytes
    bcv.release_memory()
    info["rss_loaded_kib"] = bcv.rss_kib()

    # Untimed: the result to check (and the warm-up).
    t0 = time.perf_counter()
    if case == "btyd":
        models = bb.custseg_fit(data)
        result: Any = btyd_result(models, bb.custseg_predict(models, data))
        digest = btyd_digest(*result)
        info["result_rows"] = len(result[1]["p_alive"])
        del models
    else:
        result = as_arrow(run_table_case(case, data, threads))
        digest = table_digest(result)
        info["result_rows"] = result.num_rows
    info["first_s"] = time.perf_counter() - t0
    info["digest"] = digest
    out = Path(args.out)
    mismatch = False
    if args.expect:
        expected = json.loads(Path(args.expect).read_text())
        mismatch = expected != digest
    if args.save and (mismatch or not args.expect):
        save_result(case, result, Path(args.save))
    if mismatch or args.check_only:
        out.write_text(json.dumps(info))
        return EXIT_MISMATCH if mismatch else 0
    del result
    bcv.release_memory()
    info["peak_reset"] = bcv.reset_peak()

    times, fit_s, predict_s = [], [], []
    for _ in range(args.inner):
        if case == "btyd":
            t0 = time.perf_counter()
            models = bb.custseg_fit(data)
            t1 = time.perf_counter()
            predictions = bb.custseg_predict(models, data)
            t2 = time.perf_counter()
            fit_s.append(t1 - t0)
            predict_s.append(t2 - t1)
            times.append(t2 - t0)
            del models, predictions
        else:
            t0 = time.perf_counter()
            r = run_table_case(case, data, threads)
            times.append(time.perf_counter() - t0)
            del r
    info["peak_rss_kib"] = bcv.peak_kib()
    info["times_s"] = times
    if case == "btyd":
        info["fit_s"], info["predict_s"] = fit_s, predict_s
    out.write_text(json.dumps(info))
    return 0


# ---------------------------------------------------------------------------
# Diffs (in the driver)
# ---------------------------------------------------------------------------
def bits(arr: Any) -> Any:
    """A float array as the integers of its bits (NaN equal to itself, -0.0 not 0.0)."""
    import pyarrow as pa

    width = {16: pa.int16(), 32: pa.int32(), 64: pa.int64()}[arr.type.bit_width]
    return pa.Array.from_buffers(width, len(arr), arr.buffers()[:2], arr.null_count, arr.offset)


def differing_rows(a: Any, b: Any) -> Any:
    """Boolean mask of the rows where two arrays of one type differ (nulls included)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(a.type):
        a, b = a.dictionary_decode(), b.dictionary_decode()
    if pa.types.is_floating(a.type):
        a, b = bits(a), bits(b)
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    same = pc.or_(both_null, pc.fill_null(pc.equal(a, b), False))
    return pc.invert(same)


def table_diff(ref: Any, got: Any, ref_name: str, got_name: str, limit: int = 10) -> str:
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = []
    if ref.num_rows != got.num_rows:
        lines.append(f"rows: {ref_name} {ref.num_rows:,}, {got_name} {got.num_rows:,}")
    ref_cols = [(f.name, str(f.type)) for f in ref.schema]
    got_cols = [(f.name, str(f.type)) for f in got.schema]
    if ref_cols != got_cols:
        lines.append(f"columns: {ref_name} {ref_cols}\n         {got_name} {got_cols}")
    common = [c for c in ref.column_names if c in got.column_names]
    if ref.num_rows == got.num_rows:
        key = ref["customer_id"] if "customer_id" in common else None
        for name in common:
            a, b = ref[name].combine_chunks(), got[name].combine_chunks()
            if a.type != b.type:
                lines.append(f"column {name}: type {a.type} ({ref_name}) vs {b.type} ({got_name})")
                continue
            bad = differing_rows(a, b)
            count = pc.sum(bad.cast(pa.int64())).as_py() or 0
            if not count:
                continue
            first_a, first_b = a.filter(bad)[:limit], b.filter(bad)[:limit]
            shown = {ref_name: first_a, got_name: first_b}
            if pa.types.is_floating(a.type):  # every digit, and the difference
                shown = {
                    ref_name: pa.array([repr(x) for x in first_a.to_pylist()]),
                    got_name: pa.array([repr(x) for x in first_b.to_pylist()]),
                    "difference": pc.subtract(first_b, first_a),
                }
            if key is not None:
                shown = {"customer_id": key.filter(bad)[:limit], **shown}
            text = pa.table(shown).to_pandas().to_string(index=False)
            lines.append(
                f"column {name}: {count:,} of {ref.num_rows:,} rows differ (first {limit}):\n{text}"
            )
        same_order = len(lines) > 0 and ref_cols == got_cols and "customer_id" in common
        if same_order:
            try:
                a, b = ref.sort_by("customer_id"), got.sort_by("customer_id")
                if all(
                    not pc.any(differing_rows(a[c].combine_chunks(), b[c].combine_chunks())).as_py()
                    for c in common
                ):
                    lines.append(
                        "(sorted by customer_id the two are equal: only the row order differs)"
                    )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
    return "\n".join(lines) or "(the digests differ but no difference was found in the values)"


def btyd_diff(ref_path: Path, got_path: Path, ref_name: str, got_name: str) -> str:
    import numpy as np

    lines = []
    ref_fit = json.loads(Path(str(ref_path) + ".json").read_text())
    got_fit = json.loads(Path(str(got_path) + ".json").read_text())

    def flat(d: Any, prefix: str = "") -> dict[str, Any]:
        if isinstance(d, dict):
            out: dict[str, Any] = {}
            for k, v in d.items():
                out.update(flat(v, f"{prefix}{k}."))
            return out
        return {prefix[:-1]: d}

    def show(v: Any) -> str:
        return f"{float.fromhex(v)!r} ({v})" if isinstance(v, str) else repr(v)

    fa, fb = flat(ref_fit), flat(got_fit)
    for k in sorted(set(fa) | set(fb)):
        va, vb = fa.get(k), fb.get(k)
        if va != vb:
            lines.append(f"{k}: {ref_name} {show(va)}, {got_name} {show(vb)}")
    with np.load(str(ref_path) + ".npz") as fr, np.load(str(got_path) + ".npz") as fg:
        for k in fr.files:
            a, b = fr[k], fg[k] if k in fg.files else None
            if b is None or a.shape != b.shape or a.dtype != b.dtype:
                what = "missing" if b is None else f"{b.dtype} {b.shape}"
                lines.append(f"{k}: {ref_name} {a.dtype} {a.shape}, {got_name} {what}")
                continue
            bad = a.view(np.uint64) != b.view(np.uint64) if a.dtype == np.float64 else a != b
            n = int(bad.sum())
            if n:
                diff = np.abs(a[bad] - b[bad])
                rel = bb.rel_diffs(a[bad], b[bad])
                first = ", ".join(
                    f"[{i}] {a[i].item()!r} vs {b[i].item()!r}" for i in np.flatnonzero(bad)[:5]
                )
                lines.append(
                    f"{k}: {n:,} of {a.size:,} values differ; largest absolute difference "
                    f"{float(np.nanmax(diff)):.3g}, relative {float(rel.max()):.3g}; {first}"
                )
    return "\n".join(lines) or "(the digests differ but no difference was found in the values)"


def result_diff(case: str, ref: Path, got: Path, ref_name: str, got_name: str) -> str:
    if case == "btyd":
        return btyd_diff(ref, got, ref_name, got_name)
    import pyarrow as pa

    with pa.memory_map(str(ref) + ".arrow") as a, pa.memory_map(str(got) + ".arrow") as b:
        return table_diff(
            pa.ipc.open_file(a).read_all(), pa.ipc.open_file(b).read_all(), ref_name, got_name
        )


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------
PROBE = (
    "import custseg, hashlib, json, pathlib\n"
    "f = pathlib.Path(custseg.__file__).resolve()\n"
    "core = pathlib.Path(custseg._core.__file__).resolve()\n"
    "print(json.dumps({'file': str(f), 'version': getattr(custseg, '__version__', None), "
    "'core': str(core), 'core_sha256': hashlib.sha256(core.read_bytes()).hexdigest()}))"
)


def probe(build: Build) -> dict[str, Any]:
    """Where the build's workers import custseg from; exits when that is not its DIR."""
    r = subprocess.run(
        [sys.executable, "-c", PROBE], env=build.env(None), capture_output=True, text=True
    )
    if r.returncode != 0:
        print(
            f"build {build.name} ({build.label}): import custseg failed:\n{r.stderr}",
            file=sys.stderr,
        )
        sys.exit(EXIT_BAD_BUILD)
    info: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    if build.folder is not None and not Path(info["file"]).is_relative_to(build.folder.resolve()):
        print(
            f"build {build.name}: its workers import custseg from {info['file']}, not from "
            f"{build.folder} (is DIR a `pip install --target` of the wheel?)",
            file=sys.stderr,
        )
        sys.exit(EXIT_BAD_BUILD)
    info["name"], info["dir"] = build.name, build.label
    return info


def spawn(
    build: Build, cell: Cell, args: argparse.Namespace, tmp: Path, extra: list[str]
) -> tuple[int, dict[str, Any]]:
    """One worker of ``build`` on ``cell``; (exit code, what it wrote)."""
    out = tmp / f"{cell.slug}.{build.name}.out.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--case", cell.case]
    cmd += ["--order", cell.order, "--ids", cell.ids, "--rows", str(args.rows_n)]
    cmd += ["--btyd-customers", str(args.btyd_n), "--inner", str(args.inner), "--out", str(out)]
    if args.threads is not None:
        cmd += ["--threads", str(args.threads)]
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    proc = subprocess.run(cmd + extra, env=build.env(args.threads))
    info: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    if proc.returncode not in (0, EXIT_MISMATCH) or not info:
        why = "killed (out of memory?)" if proc.returncode in (-9, 137) else "failed"
        info["error"] = f"{why}: exit code {proc.returncode}"
    return proc.returncode, info


def plan(args: argparse.Namespace) -> list[Cell]:
    cells = []
    for case in args.case_list:
        if case == "btyd":
            cells.append(Cell("btyd", "-", "-"))
            continue
        for order in args.order_list:
            for ids in args.ids_list:
                cells.append(Cell(case, order, ids))
    return cells


def check_phase(
    builds: list[Build], cells: list[Cell], args: argparse.Namespace, tmp: Path
) -> tuple[dict[str, Any], list[str]]:
    """Every build's untimed result of every cell against the first build's."""
    base = builds[0]
    checks: dict[str, Any] = {}
    problems: list[str] = []
    for cell in cells:
        ref_digest = tmp / f"{cell.slug}.digest.json"
        ref_saved = tmp / f"{cell.slug}.{base.name}.result"
        entry: dict[str, Any] = {"digests": {}, "equal": {}}
        checks[cell.key] = entry
        for build in builds:
            extra = ["--check-only", "--save", str(tmp / f"{cell.slug}.{build.name}.result")]
            if build is not base:
                extra += ["--expect", str(ref_digest)]
            code, info = spawn(build, cell, args, tmp, extra)
            if "error" in info:
                problems.append(f"{cell.key} {build.name}: worker {info['error']}")
                print(f"check {cell.key:<28} {build.name}: worker {info['error']}", flush=True)
                break
            entry["digests"][build.name] = info["digest"]
            entry["result_rows"] = info["result_rows"]
            entry["input_rows"] = info["input_rows"]
            if build is base:
                ref_digest.write_text(json.dumps(info["digest"]))
                print(
                    f"check {cell.key:<28} {build.name}: {info['result_rows']:,} result rows "
                    f"from {info['input_rows']:,} input rows (reference)",
                    flush=True,
                )
                continue
            equal = code == 0
            entry["equal"][build.name] = equal
            if equal:
                print(f"check {cell.key:<28} {build.name}: equal to {base.name}", flush=True)
                continue
            got = info["digest"]
            expected = json.loads(ref_digest.read_text())
            parts = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
            text = result_diff(
                cell.case,
                ref_saved,
                tmp / f"{cell.slug}.{build.name}.result",
                base.name,
                build.name,
            )
            msg = f"MISMATCH {cell.key}: {build.name} differs from {base.name} in {parts}\n{text}"
            entry["diff"] = msg
            problems.append(msg)
            print(f"check {cell.key:<28} {build.name}: DIFFERS from {base.name}\n{msg}", flush=True)
    return checks, problems


def timing_phase(
    builds: list[Build], cells: list[Cell], args: argparse.Namespace, tmp: Path
) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], list[str]]:
    """``--repeat`` rounds per cell, one worker per build each, the order turning per round."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    problems: list[str] = []
    total = len(cells) * args.repeat * len(builds)
    done = 0
    for cell in cells:
        runs[cell.key] = {b.name: [] for b in builds}
        expect = ["--expect", str(tmp / f"{cell.slug}.digest.json")]
        for i in range(args.repeat):
            shift = i % len(builds)
            for build in builds[shift:] + builds[:shift]:
                save = ["--save", str(tmp / f"{cell.slug}.{build.name}.timed")]
                code, info = spawn(build, cell, args, tmp, expect + save)
                done += 1
                if code == EXIT_MISMATCH and "error" not in info:
                    text = result_diff(
                        cell.case,
                        tmp / f"{cell.slug}.{builds[0].name}.result",
                        tmp / f"{cell.slug}.{build.name}.timed",
                        builds[0].name,
                        build.name,
                    )
                    info["error"] = "result differs from the checked one (not deterministic?)"
                    problems.append(f"MISMATCH {cell.key} {build.name} round {i + 1}:\n{text}")
                    print(problems[-1], flush=True)
                info.pop("digest", None)
                runs[cell.key][build.name].append(info)
                if "error" in info:
                    if code != EXIT_MISMATCH:
                        problems.append(f"{cell.key} {build.name}: worker {info['error']}")
                    text = info["error"]
                else:
                    text = " ".join(f"{t:.4f}" for t in info["times_s"]) + " s"
                print(f"[{done:>3}/{total}] {cell.key:<28} {build.name:<8} {text}", flush=True)
    return runs, problems


def stats(samples: list[dict[str, Any]], key: str = "times_s") -> dict[str, Any] | None:
    good = [min(s[key]) for s in samples if "error" not in s]
    if not good:
        return None
    return {"samples_s": good, "best_s": min(good), "median_s": statistics.median(good)}


def summarize(builds: list[Build], cells: list[Cell], runs: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per cell (and per btyd phase): per build best/median, ratios to the base."""
    rows = []
    base = builds[0].name
    for cell in cells:
        phases = [("times_s", "")]
        if cell.case == "btyd":
            phases += [("fit_s", "fit"), ("predict_s", "predict")]
        for key, phase in phases:
            row: dict[str, Any] = {
                "case": cell.case,
                "phase": phase or "total",
                "order": cell.order,
                "ids": cell.ids,
                "acceptance": phase == "",
                "builds": {},
            }
            for b in builds:
                row["builds"][b.name] = stats(runs[cell.key][b.name], key)
            ref = row["builds"][base]
            for b in builds[1:]:
                got = row["builds"][b.name]
                if ref and got:
                    got["ratio_best"] = got["best_s"] / ref["best_s"]
                    got["ratio_median"] = got["median_s"] / ref["median_s"]
                    got["within_5pct"] = got["ratio_best"] <= 1 + TOLERANCE
            rows.append(row)
    return rows


def markdown(builds: list[Build], rows: list[dict[str, Any]], size: dict[str, str]) -> str:
    base = builds[0].name
    head = ["case", "order", "ids", "size", f"{base} best s", f"{base} median s"]
    for b in builds[1:]:
        n = b.name
        head += [f"{n} best s", f"{n} median s", f"{n}/{base} best", f"{n}/{base} median"]
        head += ["within 5%"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        case = r["case"] if r["acceptance"] else f"{r['case']} ({r['phase']})"
        cells = [case, r["order"], r["ids"], size["btyd" if r["case"] == "btyd" else "table"]]
        ref = r["builds"][base]
        cells += [f"{ref['best_s']:.4f}", f"{ref['median_s']:.4f}"] if ref else ["error"] * 2
        for b in builds[1:]:
            got = r["builds"][b.name]
            if not got or "ratio_best" not in got:
                cells += ["error" if not got else f"{got['best_s']:.4f}"] + ["-"] * 4
                continue
            verdict = "yes" if got["within_5pct"] else "**no**"
            if not r["acceptance"]:
                verdict = f"({verdict})"
            cells += [f"{got['best_s']:.4f}", f"{got['median_s']:.4f}"]
            cells += [f"{got['ratio_best']:.3f}", f"{got['ratio_median']:.3f}", verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def noise_summary(builds: list[Build], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per case and other build: the largest |ratio - 1| over its orders and ids."""
    out = []
    for b in builds[1:]:
        for case in dict.fromkeys(r["case"] for r in rows):
            got = [
                r["builds"][b.name]
                for r in rows
                if r["case"] == case
                and r["acceptance"]
                and (r["builds"][b.name] or {}).get("ratio_best")
            ]
            if got:
                out.append(
                    {
                        "build": b.name,
                        "case": case,
                        "max_abs_best": max(abs(g["ratio_best"] - 1) for g in got),
                        "max_abs_median": max(abs(g["ratio_median"] - 1) for g in got),
                    }
                )
    return out


def parse_builds(p: argparse.ArgumentParser, specs: list[str]) -> list[Build]:
    builds = []
    for spec in specs:
        name, sep, folder = spec.partition("=")
        name = name.strip()
        if not sep or not name or not folder:
            p.error(f"--build {spec!r}: expected NAME=DIR or NAME={INSTALLED}")
        if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            p.error(f"--build {spec!r}: NAME is letters, digits, '-', '_', '.'")
        if folder == INSTALLED:
            builds.append(Build(name, None))
            continue
        path = Path(folder).expanduser().absolute()
        if not (path / "custseg").is_dir():
            p.error(f"--build {spec!r}: {path} holds no custseg package")
        builds.append(Build(name, path))
    if len(builds) < 2:
        p.error("give at least two --build NAME=DIR (the first is the base)")
    if len({b.name for b in builds}) != len(builds):
        p.error("the --build names must differ")
    return builds


def split(text: str, allowed: tuple[str, ...], what: str, p: argparse.ArgumentParser) -> list[str]:
    items = list(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    for bad in [i for i in items if i not in allowed]:
        p.error(f"unknown {what} {bad!r} ({', '.join(allowed)})")
    if not items:
        p.error(f"no {what} given")
    return items


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--build",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help=f"a build: DIR first on PYTHONPATH, or {INSTALLED} (repeat; the first is the base)",
    )
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ",".join(CASES))
    p.add_argument("--orders", default=",".join(DEFAULT_ORDERS), help="grouped,by-date,shuffled")
    p.add_argument("--ids", default="int,str", help="comma-separated: int,str")
    p.add_argument("--rows", default="10M", help="rows of the transaction table (10M)")
    p.add_argument(
        "--btyd-customers", default=None, help="customers of the btyd summary (rows / 10)"
    )
    p.add_argument("--repeat", type=int, default=7, help="rounds: worker processes per build")
    p.add_argument("--inner", type=int, default=3, help="timed runs per worker (its best counts)")
    p.add_argument("--threads", type=int, default=None, help="custseg threads (all cores)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a verdict is no")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument(
        "--data-dir",
        default=None,
        help="write each input once to this folder as Arrow IPC and map it in the workers "
        "(instead of generating it in every worker: much faster at 10M rows)",
    )
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--case", default=None, help=argparse.SUPPRESS)
    p.add_argument("--order", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    p.add_argument("--expect", default=None, help=argparse.SUPPRESS)
    p.add_argument("--save", default=None, help=argparse.SUPPRESS)
    p.add_argument("--check-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    for opt in ("repeat", "inner"):
        if getattr(args, opt) < 1:
            p.error(f"--{opt} must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    args.rows_n = bcv.parse_rows(args.rows)
    args.btyd_n = (
        bcv.parse_rows(args.btyd_customers) if args.btyd_customers else max(args.rows_n // 10, 1)
    )
    if args.worker:
        args.rows, args.btyd_customers = args.rows_n, args.btyd_n
        return worker(args)

    builds = parse_builds(p, args.build)
    args.case_list = split(args.cases, CASES, "case", p)
    args.order_list = split(args.orders, bcv.ORDERS, "order", p)
    args.ids_list = split(args.ids, ("int", "str"), "ids", p)
    cells = plan(args)

    import importlib.metadata as md

    vers = {}
    for pkg in ("pyarrow", "numpy"):
        try:
            vers[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            vers[pkg] = "missing"
    mach, vers, command = bcv.print_header(vers)
    probes = [probe(b) for b in builds]
    if args.data_dir:
        write_data(args, cells)
    for info in probes:
        print(
            f"build {info['name']}: custseg {info['version']} from {info['file']} "
            f"(--build {info['dir']}; native module sha256 {info['core_sha256'][:16]})"
        )
    cust = bcv.customers_for(args.rows_n)
    size = {
        "table": f"{bcv.rows_label(args.rows_n)} rows",
        "btyd": f"{bcv.rows_label(args.btyd_n)} cust.",
    }
    threads = "all cores" if args.threads is None else str(args.threads)
    print(
        f"data: custseg.datasets.synthetic(customers={cust:,}, years={bcv.YEARS}, "
        f"seed={bcv.SEED}) (~{bcv.rows_label(args.rows_n)} rows), orders {args.order_list}, "
        f"ids {args.ids_list}; btyd: bench_btyd.simulate({args.btyd_n:,}) (seed {bb.SEED}); "
        f"as_of {AS_OF}, clv lifetime_years={LIFETIME_YEARS}; threads: {threads}"
    )
    print(
        f"each sample: a fresh worker, best of {args.inner} timed runs after an untimed one; "
        f"{args.repeat} rounds per case, builds interleaved (order turning each round); "
        f"within 5% = best {'/'.join(b.name for b in builds[1:])} / {builds[0].name} "
        f"<= {1 + TOLERANCE:.2f}\n",
        flush=True,
    )

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_compare_") as tmp_name:
        tmp = Path(tmp_name)
        checks, problems = check_phase(builds, cells, args, tmp)
        mismatched = any(m.startswith("MISMATCH") for m in problems)
        runs: dict[str, Any] = {}
        rows: list[dict[str, Any]] = []
        noise: list[dict[str, Any]] = []
        if problems:
            print(
                f"\n{'MISMATCH' if mismatched else 'FAILED'}: "
                f"{len(problems)} problem(s) before timing; nothing is timed.",
                file=sys.stderr,
            )
        else:
            print(f"\nevery build gives the result of {builds[0].name} on every case\n")
            runs, problems = timing_phase(builds, cells, args, tmp)
            mismatched = any(m.startswith("MISMATCH") for m in problems)
            rows = summarize(builds, cells, runs)
            noise = noise_summary(builds, rows)
            print()
            print(markdown(builds, rows, size))
            print()
            for n in noise:
                print(
                    f"largest |ratio - 1| {n['build']}/{builds[0].name} {n['case']:<15}: "
                    f"best {n['max_abs_best']:.1%}, median {n['max_abs_median']:.1%}"
                )
            accept = [r for r in rows if r["acceptance"]]
            for b in builds[1:]:
                yes = sum(1 for r in accept if (r["builds"][b.name] or {}).get("within_5pct"))
                print(f"{b.name}: within 5% of {builds[0].name} on {yes} of {len(accept)} cases")
    elapsed = time.perf_counter() - started
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"\n{elapsed:.0f} s in all; load average (1 min) at the end {load_end}")
    for m in problems:
        print(m.splitlines()[0], file=sys.stderr)

    if args.json:
        doc = {
            "command": command,
            "machine": mach,
            "versions": vers,
            "builds": probes,
            "config": {
                "cases": args.case_list,
                "orders": args.order_list,
                "ids": args.ids_list,
                "rows": args.rows_n,
                "customers": cust,
                "btyd_customers": args.btyd_n,
                "repeat": args.repeat,
                "inner": args.inner,
                "threads": args.threads,
                "as_of": AS_OF,
                "lifetime_years": LIFETIME_YEARS,
                "years": bcv.YEARS,
                "seed": bcv.SEED,
                "tolerance": TOLERANCE,
            },
            "checks": checks,
            "runs": runs,
            "rows": rows,
            "noise": noise,
            "problems": problems,
            "elapsed_s": elapsed,
            "load_average_1m_end": load_end,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {args.json}")
    if mismatched:
        return EXIT_MISMATCH
    if problems:
        return EXIT_FAILED
    if args.strict and any(
        not (r["builds"][b.name] or {}).get("within_5pct")
        for r in rows
        if r["acceptance"]
        for b in builds[1:]
    ):
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
