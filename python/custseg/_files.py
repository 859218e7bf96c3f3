"""Input files read as one Arrow stream that knows which file each row comes
from, shared by the command line and the API's pyarrow datasets: a file that
cannot be read (corrupt, truncated, a ragged CSV row) is a one-line
:class:`custseg.InputError` naming the file, and the row where there is one
(issue 18)."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import time
from collections.abc import Iterator
from typing import Any

# pyarrow's "Could not open CSV input source 'x': ": the path again, which the message names.
_SOURCE = re.compile(r"^.*?input source '[^']*': (?:Invalid: )?", re.DOTALL)
# pyarrow's CSV position: "Row #N" counts the lines of records, the header's included.
_CSV_ROW = re.compile(r"(?:In CSV column #(\d+): )?(?:CSV parse error: )?Row #(\d+): ")
_CORE_ROW = re.compile(r"\brow (\d+)\b")  # the core's rows: 0-based, over all the input


def cannot_read(path: str, error: BaseException, fmt: Any) -> Exception:
    """The one-line error of a file pyarrow cannot read: the file, then pyarrow's
    reason without the path again; a CSV row as the core counts rows (0-based,
    after the header) and as the file's line, with the column's name."""
    import custseg as cs

    if os.path.exists(path) and os.path.getsize(path) == 0:
        return cs.InputError(f"cannot read {path}: the file is empty")
    text = _SOURCE.sub("", str(error).strip())
    m = _CSV_ROW.search(text)
    if m:
        line, names = int(m.group(2)), _header(path, fmt) if m.group(1) else []
        where = f"row {line - 2} (line {line})"
        if m.group(1) and int(m.group(1)) < len(names):
            where += f", column '{names[int(m.group(1))]}'"
        text = f"{text[: m.start()]}{where}: {text[m.end() :]}"
    if "CSV conversion error" in text:  # pyarrow typed the column from its first block
        text += " (a CSV column keeps the type of its first rows; dates: ISO or --date-format)"
    return cs.InputError(f"cannot read {path}: {text}")


def _header(path: str, fmt: Any) -> list[str]:
    """A CSV file's column names, for a column pyarrow names by its number."""
    with contextlib.suppress(OSError, UnicodeDecodeError, StopIteration, csv.Error):
        with open(path, encoding="utf-8-sig", newline="") as f:
            return next(csv.reader(f, delimiter=fmt.parse_options.delimiter))
    return []


# The bytes of the first CSV file whose lines are counted to estimate the rows.
CSV_SAMPLE = 1 << 20
# Extensions pyarrow decompresses: their bytes say nothing of the lines.
_COMPRESSED = (".gz", ".bz2", ".zst", ".zstd", ".lz4", ".br")


def csv_rows_estimate(files: list[str], filesystem: Any) -> int | None:
    """The rows of CSV files estimated, without parsing them, from the lines in
    the first file's first MiB (exact for one file no larger), scaled to the
    files' total size, less one header line a file; None when a file is
    compressed or its size unknown. One file is opened, whatever their number
    (a remote filesystem pays a request per open). Only the core's memory
    reservation uses it: a wrong estimate costs memory growth or unused
    reserve, never a wrong answer."""
    if not files or any(f.lower().endswith(_COMPRESSED) for f in files):
        return None
    sizes = [info.size for info in filesystem.get_file_info(files)]
    if any(size is None for size in sizes):
        return None
    with filesystem.open_input_file(files[0]) as f:
        sample = f.read(CSV_SAMPLE)
    lines = sample.count(b"\n") + (0 if sample.endswith(b"\n") else 1)
    if len(sample) < sum(sizes):
        lines = round(lines * sum(sizes) / max(len(sample), 1))
    return max(lines - len(files), 0)


