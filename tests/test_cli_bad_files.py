"""Bad input files at the command line and the API (issue 18, item 3).

A corrupt or truncated Parquet or Arrow IPC file, a CSV file with a ragged row,
Latin-1 bytes, only a header or mixed date formats, an empty folder, a glob
that matches nothing, files whose columns disagree: each gives exit code 2 and
one line on stderr, ``custseg: error: ...``, naming the file (and the row where
there is one), without a traceback; ``-v`` adds the exception chain.

Valid but unusual files are read as an analyst would expect: a UTF-8
byte-order mark before the header is skipped, a quoted delimiter is data, a
header-only CSV among other files adds no rows, and numbers of different
widths (int32 and int64, integer and float amounts) are read together.

Rows are counted as the core counts them (rule I4): 0-based, after the header;
a CSV row also gives its line in the file (the header is line 1).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import custseg as cs
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from custseg.cli import main

EXIT_BAD_INPUT = 2


@pytest.fixture(scope="module")
def tx() -> pa.Table:
    """A small synthetic transaction table (int ids, date32 days, float64 amounts)."""
    return cs.datasets.synthetic(customers=300, years=2, seed=3)


def run(argv: list[Any], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``custseg.cli.main`` in-process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def bad(argv: list[Any], capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    """Runs ``cv`` and checks exit code 2 and exactly one stderr line
    ``custseg: error: ...`` holding every needle; returns that line."""
    code, _, err = run(["cv", *argv], capsys)
    assert code == EXIT_BAD_INPUT, err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("custseg: error: "), lines[0]
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def ok(argv: list[Any], capsys: pytest.CaptureFixture[str]) -> pa.Table:
    """Runs ``cv`` to a Parquet file and returns what it wrote."""
    out = Path(argv[-1])
    code, _, err = run(["cv", *argv[:-1], "-q", "-o", out], capsys)
    assert code == 0, err
    return pq.read_table(out)


def csv_text(table: pa.Table) -> list[str]:
    """The lines of ``table`` written as CSV (a header, then a line per row)."""
    sink = pa.BufferOutputStream()
    pcsv.write_csv(table, sink)
    return sink.getvalue().to_pybytes().decode().splitlines()


def rows(table: Any) -> list[dict[str, Any]]:
    """Rows with the label columns as plain strings (Parquet keeps the ordered
    dictionaries its own way)."""
    table = table if isinstance(table, pa.Table) else pa.table(table)
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table.to_pylist()


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def big_csv(tx: pa.Table, path: Path, bad_line: str, copies: int = 60) -> tuple[Path, int]:
    """A CSV past pyarrow's first block (1 MB, where it guesses the types) with
    ``bad_line`` as its last but one line; returns the path and that line's number."""
    lines = csv_text(tx)
    body = lines[1:] * copies
    body[-2] = bad_line
    write_lines(path, [lines[0], *body])
    assert path.stat().st_size > 2 << 20
    return path, len(body)  # 1-based: the header is line 1


# --------------------------------------------------------------------------- Parquet and IPC


