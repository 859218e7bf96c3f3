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
