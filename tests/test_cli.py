"""The command line (``custseg demo``, ``cv``, ``rfm``, ``clv``): in-process through
``custseg.cli.main`` and as a real ``python -m custseg`` process.

Results written by the CLI must equal what ``custseg.customer_value`` returns for
the same table and options; bad input must give exit code 2 and one line on
stderr, ``custseg: error: ...``, naming the column, row and rule (I4).
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import custseg as cs
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from custseg import cli
from custseg.cli import main

EXIT_BAD_INPUT = 2
SUMMARY_LINE = re.compile(
    r"^(?P<group>\d [A-Z]+)\s+(?P<segment>[A-Z]+)\s+(?P<customers>[\d,]+)\s+"
    r"(?P<cust_pct>[\d.]+)%\s+(?P<mon_pct>[\d.]+)%$"
)


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def tx() -> pa.Table:
    """A small synthetic transaction table (int ids, date32 days, float64 amounts)."""
    return cs.datasets.synthetic(customers=400, years=3, seed=5)


def write(table: pa.Table, path: Path) -> Path:
    """Writes a table as Parquet, CSV or Arrow IPC, by suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        pcsv.write_csv(table, path)
    elif path.suffix in (".arrow", ".ipc", ".feather"):
        feather.write_feather(table, path)
    else:
        pq.write_table(table, path)
    return path


def read(path: Path) -> pa.Table:
    """Reads a CLI output file back, by suffix."""
    if path.suffix == ".csv":
        return pcsv.read_csv(path)
    if path.suffix == ".arrow":
        return feather.read_table(path)
    return pq.read_table(path)


def plain(table: Any) -> list[dict[str, Any]]:
    """Rows of a result with the label columns as plain strings (file formats differ
    in how they keep the ordered dictionaries)."""
    if not isinstance(table, pa.Table):
        table = pa.table(table)
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table.to_pylist()


def run(argv: list[Any], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``custseg.cli.main`` in-process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(code: int, err: str, *needles: str) -> str:
    """Exit code 2 and exactly one stderr line ``custseg: error: ...`` with every needle."""
    assert code == EXIT_BAD_INPUT, err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("custseg: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def with_nan(table: pa.Table, row: int, column: str = "amount") -> pa.Table:
    values = table[column].to_numpy().copy()
    values[row] = np.nan
    i = table.schema.get_field_index(column)
    return table.set_column(i, column, pa.array(values, pa.float64()))


def parse_summary(out: str) -> list[tuple[str, str, int, float, float]]:
    rows = []
    for line in out.splitlines():
        m = SUMMARY_LINE.match(line.strip())
        if m:
            rows.append(
                (
                    m["group"],
                    m["segment"],
                    int(m["customers"].replace(",", "")),
                    float(m["cust_pct"]),
                    float(m["mon_pct"]),
                )
            )
    return rows


def expected_summary(cv: pa.Table) -> list[tuple[str, str, int, float, float]]:
    return [
        (
            r["cv_group"],
            r["cv_segment"],
            r["customers"],
            round(100 * r["customer_share"], 1),
            round(100 * r["monetary_share"], 1),
        )
        for r in cs.segment_summary(cv).to_pylist()
    ]


def assert_summary_printed(out: str, cv: pa.Table) -> None:
    assert re.search(r"cv_group\s+cv_segment\s+customers\s+cust %\s+monetary %", out), out
    got = parse_summary(out)
    want = expected_summary(cv)
    assert [g[:3] for g in got] == [w[:3] for w in want], out
    for g, w in zip(got, want, strict=True):
        assert g[3] == pytest.approx(w[3], abs=0.051) and g[4] == pytest.approx(w[4], abs=0.051)


# --------------------------------------------------------------------------- demo


def _demo_expected() -> pa.Table:
    # `custseg demo` defaults: 4 years, seed 42, seasons from January, as_of 2026-01-01.
    data = cs.datasets.synthetic(customers=5000, years=4, seed=42)
    return cs.customer_value(data, periods=cs.Periods.semiannual(start_month=1), as_of="2026-01-01")


def _check_demo(code: int, out: str, err: str, path: Path) -> None:
    assert code == 0, err
    assert path.exists(), out
    result = pq.read_table(path)
    assert result.num_rows == len(set(result["customer_id"].to_pylist()))  # one row per customer
    assert 0 < result.num_rows <= 5000
    expected = _demo_expected()
    assert plain(result) == plain(expected)
    assert_summary_printed(out, expected)
    assert f"{result.num_rows:,} customers" in out


def test_demo_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["demo", "--customers", "5000", "-o", "tmp/x.parquet"], capsys)
    _check_demo(code, out, err, tmp_path / "tmp" / "x.parquet")


def test_demo_subprocess(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "custseg", "demo", "--customers", "5000", "-o", "tmp/x.parquet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    _check_demo(proc.returncode, proc.stdout, proc.stderr, tmp_path / "tmp" / "x.parquet")


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".arrow"])
def test_cv_input_formats(
    tx: pa.Table, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / f"tx{suffix}")
    out_path = tmp_path / "out" / "cv.parquet"
    code, out, err = run(["cv", src, "-o", out_path], capsys)
    assert code == 0, err
    expected = cs.customer_value(tx)
    assert plain(read(out_path)) == plain(expected)
    assert_summary_printed(out, expected)