def test_truncated_parquet(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    pq.write_table(tx, tmp_path / "tx.parquet")
    data = (tmp_path / "tx.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    bad([tmp_path / "cut.parquet", "-o", tmp_path / "cv.parquet"], capsys, "cut.parquet")
    assert not (tmp_path / "cv.parquet").exists()


def test_corrupt_parquet_in_a_folder_names_that_file(
    tx: pa.Table, tmp_path: Path, capsys: Any
) -> None:
    """A data page broken in the third of four files: found while the rows are
    read (its footer is fine), and that file is named, not the folder or the first."""
    folder = tmp_path / "parts"
    folder.mkdir()
    n = tx.num_rows // 4
    for i in range(4):
        pq.write_table(tx.slice(i * n, n), folder / f"part-{i}.parquet", compression="snappy")
    broken = folder / "part-2.parquet"
    data = bytearray(broken.read_bytes())
    data[100:300] = bytes(200)  # inside the first column chunk, after the magic bytes
    broken.write_bytes(bytes(data))
    line = bad([folder, "-o", tmp_path / "cv.parquet"], capsys, "cannot read", "part-2.parquet")
    assert "part-0" not in line and "part-3" not in line


@pytest.mark.parametrize("how", ["truncated", "not arrow", "broken body"])
def test_bad_arrow_ipc(tx: pa.Table, how: str, tmp_path: Path, capsys: Any) -> None:
    src = tmp_path / "tx.arrow"
    feather.write_feather(tx, src, compression="lz4", chunksize=1000)
    data = bytearray(src.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "not arrow":
        data = bytearray(b"customer_id,date,amount\n" * 10)
    else:  # the buffers of a record batch: lz4 finds the damage
        mid = len(data) // 2
        data[mid : mid + 64] = bytes(64)
    src.write_bytes(bytes(data))
    bad([src, "-o", tmp_path / "cv.parquet"], capsys, "cannot read", "tx.arrow")


def test_a_file_that_is_not_parquet(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "notes.parquet").write_text("hello\n")
    bad([tmp_path / "notes.parquet", "-o", tmp_path / "cv.parquet"], capsys, "notes.parquet")


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(("extra", "got"), [(",7", "got 4"), (None, "got 2")])
def test_ragged_csv_row(
    tx: pa.Table, extra: str | None, got: str, tmp_path: Path, capsys: Any
) -> None:
    lines = csv_text(tx)
    lines[50] = lines[50] + extra if extra else "1,2024-01-01"
    src = write_lines(tmp_path / "ragged.csv", lines)
    bad([src, "-o", tmp_path / "cv.parquet"], capsys, "ragged.csv", "row 49 (line 51)", got)


def test_ragged_csv_row_past_the_first_block(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    """Found while the rows stream in (not when the file is opened)."""
    src, line = big_csv(tx, tmp_path / "big.csv", "5,2025-01-02,3.5,extra")
    bad([src, "-o", tmp_path / "cv.parquet"], capsys, "big.csv", f"row {line - 2} (line {line})")


def test_empty_csv_file(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    bad([tmp_path / "empty.csv", "-o", tmp_path / "cv.parquet"], capsys, "empty.csv", "empty")


def test_csv_with_a_utf8_bom_is_read_as_without(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    """Excel's "CSV UTF-8" starts with a byte-order mark: the header is still
    customer_id, not '\\ufeffcustomer_id'."""
    lines = csv_text(tx)
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\n")
    write_lines(tmp_path / "plain.csv", lines)
    with_bom = ok([tmp_path / "bom.csv", tmp_path / "a.parquet"], capsys)
    assert with_bom.equals(ok([tmp_path / "plain.csv", tmp_path / "b.parquet"], capsys))
    assert with_bom.num_rows > 0


def test_latin1_bytes_in_the_customer_column(tmp_path: Path, capsys: Any) -> None:
    lines = [
        "customer_id,date,amount",
        "ana,2024-01-01,10.5",
        "josé,2024-02-01,3",
        "li,2024-03-01,4",
    ]
    src = write_lines(tmp_path / "latin1.csv", lines, encoding="latin-1")
    bad(
        [src, "-o", tmp_path / "cv.parquet"],
        capsys,
        "latin1.csv",
        "'customer_id'",
        "row 1 (line 3)",
        "UTF-8",
    )


def test_latin1_bytes_past_the_first_block(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    src, line = big_csv(tx, tmp_path / "big.csv", "MARK,2025-01-02,3.5")
    data = src.read_bytes().replace(b"MARK,", b"Jos\xe9,")
    src.write_bytes(data)
    bad([src, "-o", tmp_path / "cv.parquet"], capsys, "big.csv", f"line {line}", "customer_id")


def test_header_only_csv(tmp_path: Path, capsys: Any) -> None:
    src = write_lines(tmp_path / "header.csv", ["customer_id,date,amount"])
    bad([src, "-o", tmp_path / "cv.parquet"], capsys, "header.csv", "only a header")


def test_header_only_csv_among_others_adds_no_rows(
    tx: pa.Table, tmp_path: Path, capsys: Any
) -> None:
    folder = tmp_path / "days"
    folder.mkdir()
    lines = csv_text(tx)
    half = len(lines) // 2
    write_lines(folder / "a.csv", lines[:half])
    write_lines(folder / "b.csv", lines[:1])  # a day without sales
    write_lines(folder / "c.csv", [lines[0], *lines[half:]])
    got = ok([folder, tmp_path / "cv.parquet"], capsys)
    assert got.equals(
        ok([write_lines(tmp_path / "all.csv", lines), tmp_path / "b.parquet"], capsys)
    )


def test_quoted_delimiters_are_data(tmp_path: Path, capsys: Any) -> None:
    """'Smith, J' is one customer id, and a quoted comma in another column
    shifts nothing."""
    lines = [
        "customer_id,note,date,amount",
        '"Smith, J","gift, wrapped",2024-01-10,10.5',
        '"Smith, J",plain,2024-08-02,20',
        'Lee,"a ""quoted"", note",2024-03-01,7.25',
    ]
    got = ok([write_lines(tmp_path / "q.csv", lines), tmp_path / "cv.parquet"], capsys)
    table = pa.table(
        {
            "customer_id": ["Smith, J", "Smith, J", "Lee"],
            "date": pa.array(np.array(["2024-01-10", "2024-08-02", "2024-03-01"], "datetime64[D]")),
            "amount": [10.5, 20.0, 7.25],
        }
    )
    want = cs.customer_value(table)
    assert got.column("customer_id").to_pylist() == want.column("customer_id").to_pylist()
    assert got.column("purchases").to_pylist() == want.column("purchases").to_pylist()


def test_mixed_date_formats(tmp_path: Path, capsys: Any) -> None:
    """Read as text (no single type fits), the core finds the row; the file and its
    line are added. 01/02/2024 is not guessed: it could be January or February."""
    lines = ["customer_id,date,amount", "1,2024-01-01,10.5", "2,2024-01-05,1", "2,01/02/2024,3"]
    src = write_lines(tmp_path / "mixed.csv", lines)
    bad([src, "-o", tmp_path / "cv.parquet"], capsys, "'date'", "row 2 of", "mixed.csv (line 4)")


def test_mixed_date_formats_past_the_first_block(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    """Typed as dates from the first block, the odd one fails in pyarrow's reader."""
    src, line = big_csv(tx, tmp_path / "big.csv", "5,02/01/2025,3.5")
    bad([src, "-o", tmp_path / "cv.parquet"], capsys, "big.csv", f"(line {line})", "'date'")


def test_mixed_date_formats_with_a_date_format(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    lines = ["customer_id,date,amount", "1,01/02/2024,10.5", "2,2024-01-05,1"]
    src = write_lines(tmp_path / "mixed.csv", lines)
    argv = [src, "-o", tmp_path / "cv.parquet", "--date-format", "%d/%m/%Y"]
    bad(argv, capsys, "mixed.csv", "line 3", "'date'")


# --------------------------------------------------------------------------- sets of files


def test_empty_folder(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / ".hidden.parquet").write_bytes(b"")
    bad([tmp_path / "in", "-o", tmp_path / "cv.parquet"], capsys, "no input files", "in'")


def test_glob_matching_nothing(tmp_path: Path, capsys: Any) -> None:
    bad([tmp_path / "2024-*.csv", "-o", tmp_path / "cv.parquet"], capsys, "2024-*.csv")


def two_files(tmp_path: Path, a: pa.Table, b: pa.Table) -> Path:
    folder = tmp_path / "set"
    folder.mkdir()
    pq.write_table(a, folder / "a.parquet")
    pq.write_table(b, folder / "b.parquet")
    return folder


def test_a_file_without_a_column(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    b = tx.slice(100).rename_columns(["client", "date", "amount"])
    folder = two_files(tmp_path, tx.slice(0, 100), b)
    bad([folder, "-o", tmp_path / "cv.parquet"], capsys, "b.parquet", "'customer_id'", "a.parquet")


@pytest.mark.parametrize(
    ("column", "other"),
    [
        ("customer_id", pa.string()),  # ids as text in one export, numbers in the other
        ("amount", pa.string()),
        ("date", pa.timestamp("s")),
    ],
)
def test_files_whose_types_disagree(
    tx: pa.Table, column: str, other: pa.DataType, tmp_path: Path, capsys: Any
) -> None:
    b = tx.slice(100)
    b = b.set_column(b.schema.get_field_index(column), column, b[column].cast(other))
    folder = two_files(tmp_path, tx.slice(0, 100), b)
    bad([folder, "-o", tmp_path / "cv.parquet"], capsys, "b.parquet", f"'{column}'", "a.parquet")


def test_time_zones_that_disagree(tmp_path: Path, capsys: Any) -> None:
    """The same instant falls on another day in another zone (I1): not merged."""
    ts = pa.array([1_700_000_000_000] * 2, pa.timestamp("ms", "UTC"))
    a = pa.table({"customer_id": [1, 2], "date": ts, "amount": [1.0, 2.0]})
    b = a.set_column(1, "date", ts.cast(pa.timestamp("ms", "Asia/Tokyo")))
    folder = two_files(tmp_path, a, b)
    bad([folder, "-o", tmp_path / "cv.parquet"], capsys, "b.parquet", "Asia/Tokyo", "UTC")


def test_widths_that_differ_are_read_together(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    """int32 and int64 ids, integer and float amounts: one kind, widened."""
    a = tx.slice(0, 200)
    a = a.set_column(0, "customer_id", a["customer_id"].cast(pa.int32()))
    a = a.set_column(2, "amount", pa.array(np.rint(a["amount"].to_numpy()).astype("int32")))
    b = tx.slice(200)
    folder = two_files(tmp_path, a, b)
    got = ok([folder, tmp_path / "cv.parquet"], capsys)
    together = pa.concat_tables([a.cast(b.schema), b])
    assert rows(got) == rows(cs.customer_value(together))


def test_a_bad_row_names_its_file_and_row_there(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    """The core counts rows over all the input (I4); the file holding the row and
    the row within it are added."""
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):
        part = tx.slice(i * 100, 100)
        if i == 2:
            amounts = part["amount"].to_numpy().copy()
            amounts[4] = np.nan
            part = part.set_column(2, "amount", pa.array(amounts))
        pq.write_table(part, folder / f"part-{i}.parquet")
    bad([folder, "-o", tmp_path / "cv.parquet"], capsys, "row 204 (row 4 of", "part-2.parquet)")


# --------------------------------------------------------------------------- -v and a real process


def test_verbose_adds_the_chain(tx: pa.Table, tmp_path: Path, capsys: Any) -> None:
    lines = csv_text(tx)
    lines[20] += ",9"
    src = write_lines(tmp_path / "ragged.csv", lines)
    code, _, err = run(["-v", "cv", src, "-o", tmp_path / "cv.parquet"], capsys)
    assert code == EXIT_BAD_INPUT
    first, *rest = err.splitlines()
    assert first.startswith("custseg: error: cannot read ") and "line 21" in first
    assert any("Traceback" in x for x in rest), err  # the chain, pyarrow's own error in it
    assert any("Expected 3 columns" in x for x in rest), err


def test_subprocess_bad_file(tx: pa.Table, tmp_path: Path) -> None:
    """A real process: nothing on stdout, one line on stderr, exit code 2."""
    pq.write_table(tx, tmp_path / "tx.parquet")
    data = (tmp_path / "tx.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[:-20])
    proc = subprocess.run(
        [sys.executable, "-m", "custseg", "cv", "tx.parquet", "cut.parquet", "-o", "cv.parquet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("custseg: error: cannot read cut.parquet: ")


# --------------------------------------------------------------------------- the API


def api_inputs(tx: pa.Table, tmp_path: Path) -> dict[str, Any]:
    """Bad files as an API user passes them: pyarrow datasets opened on them."""
    pq.write_table(tx, tmp_path / "tx.parquet", compression="snappy")
    data = bytearray((tmp_path / "tx.parquet").read_bytes())
    data[100:300] = bytes(200)
    (tmp_path / "broken.parquet").write_bytes(bytes(data))
    feather.write_feather(tx, tmp_path / "tx.arrow", compression="lz4", chunksize=1000)
    data = bytearray((tmp_path / "tx.arrow").read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    (tmp_path / "broken.arrow").write_bytes(bytes(data))
    big_csv(tx, tmp_path / "ragged.csv", "5,2025-01-02,3.5,extra")  # past the typed block
    return {
        "parquet": ds.dataset(tmp_path / "broken.parquet"),
        "ipc": ds.dataset(tmp_path / "broken.arrow", format="ipc"),
        "csv": ds.dataset(tmp_path / "ragged.csv", format="csv"),
    }


@pytest.mark.parametrize("kind", ["parquet", "ipc", "csv"])
def test_api_bad_file_is_an_input_error(tx: pa.Table, kind: str, tmp_path: Path) -> None:
    """No crash and no pyarrow exception leaking out: a custseg.InputError."""
    data = api_inputs(tx, tmp_path)[kind]
    with pytest.raises(cs.InputError, match="could not read the input"):
        cs.customer_value(data)


def test_api_bad_file_names_the_file(tx: pa.Table, tmp_path: Path) -> None:
    with pytest.raises(cs.InputError, match="broken.parquet"):
        cs.customer_value(api_inputs(tx, tmp_path)["parquet"])


@pytest.mark.parametrize("kind", ["parquet", "ipc", "csv"])
def test_api_bad_file_among_good_ones_is_one_line_naming_it(
    tx: pa.Table, kind: str, tmp_path: Path
) -> None:
    """A dataset of good files and one bad one (a later file: the scan reads ahead):
    one line, ``could not read the input: cannot read <file>: <pyarrow's reason>``,
    without the traceback the core's message would carry; history names it too."""
    bad_file = Path(api_inputs(tx, tmp_path)[kind].files[0])
    good = {"parquet": "tx.parquet", "ipc": "tx.arrow", "csv": "good.csv"}[kind]
    if kind == "csv":
        write_lines(tmp_path / good, csv_text(tx))
    data = ds.dataset([str(tmp_path / good), str(bad_file)], format=kind)
    with pytest.raises(cs.InputError) as caught:
        cs.customer_value(data)
    message = str(caught.value)
    assert message.startswith(f"could not read the input: cannot read {bad_file}: "), message
    assert "\n" not in message and "Traceback" not in message
    assert caught.value.__cause__ is not None  # pyarrow's error, for a traceback
    with pytest.raises(cs.InputError, match=f"cannot read {bad_file}: "):
        cs.customer_value_history(data, end="2025-01-01")


def test_api_dataset_of_files_reads_as_the_table(tx: pa.Table, tmp_path: Path) -> None:
    """The API reads a dataset of good files through the stream that names a bad one:
    exactly the result and the report of the same rows as one table (customers
    split across files, several row groups a file), and the same history."""
    folder = tmp_path / "parts"
    folder.mkdir()
    cuts = [0, tx.num_rows // 5, tx.num_rows // 2, tx.num_rows - 7, tx.num_rows]
    for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)):
        pq.write_table(tx.slice(a, b - a), folder / f"part-{i}.parquet", row_group_size=500)
    data = ds.dataset(folder)
    assert len(data.files) == 4
    got, got_report = cs.customer_value(data, return_report=True)
    want, want_report = cs.customer_value(tx, return_report=True)
    assert got.equals(want)
    assert got_report == want_report
    both = {"end": "2025-01-01", "return_report": True}
    assert cs.customer_value_history(data, **both)[0].equals(
        cs.customer_value_history(tx, **both)[0]
    )
