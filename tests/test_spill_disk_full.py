"""A full spill disk (issue 18, item 4): a clear ``OSError`` naming the folder
and the bytes needed, and no spill file left behind.

The disk is a 256 KiB tmpfs mounted in a private mount namespace
(``unshare -rm``), so the test needs no privileges beyond what unprivileged
user namespaces allow; where they are not allowed the test is skipped and says
why.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import os, sys
    import numpy as np, pyarrow as pa
    import custseg as cs

    spill = sys.argv[1]
    n = 400_000  # 400k distinct (customer, day) lines: 6.4 MB to spill, the disk holds 256 KiB
    rng = np.random.default_rng(1)
    t = pa.table({
        "customer_id": rng.integers(0, 50_000, n),
        "date": pa.array(rng.integers(18_000, 19_000, n).astype("int32"), pa.date32()),
        "amount": rng.random(n) * 100,
    })
    try:
        cs.customer_value(t.to_reader(max_chunksize=50_000), memory_limit=0, spill_dir=spill)
        print("NO ERROR")
    except OSError as e:
        print(f"OSError: {e}")
    print("LEFT:", sorted(os.listdir(spill)))
    """
)


def _namespaces_allowed(tmp_path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tmp_path}"],
        capture_output=True,
    )
    return probe.returncode == 0


def test_a_full_spill_disk_is_an_oserror_naming_the_folder_and_the_bytes(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _namespaces_allowed(disk):
        pytest.skip("cannot mount a small tmpfs here (unshare -rm and mount not permitted)")
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    cmd = f"mount -t tmpfs -o size=256k tmpfs {disk} && exec {sys.executable} {script} {disk}"
    r = subprocess.run(["unshare", "-rm", "sh", "-c", cmd], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "OSError: could not spill lines to disk at " + str(disk) in out, out
    assert "the disk is full" in out and "more were needed for this window" in out, out
    assert "LEFT: []" in out, f"spill files left on the full disk:\n{out}"
