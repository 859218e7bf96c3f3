#!/usr/bin/env python3
"""Runs the hypothesis fuzz harness of the Python entry points
(``tests/test_fuzz_api.py``, issue 18 item 1) for a given time.

    python scripts/fuzz_api.py [--minutes 10] [--examples 200] [--log FILE]

Rounds of pytest run one after the other until the time is spent, each with
``CUSTSEG_FUZZ_EXAMPLES`` examples per test and a fresh random
``--hypothesis-seed`` (derandomize off), so every round explores new inputs; a
failure found is kept in hypothesis' example database (``.hypothesis/``) and
replayed first by the next rounds and the normal test run. A round still
running five minutes after the time is spent (shrinking a failure) is stopped
and its counts are lost; a call that hangs for two minutes ends its round with
every thread's stack (faulthandler, in the harness). At the end: rounds,
examples run (passing + failing; rejected draws apart), the outcomes seen
(results, error classes, known bugs), and every failing, crashed or hung round
with the command that replays it. Exit status 1 when any round failed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/test_fuzz_api.py"
COUNTS = re.compile(r"- (\d+) passing, (\d+) failing, and (\d+) invalid test cases")
EVENT = re.compile(r"\* +([\d.]+)%, (.+)$")


def command(seed: int) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", TEST, "-p", "no:cacheprovider",
            "--hypothesis-show-statistics", f"--hypothesis-seed={seed}"]  # fmt: skip


def tally(output: str, totals: Counter, events: Counter) -> None:
    """Adds the round's example counts and (approximate) outcome counts."""
    for block in output.split("::test_")[1:]:
        runs = [tuple(map(int, m)) for m in COUNTS.findall(block)]
        cases = sum(p + f + i for p, f, i in runs)
        totals["passing"] += sum(p for p, _, _ in runs)
        totals["failing"] += sum(f for _, f, _ in runs)
        totals["invalid"] += sum(i for _, _, i in runs)
        for line in block.splitlines():
            m = EVENT.search(line)
            if m and not m.group(2).startswith(("Retried draw", "gave up")):
                events[m.group(2)] += round(float(m.group(1)) * cases / 100)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--examples", type=int, default=200, help="examples per test and round")
    ap.add_argument("--log", type=Path, default=None, help="append every round's output here")
    args = ap.parse_args()
    env = {**os.environ, "CUSTSEG_FUZZ_EXAMPLES": str(args.examples), "RUST_BACKTRACE": "0"}
    deadline = time.monotonic() + 60 * args.minutes
    totals, events, problems, rounds = Counter(), Counter(), [], 0
    started = time.monotonic()
    while time.monotonic() < deadline:
        seed = random.randrange(2**32)
        timeout = max(0.0, deadline - time.monotonic()) + 300
        t0 = time.monotonic()
        try:
            p = subprocess.run(command(seed), cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=timeout)  # fmt: skip
            output, code = p.stdout + p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            output, code = f"{e.stdout or ''}{e.stderr or ''}\nstopped after {timeout:.0f} s", None
        rounds += 1
        tally(output, totals, events)
        if args.log:
            with args.log.open("a") as f:
                f.write(f"\n===== round {rounds} seed {seed} exit {code}\n{output}")
        status = (
            "ok" if code == 0 else "stopped at the time limit" if code is None else f"exit {code}"
        )
        if code is not None and code < 0:
            status = f"CRASHED (signal {-code})"
        elif "Timeout (" in output:  # faulthandler.dump_traceback_later fired
            status = "HUNG"
        print(f"round {rounds}: seed {seed}, {time.monotonic() - t0:.0f} s, {status}", flush=True)
        if code not in (0, None):
            replay = f"CUSTSEG_FUZZ_EXAMPLES={args.examples} {' '.join(command(seed)[1:])}"
            problems.append((status, seed, replay, output[-3000:]))
    ran = totals["passing"] + totals["failing"]
    print(f"\n{rounds} rounds in {(time.monotonic() - started) / 60:.1f} min: {ran} examples run "
          f"({totals['failing']} failing), {totals['invalid']} draws rejected")  # fmt: skip
    for name, n in events.most_common():
        print(f"  ~{n:7d}  {name}")
    for status, seed, replay, tail in problems:
        print(f"\n{status} with seed {seed}; replay: python {replay}\n{tail}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