def test_cv_csv_string_ids(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = cs.datasets.synthetic(customers=300, years=3, seed=9, ids="str")
    src = write(data, tmp_path / "tx.csv")
    out_path = tmp_path / "cv.arrow"
    code, _, err = run(["cv", src, "-o", out_path, "-q"], capsys)
    assert code == 0, err
    result = read(out_path)
    assert pa.types.is_string(result.schema.field("customer_id").type) or pa.types.is_large_string(
        result.schema.field("customer_id").type
    )
    assert plain(result) == plain(cs.customer_value(data))


@pytest.fixture
def parts(tx: pa.Table, tmp_path: Path) -> tuple[Path, pa.Table]:
    """tx split over three Parquet files in one folder (plus a Spark-style _SUCCESS
    marker and a hidden file, which are not data)."""
    folder = tmp_path / "parts"
    n = tx.num_rows
    cuts = [0, n // 3, 2 * n // 3, n]
    for i in range(3):
        write(tx.slice(cuts[i], cuts[i + 1] - cuts[i]), folder / f"part-{i}.parquet")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-0.parquet.crc").write_text("not parquet")
    return folder, pa.concat_tables([tx.slice(cuts[i], cuts[i + 1] - cuts[i]) for i in range(3)])


@pytest.mark.parametrize("how", ["folder", "glob", "files"])
def test_cv_several_files(
    parts: tuple[Path, pa.Table], how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, concatenated = parts
    choices: dict[str, list[Any]] = {
        "folder": [folder],
        "glob": [str(folder / "part-*.parquet")],
        "files": sorted(folder.glob("part-*.parquet")),
    }
    inputs = choices[how]
    out_path = tmp_path / "cv.parquet"
    code, _, err = run(["cv", *inputs, "-o", out_path, "-q", "--as-of", "2025-08-01"], capsys)
    assert code == 0, err
    expected = cs.customer_value(concatenated, as_of="2025-08-01")
    assert plain(read(out_path)) == plain(expected)


# --------------------------------------------------------------------------- options


OPTION_CASES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "quarterly-start-month": (
        ["--period", "quarterly", "--start-month", "2"],
        {"periods": cs.Periods.quarterly(start_month=2)},
    ),
    "annual-start-month": (
        ["--period", "annual", "--start-month", "7"],
        {"periods": cs.Periods.annual(start_month=7)},
    ),
    "monthly": (["--period", "monthly"], {"periods": cs.Periods.monthly()}),
    "semiannual-start-month": (
        ["--start-month", "8"],
        {"periods": cs.Periods.semiannual(start_month=8)},
    ),
    "anchor": (["--anchor", "2020-03-15"], {"periods": cs.Periods(months=6, anchor="2020-03-15")}),
    "quarterly-anchor": (
        ["--period", "quarterly", "--anchor", "2021-02-10"],
        {"periods": cs.Periods(months=3, anchor="2021-02-10")},
    ),
    "boundaries": (
        ["--boundaries", "2023-01-01,2023-09-01,2024-02-01,2024-10-01,2025-06-01,2026-01-01"],
        {
            "periods": cs.Periods.from_boundaries(
                ["2023-01-01", "2023-09-01", "2024-02-01", "2024-10-01", "2025-06-01", "2026-01-01"]
            )
        },
    ),
    "as-of": (["--as-of", "2025-05-20"], {"as_of": "2025-05-20"}),
    "sales-only": (
        ["--sales-only", "--as-of", "2025-08-01"],
        {"sales_only": True, "as_of": "2025-08-01"},
    ),
    "sales-months-lookback": (
        [
            "--sales-only",
            "--sales-months",
            "12,1",
            "--sales-lookback",
            "2",
            "--as-of",
            "2025-02-01",
        ],
        {"sales_only": True, "sales_months": (12, 1), "sales_lookback": 2, "as_of": "2025-02-01"},
    ),
    "count-zero-days": (["--count-zero-days"], {"count_zero_days": True}),
}


@pytest.mark.parametrize("case", list(OPTION_CASES))
def test_cv_options(
    tx: pa.Table, case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args, kwargs = OPTION_CASES[case]
    src = write(tx, tmp_path / "tx.parquet")
    out_path = tmp_path / "cv.parquet"
    code, _, err = run(["cv", src, "-o", out_path, "-q", *args], capsys)
    assert code == 0, err
    assert plain(read(out_path)) == plain(cs.customer_value(tx, **kwargs))


def test_cv_sales_only_gives_sol(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    out_path = tmp_path / "cv.parquet"
    code, out, err = run(
        ["cv", src, "-o", out_path, "--sales-only", "--as-of", "2025-08-01"], capsys
    )
    assert code == 0, err
    groups = read(out_path)["cv_group"].cast(pa.string()).to_pylist()
    assert "0 SOL" in groups  # the synthetic data has January and July sales buyers
    assert any(row[0] == "0 SOL" for row in parse_summary(out))


def test_cv_column_names(tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    renamed = tx.rename_columns(["client", "day", "net value"])
    src = write(renamed, tmp_path / "tx.csv")
    out_path = tmp_path / "cv.csv"
    args = ["--customer", "client", "--date", "day", "--amount", "net value"]
    code, _, err = run(["cv", src, "-o", out_path, "-q", *args], capsys)
    assert code == 0, err
    result = read(out_path)
    assert result.column_names[0] == "client"
    expected = cs.customer_value(renamed, customer="client", date="day", amount="net value")
    assert plain(result) == plain(expected)


def test_cv_on_invalid_drop(
    tx: pa.Table,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = with_nan(with_nan(tx, 5), 17)
    src = write(bad, tmp_path / "bad.parquet")
    out_path = tmp_path / "cv.parquet"
    with caplog.at_level(logging.WARNING, logger="custseg"):
        code, _, err = run(["cv", src, "-o", out_path, "-q", "--on-invalid", "drop"], capsys)
    assert code == 0, err
    # the same as the API with drop, and as the table without the two rows
    keep = np.ones(tx.num_rows, dtype=bool)
    keep[[5, 17]] = False
    result = plain(read(out_path))
    assert result == plain(cs.customer_value(bad, on_invalid="drop"))
    assert result == plain(cs.customer_value(tx.filter(pa.array(keep))))
    # the dropped rows are said (I4)
    assert any("dropped 2 invalid rows" in r.getMessage() for r in caplog.records), caplog.text


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".arrow"])
def test_cv_output_formats(
    tx: pa.Table, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    out_path = tmp_path / "deeper" / f"cv{suffix}"  # missing parent folders are created
    code, out, err = run(["cv", src, "-o", out_path, "--as-of", "2025-08-01"], capsys)
    assert code == 0, err
    assert str(out_path) in out
    result = read(out_path)
    expected = cs.customer_value(tx, as_of="2025-08-01")
    assert result.column_names == expected.column_names
    assert plain(result) == plain(expected)
    if suffix != ".csv":  # binary formats keep the types
        assert result.schema.field("customer_id").type == pa.int64()
        assert result.schema.field("first_purchase").type == pa.date32()


def test_cv_quiet(tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    code, out, err = run(["cv", src, "-o", tmp_path / "cv.parquet", "-q"], capsys)
    assert (code, out, err) == (0, "", "")


# --------------------------------------------------------------------------- bad input


def test_error_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.parquet"
    code, out, err = run(["cv", missing, "-o", tmp_path / "cv.parquet"], capsys)
    assert_bad_input(code, err, "nope.parquet")
    assert not (tmp_path / "cv.parquet").exists()


def test_error_glob_matches_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["cv", str(tmp_path / "none-*.parquet"), "-o", tmp_path / "cv.parquet"], capsys
    )
    assert_bad_input(code, err, "none-*.parquet")


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".arrow"])
def test_error_missing_column(
    tx: pa.Table, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / f"tx{suffix}")
    code, _, err = run(["cv", src, "-o", tmp_path / "cv.parquet", "--amount", "revenue"], capsys)
    assert_bad_input(code, err, "'revenue'", "not found", "I4")


def test_error_nan_amount(tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(with_nan(tx, 7), tmp_path / "bad.parquet")
    code, _, err = run(["cv", src, "-o", tmp_path / "cv.parquet"], capsys)
    line = assert_bad_input(code, err, "'amount'", "row 7", "I4")
    assert "NaN" in line
    assert not (tmp_path / "cv.parquet").exists()


def test_error_nan_amount_csv(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a CSV reader reads "nan" as a missing value: reported as null, same column and row
    src = write(with_nan(tx, 7), tmp_path / "bad.csv")
    code, _, err = run(["cv", src, "-o", tmp_path / "cv.parquet"], capsys)
    assert_bad_input(code, err, "'amount'", "row 7", "I4")


def test_error_row_counted_over_all_files(
    parts: tuple[Path, pa.Table], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, concatenated = parts
    first = pq.read_table(folder / "part-0.parquet").num_rows
    write(with_nan(pq.read_table(folder / "part-1.parquet"), 3), folder / "part-1.parquet")
    code, _, err = run(["cv", folder, "-o", tmp_path / "cv.parquet"], capsys)
    assert_bad_input(code, err, "'amount'", f"row {first + 3}", "I4")


def test_error_null_customer_csv(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tx["customer_id"].to_pylist()
    ids[11] = None
    src = write(tx.set_column(0, "customer_id", pa.array(ids, pa.int64())), tmp_path / "bad.csv")
    code, _, err = run(["cv", src, "-o", tmp_path / "cv.parquet"], capsys)
    assert_bad_input(code, err, "'customer_id'", "row 11", "I4")


@pytest.mark.parametrize(
    ("as_of", "needles"),
    [
        ("2026-13-01", ["2026-13-01", "I3"]),
        ("yesterday", ["yesterday", "I3"]),
        ("1990-01-01", ["1990-01-01", "I3"]),  # before all data
        ("2025-07-011", ["2025-07-011", "I3"]),
    ],
)
def test_error_bad_as_of(
    tx: pa.Table, as_of: str, needles: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    code, _, err = run(["cv", src, "-o", tmp_path / "cv.parquet", "--as-of", as_of], capsys)
    assert_bad_input(code, err, *needles)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--start-month", "13"], ["13", "P1"]),
        (["--anchor", "2020-01-31"], ["2020-01-31", "P1"]),
        (["--boundaries", "2024-01-01,2023-01-01"], ["P1"]),
        (["--boundaries", "2024-01-01,2025-01-01"], ["'date'", "row", "P1"]),  # data before
        (["--sales-only", "--sales-lookback", "0"], ["sales_lookback", "CV5"]),
        (["--sales-only", "--sales-months", "jan,jul"], ["sales", "CV5"]),
    ],
)
def test_error_bad_options(
    tx: pa.Table,
    args: list[str],
    needles: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    try:
        code, _, err = run(["cv", src, "-o", tmp_path / "cv.parquet", *args], capsys)
    except ValueError as e:  # an uncaught error is a failure, not a crash of the test run
        pytest.fail(f"uncaught {type(e).__name__}: {e}")
    assert_bad_input(code, err, *needles)


def test_error_subprocess_nan_amount(tx: pa.Table, tmp_path: Path) -> None:
    """A real process: exit code 2, nothing on stdout, one line on stderr."""
    write(with_nan(tx, 7), tmp_path / "bad.parquet")
    proc = subprocess.run(
        [sys.executable, "-m", "custseg", "cv", "bad.parquet", "-o", "cv.parquet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout == ""
    assert_bad_input(proc.returncode, proc.stderr, "'amount'", "row 7", "I4")


def test_progress_stream_passes_every_batch_and_reports_rows(tmp_path: Path) -> None:
    """The terminal progress wrapper (API: a progress bar on a terminal) changes nothing."""
    import io

    import pyarrow.dataset as ds

    tx = cs.datasets.synthetic(customers=3_000, years=2, seed=9)
    for i, part in enumerate(tx.to_batches(max_chunksize=5_000)):
        pq.write_table(pa.Table.from_batches([part]), tmp_path / f"part{i}.parquet")
    out = io.StringIO()
    stream = cli.with_progress(
        ds.dataset(tmp_path), ["customer_id", "date", "amount"], out, every=0
    )
    got = cs.customer_value(stream)
    assert got.equals(cs.customer_value(tx))
    assert out.getvalue().endswith(f"\rcustseg: {tx.num_rows:,} rows read\n")
    assert out.getvalue().count("rows read") >= 2


def test_cv_spills_to_disk_with_a_memory_limit(
    parts: tuple[Path, pa.Table], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 3: a stream over several files, spilled to --spill-dir, gives the in-memory answer."""
    folder, concatenated = parts
    spill = tmp_path / "spill"
    spill.mkdir()
    out_path = tmp_path / "cv.parquet"
    argv = ["cv", folder, "-o", out_path, "--memory-limit", "0", "--spill-dir", spill]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "GB spilled to disk" in out
    assert plain(read(out_path)) == plain(cs.customer_value(concatenated, memory_limit=None))
    assert list(spill.iterdir()) == []
    code, out, err = run(["cv", folder, "-o", out_path, "--memory-limit", "none"], capsys)
    assert code == 0, err
    assert "spilled" not in out


def test_error_bad_memory_limit(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    code, _, err = run(["cv", src, "-o", tmp_path / "cv.parquet", "--memory-limit", "lots"], capsys)
    assert_bad_input(code, err, "memory_limit")


# --------------------------------------------------------------------------- rfm and clv

RFM_SUMMARY_LINE = re.compile(
    r"^(?P<label>\S.*?)\s+(?P<customers>[\d,]+)\s+(?P<cust_pct>[\d.]+)%\s+(?P<rev_pct>[\d.]+)%"
)
SEGMENTS = [
    {"segment": "Best", "r": "3-4", "f": "3-4", "m": "2-4"},
    {"segment": "Gone", "r": "1-1", "f": "1-4", "m": "1-4"},
    {"segment": "Big spenders", "r": "1-4", "f": "1-4", "m": "4-4"},
]


def label_rows(out: str, labels: list[str]) -> dict[str, tuple[int, float]]:
    """The summary rows of ``labels`` printed on stdout: label -> (customers, cust %)."""
    rows = {}
    for line in out.splitlines():
        m = RFM_SUMMARY_LINE.match(line)
        if m and m["label"] in labels:
            rows[m["label"]] = (int(m["customers"].replace(",", "")), float(m["cust_pct"]))
    return rows


def counts(table: pa.Table, column: str) -> dict[str, int]:
    """Customers per label, in category order, labels present only."""
    values = [r[column] for r in plain(table.select([column]))]
    return {k: values.count(k) for k in plain_categories(table, column)}


def plain_categories(table: pa.Table, column: str) -> list[str]:
    """The categories of a label column that some customer has, in category order."""
    col = table[column].combine_chunks()
    present = set(col.dictionary_decode().to_pylist())
    return [c for c in col.dictionary.to_pylist() if c in present]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".arrow"])
def test_rfm_input_formats(
    tx: pa.Table, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / f"tx{suffix}")
    out_path = tmp_path / "rfm.parquet"
    code, out, err = run(["rfm", src, "-o", out_path], capsys)
    assert code == 0, err
    want = cs.rfm(tx)
    assert plain(read(out_path)) == plain(want)
    assert read(out_path).schema.field("rfm_segment").type == want.schema.field("rfm_segment").type
    # The summary: customers per rfm_segment in category order, with the revenue share.
    labels = plain_categories(want, "rfm_segment")
    printed = label_rows(out, labels)
    assert list(printed) == labels, out
    for label in labels:
        assert printed[label][0] == counts(want, "rfm_segment")[label], out
    assert re.search(r"rfm_segment\s+customers\s+cust %\s+revenue %", out), out
    assert f"{want.num_rows:,} customers from {tx.num_rows:,} rows" in out


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_clv_input_formats(
    tx: pa.Table, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / f"tx{suffix}")
    out_path = tmp_path / f"clv{suffix}"
    code, out, err = run(["clv", src, "-o", out_path], capsys)
    assert code == 0, err
    want = cs.clv(tx)
    got = plain(read(out_path))
    assert got == plain(want)
    assert re.search(r"clv_tier\s+customers\s+cust %\s+revenue %\s+clv %", out), out
    printed = label_rows(out, ["high", "medium", "low"])
    assert {k: v[0] for k, v in printed.items()} == counts(want, "clv_tier"), out
    assert "(1 / yearly churn)" in out


def test_clv_summary_revenue_share(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The clv summary's revenue share is that of the net sums (RFM monetary) per tier."""
    src = write(tx, tmp_path / "tx.parquet")
    code, out, err = run(
        ["clv", src, "-o", tmp_path / "clv.parquet", "--lifetime-years", "2"], capsys
    )
    assert code == 0, err
    both = plain(cs.segment(tx, what=("rfm", "clv"), lifetime_years=2))
    total = sum(r["monetary"] for r in both)
    for line in out.splitlines():
        m = re.match(r"^(high|medium|low)\s+[\d,]+\s+[\d.]+%\s+([\d.]+)%\s+([\d.]+)%$", line)
        if m:
            share = 100 * sum(r["monetary"] for r in both if r["clv_tier"] == m[1]) / total
            assert float(m[2]) == pytest.approx(share, abs=0.051), line
    assert "lifetime_years 2 (given)" in out


@pytest.mark.parametrize("how", ["folder", "glob", "files"])
def test_rfm_clv_several_files(
    parts: tuple[Path, pa.Table], how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, concatenated = parts
    inputs = {
        "folder": [folder],
        "glob": [str(folder / "**" / "*.parquet")],
        "files": sorted(str(p) for p in folder.rglob("*.parquet")),
    }[how]
    for command, fn in (("rfm", cs.rfm), ("clv", cs.clv)):
        out_path = tmp_path / f"{command}.parquet"
        code, _, err = run([command, *inputs, "-o", out_path, "-q"], capsys)
        assert code == 0, err
        assert plain(read(out_path)) == plain(fn(concatenated)), command


RFM_OPTION_CASES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "as-of": (["--as-of", "2025-05-20"], {"as_of": "2025-05-20"}),
    "monetary-mean": (["--monetary", "mean"], {"monetary": "mean"}),
    "bins-and-segments": (["--bins", "4", "--segments", "SEGMENTS.csv"], {"bins": 4}),
    "segments-json": (["--bins", "4", "--segments", "SEGMENTS.json"], {"bins": 4}),
    "count-zero-days": (["--count-zero-days"], {"count_zero_days": True}),
    "memory-limit": (["--memory-limit", "0"], {"memory_limit": 0}),
}


def write_segments(folder: Path, rules: list[dict[str, Any]]) -> tuple[Path, Path]:
    """The rules as SEGMENTS.csv and SEGMENTS.json in ``folder``."""
    csv_path, json_path = folder / "SEGMENTS.csv", folder / "SEGMENTS.json"
    lines = ["segment,r,f,m", *(f'"{r["segment"]}",{r["r"]},{r["f"]},{r["m"]}' for r in rules)]
    csv_path.write_text("\n".join(lines) + "\n")
    import json

    json_path.write_text(json.dumps(rules))
    return csv_path, json_path


@pytest.mark.parametrize("case", list(RFM_OPTION_CASES))
def test_rfm_options(
    tx: pa.Table, case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args, kwargs = RFM_OPTION_CASES[case]
    src = write(tx, tmp_path / "tx.parquet")
    write_segments(tmp_path, SEGMENTS)
    if "--segments" in args:
        kwargs = {**kwargs, "segments": SEGMENTS}
        args = [str(tmp_path / a) if a.startswith("SEGMENTS") else a for a in args]
    out_path = tmp_path / "rfm.parquet"
    code, _, err = run(["rfm", src, "-o", out_path, "-q", *args], capsys)
    assert code == 0, err
    got = read(out_path)
    assert plain(got) == plain(cs.rfm(tx, **kwargs))
    assert plain(got) != plain(cs.rfm(tx)) or case == "memory-limit"  # the option did something
    if "segments" in kwargs:
        categories = got["rfm_segment"].combine_chunks().dictionary.to_pylist()
        assert categories == [r["segment"] for r in SEGMENTS] + ["Others"]


def test_rfm_column_names_and_on_invalid(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    renamed = with_nan(tx, 3).rename_columns(["who", "day", "paid"])
    src = write(renamed, tmp_path / "tx.csv")
    out_path = tmp_path / "rfm.arrow"
    argv = ["rfm", src, "-o", out_path, "-q", "--customer", "who", "--date", "day"]
    argv += ["--amount", "paid", "--on-invalid", "drop"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert out == ""
    kwargs = dict(customer="who", date="day", amount="paid", on_invalid="drop")
    assert plain(read(out_path)) == plain(cs.rfm(renamed, **kwargs))
    code, _, err = run([*argv[:-2], "--on-invalid", "raise"], capsys)
    assert_bad_input(code, err, "'paid'", "row 3", "I4")


CLV_OPTION_CASES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "lifetime": (["--lifetime-years", "3"], {"lifetime_years": 3.0}),
    "cuts": (["--cuts", "0.1,0.5"], {"cuts": (0.1, 0.5)}),
    "tiers": (["--tiers", "0.1,0.5"], {"cuts": (0.1, 0.5)}),  # the old name of --cuts
    "thresholds": (
        ["--value-threshold", "150", "--loyalty-threshold", "0.5"],
        {"value_threshold": 150.0, "loyalty_threshold": 0.5},
    ),
    "quarterly": (["--period", "quarterly"], {"periods": cs.Periods.quarterly()}),
    "start-month": (["--start-month", "4"], {"periods": cs.Periods.semiannual(start_month=4)}),
    "anchor": (
        ["--period", "annual", "--anchor", "2020-03-15"],
        {"periods": cs.Periods(months=12, anchor="2020-03-15")},
    ),
    "boundaries": (
        ["--boundaries", "2023-01-01,2023-09-01,2024-02-01,2024-10-01,2025-06-01,2026-01-01"],
        {
            "periods": cs.Periods.from_boundaries(
                ["2023-01-01", "2023-09-01", "2024-02-01", "2024-10-01", "2025-06-01", "2026-01-01"]
            )
        },
    ),
    "as-of": (["--as-of", "2025-08-20"], {"as_of": "2025-08-20"}),
    "count-zero-days": (["--count-zero-days"], {"count_zero_days": True}),
}


@pytest.mark.parametrize("case", list(CLV_OPTION_CASES))
def test_clv_options(
    tx: pa.Table, case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args, kwargs = CLV_OPTION_CASES[case]
    src = write(tx, tmp_path / "tx.parquet")
    out_path = tmp_path / "clv.parquet"
    code, _, err = run(["clv", src, "-o", out_path, "-q", *args], capsys)
    assert code == 0, err
    got = plain(read(out_path))
    assert got == plain(cs.clv(tx, **kwargs))
    if case != "count-zero-days":  # the synthetic data may have no zero-total days
        assert got != plain(cs.clv(tx)), "the option changed nothing"


def test_rfm_clv_quiet(tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    for command in ("rfm", "clv"):
        code, out, err = run([command, src, "-o", tmp_path / f"{command}.csv", "-q"], capsys)
        assert (code, out, err) == (0, "", "")
        assert (tmp_path / f"{command}.csv").stat().st_size > 0


@pytest.mark.parametrize(
    ("content", "suffix", "needles"),
    [
        ("segment,r,f\nA,1-5,1-5\n", ".csv", ["--segments", "m", "R3"]),
        ("segment,r,f,m\nA,x-y,1-5,1-5\n", ".csv", ["x-y", "R3"]),
        ("segment,r,f,m\nA,1-6,1-5,1-5\n", ".csv", ["1-6", "R3"]),
        ("segment,r,f,m\n", ".csv", ["--segments", "no rules", "R3"]),
        ('[{"segment": "A", "r": "1-5"', ".json", ["--segments", "JSON", "R3"]),
        ('{"segment": "A"}', ".json", ["--segments", "R3"]),
        ('[{"segment": "A", "r": "1-5", "f": "1-5"}]', ".json", ["--segments", "m", "R3"]),
        ('[{"segment": "A", "r": "5-1", "f": "1-5", "m": "1-5"}]', ".json", ["R3"]),
    ],
)
def test_error_bad_segments_file(
    tx: pa.Table,
    content: str,
    suffix: str,
    needles: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    rules = tmp_path / f"rules{suffix}"
    rules.write_text(content)
    out_path = tmp_path / "rfm.parquet"
    try:
        code, _, err = run(["rfm", src, "-o", out_path, "--segments", rules], capsys)
    except ValueError as e:
        pytest.fail(f"uncaught {type(e).__name__}: {e}")
    assert_bad_input(code, err, *needles)
    assert not out_path.exists()


def test_error_segments_file_missing(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    argv = ["rfm", src, "-o", tmp_path / "rfm.parquet", "--segments", tmp_path / "nope.csv"]
    assert_bad_input(*run(argv, capsys)[::2], "nope.csv")


def test_error_default_rules_do_not_fit_bins(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    argv = ["rfm", src, "-o", tmp_path / "rfm.parquet", "--bins", "3"]
    assert_bad_input(*run(argv, capsys)[::2], "Champions", "R3")
    argv = ["rfm", src, "-o", tmp_path / "rfm.parquet", "--bins", "1"]
    assert_bad_input(*run(argv, capsys)[::2], "bins", "R2")


def test_error_clv_lifetime_not_computable(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Less than a year of data: no yearly churn, so the default lifetime is unknown (CLV1)."""
    import datetime as dt

    import pyarrow.compute as pc

    recent = tx.filter(pc.greater_equal(tx["date"], pa.scalar(dt.date(2025, 3, 1))))
    src = write(recent, tmp_path / "tx.parquet")
    out_path = tmp_path / "clv.parquet"
    assert_bad_input(*run(["clv", src, "-o", out_path], capsys)[::2], "lifetime_years", "CLV1")
    assert not out_path.exists()
    code, _, err = run(["clv", src, "-o", out_path, "-q", "--lifetime-years", "2.5"], capsys)
    assert code == 0, err
    assert plain(read(out_path)) == plain(cs.clv(recent, lifetime_years=2.5))


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--tiers", "high,low"], ["--tiers", "high,low", "CLV2"]),
        (["--tiers", "0.8,0.2"], ["tiers", "CLV2"]),
        (["--tiers", "0.5"], ["tiers", "CLV2"]),
        (["--lifetime-years", "-1"], ["lifetime_years", "CLV1"]),
        (["--start-month", "13"], ["13", "P1"]),
        (["--as-of", "2026-13-01"], ["2026-13-01", "I3"]),
    ],
)
def test_error_bad_clv_options(
    tx: pa.Table,
    args: list[str],
    needles: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = write(tx, tmp_path / "tx.parquet")
    try:
        code, _, err = run(["clv", src, "-o", tmp_path / "clv.parquet", *args], capsys)
    except ValueError as e:
        pytest.fail(f"uncaught {type(e).__name__}: {e}")
    assert_bad_input(code, err, *needles)


def test_rfm_clv_subprocess(tx: pa.Table, tmp_path: Path) -> None:
    """Real processes: ``python -m custseg rfm`` writes the result; a bad input exits 2."""
    write(tx, tmp_path / "tx.parquet")
    write(with_nan(tx, 11), tmp_path / "bad.parquet")
    for command, fn in (("rfm", cs.rfm), ("clv", cs.clv)):
        proc = subprocess.run(
            [sys.executable, "-m", "custseg", command, "tx.parquet", "-o", "out.parquet"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "written to" in proc.stdout
        assert plain(read(tmp_path / "out.parquet")) == plain(fn(tx))
        proc = subprocess.run(
            [sys.executable, "-m", "custseg", command, "bad.parquet", "-o", "bad_out.parquet"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.stdout == ""
        assert_bad_input(proc.returncode, proc.stderr, "'amount'", "row 11", "I4")


def test_a_european_csv_with_decimal_commas_and_day_first_dates(
    tx: pa.Table, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `;` CSV with decimal commas and dd/mm/yyyy dates, as a Belgian or Dutch system
    writes it: --delimiter ';' --decimal , --date-format %d/%m/%Y gives the result of
    the typed table; without --decimal the amounts are named as not numbers (I6)."""
    small = tx.slice(0, 5_000)
    lines = ["customer_id;date;amount"]
    for r in small.to_pylist():
        amount = f"{r['amount']:.2f}".replace(".", ",")
        lines.append(f"{r['customer_id']};{r['date']:%d/%m/%Y};{amount}")
    src = tmp_path / "tx.csv"
    src.write_text("\n".join(lines) + "\n")
    out_path = tmp_path / "cv.parquet"
    args = ["cv", src, "-o", out_path, "-q", "--delimiter", ";", "--as-of", "2026-01-01"]
    code, _, err = run([*args, "--decimal", ",", "--date-format", "%d/%m/%Y"], capsys)
    assert code == 0, err
    assert plain(read(out_path)) == plain(cs.customer_value(small, as_of="2026-01-01"))
    code, _, err = run([*args, "--date-format", "%d/%m/%Y"], capsys)
    assert_bad_input(code, err, "'amount'", "row 0", "decimal comma", "I6")


def test_threads_option_gives_the_same_segments(tmp_path: Path, capsys: Any) -> None:
    """--threads sets the run's threads (for a scheduler's worker slot); the
    segments do not depend on it (I5); a bad count is a one-line error."""
    src = tmp_path / "tx.parquet"
    pq.write_table(cs.datasets.synthetic(customers=300, years=2, seed=3), src)
    outs = []
    for n in ("1", "2"):
        out_path = str(tmp_path / f"cv{n}.parquet")
        code, _, _ = run(["cv", str(src), "-o", out_path, "--threads", n], capsys)
        assert code == 0
        outs.append(pq.read_table(out_path))
    assert outs[0].equals(outs[1])
    code, _, err = run(
        ["cv", str(src), "-o", str(tmp_path / "x.parquet"), "--threads", "0"], capsys
    )
    assert_bad_input(code, err, "threads")
