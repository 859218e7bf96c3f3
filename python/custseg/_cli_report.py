"""What the command line writes and prints after a run: the output file,
written atomically (issue 18), the segment tables (customers and value shares
per label, counted in the core) and the report line."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from custseg._cli_io import format_of


def write_output(table: Any, out: str) -> None:
    """Writes ``table`` to ``out``, by its suffix, atomically (issue 18): into a
    temporary file of the same folder (``.NAME.custseg-tmp-XXXX``, which an
    input folder skips), renamed over ``out`` once complete, so an error, Ctrl-C
    or SIGTERM leaves an earlier ``out`` as it was and no partial file."""
    path = Path(os.path.realpath(out))  # through a link, as a plain write would
    kind = format_of(out, None)
    if path.exists() and not path.is_file():
        return _write(table, str(path), kind)  # /dev/null, a pipe: nothing to rename
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.custseg-tmp-", dir=path.parent)
    try:
        os.close(fd)
        os.chmod(tmp, _mode(path))
        _write(table, tmp, kind)
        os.replace(tmp, path)
    except BaseException:  # KeyboardInterrupt and SIGTERM too (cli.main)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return None


def _mode(path: Path) -> int:
    """The permissions a plain write would give: the old file's, or the umask's."""
    if path.exists():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write(table: Any, out: str, kind: str) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    if kind == "csv":
        plain = table
        for i, f in enumerate(table.schema):
            if str(f.type).startswith("dictionary"):
                plain = plain.set_column(i, f.name, table.column(i).cast("string"))
        pcsv.write_csv(plain, out)
    elif kind == "ipc":
        feather.write_feather(table, out)
    else:
        pq.write_table(table, out)


def print_cv_summary(cv: Any, report: Any, seconds: float) -> None:
    import custseg as cs

    s = cs.segment_summary(cv)
    print(f"{'cv_group':<9} {'cv_segment':<10} {'customers':>10} {'cust %':>7} {'monetary %':>10}")
    for row in s.to_pylist():
        print(
            f"{row['cv_group']:<9} {row['cv_segment']:<10} {row['customers']:>10,} "
            f"{100 * row['customer_share']:>6.1f}% {100 * row['monetary_share']:>9.1f}%"
        )
    print(report_line(report, seconds))


def report_line(report: Any, seconds: float) -> str:
    spilled = (
        f", {report.bytes_spilled / 1e9:.2f} GB spilled to disk" if report.bytes_spilled else ""
    )
    return (
        f"{report.customers:,} customers from {report.rows_used:,} rows "
        f"(as_of {report.as_of}, {seconds:.2f} s{spilled})"
    )


def share_table(labels: Any, title: str, columns: list[tuple[str, Any]]) -> list[str]:
    """Lines of a small table: one row per label present (category order), the customer
    count and share, then a share column per (name, values) in ``columns`` (one at
    least); counted in the core, like :func:`custseg.segment_summary`."""
    import pyarrow as pa

    from custseg import _core
    from custseg._frames import categories

    codes, cats = categories(labels)
    names = [str(c) for c in cats.to_pylist()]
    sums = [
        _core.summary([(codes, len(names))], pa.array(values, pa.float64()))
        for _, values in columns
    ]
    width = max([len(title), *(len(x) for x in names)])
    head = f"{title:<{width}} {'customers':>10} {'cust %':>7}"
    head += "".join(f" {name:>{max(len(name), 8)}}" for name, _ in columns)
    lines = [head]
    (present,), counts, shares = sums[0][0], sums[0][1], sums[0][2]
    for k, code in enumerate(present):
        line = f"{names[code]:<{width}} {counts[k]:>10,} {100 * shares[k]:>6.1f}%"
        for (label, _), s in zip(columns, sums, strict=True):
            line += f" {100 * s[4][k]:>{max(len(label), 8) - 1}.1f}%"
        lines.append(line)
    return lines


def print_rfm_summary(result: Any, report: Any, seconds: float, monetary: str) -> None:
    revenue = result["monetary"].to_numpy()
    if monetary == "mean":  # R1: the mean per purchase event, times the events
        revenue = revenue * result["frequency"].to_numpy()
    for line in share_table(result["rfm_segment"], "rfm_segment", [("revenue %", revenue)]):
        print(line)
    print(report_line(report, seconds))


def print_clv_summary(result: Any, report: Any, seconds: float, given: bool) -> None:
    import numpy as np

    aov = result["aov"].to_numpy()
    per_year = result["purchases_per_year"].to_numpy()
    tenure = result["tenure_years"].to_numpy()
    # CLV1: events = purchases_per_year x max(tenure_years, 1); revenue = aov x events.
    revenue = aov * np.rint(per_year * np.maximum(tenure, 1.0))
    clv = result["clv"].to_numpy()
    for line in share_table(
        result["clv_tier"], "clv_tier", [("revenue %", revenue), ("clv %", clv)]
    ):
        print(line)
    if result.num_rows:
        lifetime = result["lifetime_years"][0].as_py()
        how = "given" if given else "1 / yearly churn"
        print(f"lifetime_years {lifetime:.3g} ({how})")
    print(report_line(report, seconds))