class FileStream:
    """The input files as one stream of the needed columns that remembers the
    first row of each file, so that an error names the file and its row (issue
    18); with ``progress`` (a terminal), the rows read so far, at most every
    ``every`` seconds. ``columns`` None reads them all. It is an Arrow stream
    itself (``__arrow_c_stream__``), so a core call can be given it and, with
    :func:`naming_the_file`, report its ``failure``."""

    def __init__(
        self, dataset: Any, columns: list[str] | None, progress: Any = None, every: float = 0.25
    ) -> None:
        self.dataset, self.columns = dataset, columns
        self.progress, self.every = progress, every
        self.files: list[str] = list(dataset.files)
        self.starts: list[tuple[int, str]] = []  # (first row, file) of each file read
        self.failure: Exception | None = None
        self.line_open = False  # a progress line without its end

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.reader().__arrow_c_stream__(requested_schema)

    def rows(self) -> int | None:
        """The files' rows, so that the core reserves the lines' memory once instead
        of growing it window by window: a 10M-row Parquet file's "append" took
        0.18-0.25 s so, against 0.97-1.79 s (docs/performance.md, issue 17).
        Parquet and Arrow IPC files say it in their metadata; for uncompressed CSV
        files it is an estimate (:func:`csv_rows_estimate`); else None."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        fmt = self.dataset.format
        try:
            if isinstance(fmt, (ds.ParquetFileFormat, ds.IpcFileFormat)):
                return int(self.dataset.count_rows())
            if isinstance(fmt, ds.CsvFileFormat):
                return csv_rows_estimate(self.files, self.dataset.filesystem)
        except (pa.ArrowException, OSError):
            return None  # the read itself names the file that fails
        return None

    def reader(self) -> Any:
        import pyarrow as pa

        self.starts, self.failure = [], None
        scanner = self.dataset.scanner(columns=self.columns)
        return pa.RecordBatchReader.from_batches(scanner.projected_schema, self._batches(scanner))

    def _batches(self, scanner: Any) -> Any:
        import pyarrow as pa

        done, last = 0, 0.0
        try:
            for tagged in scanner.scan_batches():  # in file order, read ahead in parallel
                if not self.starts or self.starts[-1][1] != tagged.fragment.path:
                    self.starts.append((done, tagged.fragment.path))
                done += tagged.record_batch.num_rows
                last = self._show(done, last)
                yield tagged.record_batch
        except (pa.ArrowException, OSError) as e:
            # The core reports it as an InputError with pyarrow's text; explain() has it whole.
            self.failure = self._culprit(e)
            raise self.failure from e
        self._show(done, None)

    def _show(self, done: int, last: float | None) -> float:
        if self.progress is None or (last is not None and time.monotonic() - last <= self.every):
            return last or 0.0
        self.progress.write(f"\rcustseg: {done:,} rows read" + ("\n" if last is None else ""))
        self.progress.flush()
        self.line_open = last is not None
        return time.monotonic()

    def _culprit(self, error: BaseException) -> Exception:
        """The error of the file that fails, read alone from the one being read on
        (the scan reads a few files ahead, so it may be a later one)."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        at = self.files.index(self.starts[-1][1]) if self.starts else 0
        fmt, schema, fs = self.dataset.format, self.dataset.schema, self.dataset.filesystem
        for path in self.files[at:]:
            try:
                one = ds.dataset(path, format=fmt, schema=schema, filesystem=fs)
                for _ in one.to_batches(self.columns):
                    pass
            except (pa.ArrowException, OSError) as e:
                return cannot_read(path, e, fmt)
        return cannot_read("the input", error, fmt)  # gone when read again: pyarrow's text

    def explain(self, error: BaseException) -> tuple[str, BaseException]:
        """The one-line message of an error of the run, and the exception whose
        chain ``-v`` shows: the stream's own when it failed; a row of the core
        (0-based over all the files) gets the file it is in, and its row there."""
        import pyarrow.dataset as ds

        if self.line_open:
            self.progress.write("\n")  # end the progress line before the error's
        if self.failure is not None:
            return str(self.failure), self.failure
        text, m = str(error), _CORE_ROW.search(str(error))
        starts = [s for s in self.starts if m and s[0] <= int(m.group(1))]
        if m is None or not starts:
            return text, error
        first, path = starts[-1]
        k = int(m.group(1)) - first
        line = f"line {k + 2}" if isinstance(self.dataset.format, ds.CsvFileFormat) else ""
        if len(self.files) == 1:
            where = f"{m.group(0)} of {path}" + (f" ({line})" if line else "")
        else:
            where = f"{m.group(0)} (row {k} of {path}" + (f", {line})" if line else ")")
        return f"{text[: m.start()]}{where}{text[m.end() :]}", error


@contextlib.contextmanager
def naming_the_file(stream: Any) -> Iterator[None]:
    """Runs a core call over ``stream``: when it is a :class:`FileStream` that
    failed, the core's InputError (pyarrow's text, a Python traceback) becomes
    the stream's one line naming the file, chained to pyarrow's error."""
    import custseg as cs

    try:
        yield
    except cs.InputError:
        failure = getattr(stream, "failure", None) if isinstance(stream, FileStream) else None
        if failure is None:
            raise
        raise cs.InputError(f"could not read the input: {failure}") from failure
