"""A first call on Arrow or polars data does not import pandas.

pandas takes 0.2-0.5 s to import. ``pyarrow.table(obj)`` asks first whether
``obj`` is a pandas DataFrame and so imports it; the core's results used to be
built that way, so the first call of every Airflow task or script that never
touched pandas paid for it. The segmentations and histories now read their
results from the Arrow stream (``RecordBatchReader.from_stream``). One fresh
interpreter runs each call and says which of them imported pandas.

Not covered: the analyses (``segment_summary``, ``migration``, ``cohorts``, ...)
and the command line build small tables with ``pa.array`` / ``pa.scalar`` or
read files with ``pyarrow.dataset``, and pyarrow imports pandas for those itself.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, sys
import custseg as cs

data = cs.datasets.synthetic(customers=300, years=3, seed=1)  # Arrow, no pandas
assert "pandas" not in sys.modules, "custseg or its synthetic data imported pandas"
as_of = "2026-01-01"
calls = {
    "customer_value": lambda d: cs.customer_value(d, as_of=as_of),
    "rfm": lambda d: cs.rfm(d, as_of=as_of),
    "clv": lambda d: cs.clv(d, as_of=as_of, lifetime_years=3),
    "segment": lambda d: cs.segment(d, as_of=as_of, lifetime_years=3),
    "rfm_summary": lambda d: cs.rfm_summary(d, as_of=as_of),
    "customer_value_history": lambda d: cs.customer_value_history(d, start="2024-01-01", end=as_of),
    "segment_history": lambda d: cs.segment_history(
        d, start="2024-01-01", end=as_of, lifetime_years=3
    ),
}
family = sys.argv[1]
if family == "polars":
    import polars as pl
    data = pl.from_arrow(data)
imported = {}
for name, call in calls.items():
    result = call(data)
    assert result is not None and len(result) > 0, name
    imported[name] = "pandas" in sys.modules
print(json.dumps(imported))
"""


@pytest.mark.parametrize("family", ["arrow", "polars"])
def test_first_calls_do_not_import_pandas(family: str) -> None:
    if family == "polars":
        pytest.importorskip("polars")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, family], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert not any(imported.values()), f"pandas imported after: {imported}"
