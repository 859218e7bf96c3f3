#!/usr/bin/env python3
"""The few commands a newcomer needs; only Python 3, pip and a Rust toolchain required.

    python3 tasks.py demo    # set up .venv, build custseg (release), run `custseg demo`
    python3 tasks.py test    # set up, build once, run every check and test (what CI runs):
                             # cargo fmt/clippy, the core's tests without pyo3, the fuzz
                             # corpora and valgrind (issue 18), ruff, stubtest, pytest
    python3 tasks.py bench   # benchmark programs (see README)
    python3 tasks.py dev     # fast incremental build for the inner loop
    python3 tasks.py wheel   # the release wheel in target/wheels, to pip install anywhere
    python3 tasks.py rust-checks  # only the Rust half of `test` (fmt, clippy, cargo test, valgrind)

The virtual environment lives in ./.venv (ignored by git).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
MATURIN = "maturin>=1.9.4,<2"
DEV_DEPS = [
    MATURIN,
    "numpy>=1.24",
    "pyarrow>=14",
    "pandas>=2.2",
    "polars>=1.0",
    "duckdb>=1.1",
    "matplotlib>=3.7",
    "plotly>=5",
    "pyspark>=4.0",  # custseg.spark and its tests (issue 16); needs Java 17
    "pytest>=8",
    "pytest-xdist>=3.5",  # the test command's pytest workers (python_checks)
    "hypothesis>=6.100",
    "scipy>=1.10",
    "nbclient>=0.10",
    "nbformat>=5",
    "ipykernel>=6",
    "ruff>=0.6",
    "mypy>=1.10",
]


def sh(*cmd: object, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    t = time.monotonic()
    r = subprocess.run([str(c) for c in cmd], cwd=ROOT, env={**os.environ, **(env or {})})
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(str(c) for c in cmd)}")
    print(f"  ({time.monotonic() - t:.0f}s)", flush=True)


def setup() -> None:
    """Creates .venv with the build and test dependencies (idempotent)."""
    make_venv()
    sh(PY, "-m", "pip", "install", "-q", *DEV_DEPS)


def make_venv() -> None:
    """Creates .venv with an up-to-date pip, when it is not there."""
    if not PY.exists():
        sh(sys.executable, "-m", "venv", VENV)
        sh(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")


def build(profile: str = "release") -> None:
    """Builds the extension into .venv (editable install of python/custseg)."""
    args = ["--release"] if profile == "release" else ["--profile", profile]
    sh(BIN / "maturin", "develop", "-q", *args, env={"VIRTUAL_ENV": str(VENV)})


# What the wheel must hold besides the Python modules (issue 14: a package a stranger can use).
WHEEL_MUST_HOLD = (
    "custseg/py.typed",
    "custseg/_core.pyi",
    "custseg/data/cdnow_master.parquet",
    "custseg/data/cdnow_sample.parquet",
    "custseg/data/donations.csv",
)


def start_wheel() -> subprocess.Popen[bytes]:
    """Starts the release wheel build into target/wheels in the background, in its
    own target folder (so cargo's lock does not make other builds wait); its output
    goes to target/wheel-build.log. The fat-LTO link runs on one core for minutes:
    `test` runs the Rust checks on the other meanwhile."""
    out = ROOT / "target" / "wheels"
    for old in out.glob("custseg-*.whl"):
        old.unlink()
    cmd = [BIN / "maturin", "build", "-q", "--release", "-o", out, "--interpreter", PY]
    print("+ (in the background)", " ".join(str(c) for c in cmd), flush=True)
    env = {**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target" / "wheel-build")}
    return background([str(c) for c in cmd], ROOT / "target" / "wheel-build.log", env=env)


def finish_wheel(build: subprocess.Popen[bytes]) -> Path:
    """Waits for the wheel build of :func:`start_wheel` and checks what it holds."""
    import zipfile

    t = time.monotonic()
    if build.wait() != 0:
        print((ROOT / "target" / "wheel-build.log").read_text(errors="replace"), flush=True)
        sys.exit(f"failed ({build.returncode}): the release wheel build (log above)")
    print(f"  (the wheel build ended; waited {time.monotonic() - t:.0f}s for it)", flush=True)
    (wheel,) = (ROOT / "target" / "wheels").glob("custseg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in WHEEL_MUST_HOLD if n not in names]
    if missing or not any(n.startswith("custseg/_core.") for n in names):
        sys.exit(f"{wheel.name} lacks {missing or 'the compiled module'}")
    print(f"  {wheel.name}: {len(names)} files, {wheel.stat().st_size / 1e6:.1f} MB", flush=True)
    return wheel


def build_wheel() -> Path:
    """Builds the release wheel into target/wheels and checks what it holds."""
    return finish_wheel(start_wheel())


def install_wheel(wheel: Path) -> None:
    """Installs the release wheel into .venv in place of any editable install: the
    tests then test what a user would install."""
    sh(PY, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", wheel)


def wheel() -> None:
    """Builds the release wheel (abi3: one file for Python 3.10 and later)."""
    setup()
    path = build_wheel()
    print(f'install it with: pip install "{path}[pandas,plot]"')


def demo() -> None:
    setup()
    build()
    sh(BIN / "custseg", "demo")


def test() -> None:
    """Every check. Two chains share the machine: the virtual environment, the
    release wheel (its fat-LTO link runs on one core for minutes), then the Python
    checks on it; and the Rust checks (:func:`rust_checks`, which need no virtual
    environment) in a background process from the start, at a lower priority, so
    that they take the cores the first chain leaves idle (pip and pytest mostly
    wait on the network, subprocesses and JVM starts) instead of slowing it.
    Their output is printed when they end. The wheel starts as soon as maturin is
    installed, while pip installs the rest. On 2 cores (fresh clones): 17-18 min
    with the Rust checks first and the wheel beside them, 16 min with them in the
    background after the install, 15 min from the start, 12 min with the wheel
    started before pip installs the rest; the wheel's single-core fat-LTO build is
    the critical path."""
    check_valgrind()
    check_java()
    rust = start_rust_checks()
    wheel_build = None
    ok = False
    try:
        # maturin first, so that the wheel (the critical path) builds while pip
        # installs the rest.
        make_venv()
        sh(PY, "-m", "pip", "install", "-q", MATURIN)
        wheel_build = start_wheel()
        setup()
        install_wheel(finish_wheel(wheel_build))
        python_checks()
        ok = True
    finally:
        if not ok:
            stop(wheel_build)
            stop(rust)
        finish_rust_checks(rust, wait=ok)


def background(cmd: list[str], log: Path, **kw: object) -> subprocess.Popen[bytes]:
    """Starts `cmd` with its output into `log`, in a process group of its own
    (POSIX), so that :func:`stop` ends its cargo, rustc and valgrind too."""
    log.parent.mkdir(exist_ok=True)
    with open(log, "wb") as f:
        return subprocess.Popen(
            cmd, cwd=ROOT, stdout=f, stderr=f, start_new_session=os.name == "posix", **kw
        )


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """Ends a :func:`background` process and everything it started."""
    if proc is None or proc.poll() is not None:
        return
    if os.name == "posix":
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


RUST_LOG = ROOT / "target" / "rust-checks.log"


def start_rust_checks() -> subprocess.Popen[bytes]:
    """Starts `tasks.py rust-checks` in the background at a lower priority (nice 10,
    inherited by cargo, rustc and valgrind), its output into target/rust-checks.log."""
    cmd = [sys.executable, str(ROOT / "tasks.py"), "rust-checks"]
    print("+ (in the background, nice 10)", " ".join(cmd), flush=True)
    lower = (lambda: os.nice(10)) if hasattr(os, "nice") else None
    return background(cmd, RUST_LOG, preexec_fn=lower)


def finish_rust_checks(rust: subprocess.Popen[bytes], *, wait: bool) -> None:
    """Waits for the Rust checks (when `wait`), prints their log, fails if they did."""
    t = time.monotonic()
    if wait:
        rust.wait()
    waited = time.monotonic() - t
    print(f"+ the Rust checks' output (target/rust-checks.log; waited {waited:.0f}s for them):")
    print(RUST_LOG.read_text(errors="replace"), flush=True)
    if wait and rust.returncode != 0:
        sys.exit(f"failed ({rust.returncode}): the Rust checks (their output above)")


def rust_checks() -> None:
    """The Rust half of `test`: format, clippy, the core's tests, the fuzz corpora
    and valgrind."""
    check_valgrind()
    rust_lints()
    rust_tests()


def rust_lints() -> None:
    """Format and clippy, in one pass over the workspace: the core with its bindings,
    its tests, benches and examples, and the fuzz targets. No code of the core
    depends on the `python` feature being off (only src/python/ is behind it), so
    a second pass without it lints nothing more; three passes took 3.5 minutes of
    the test command, this one about one."""
    sh("cargo", "fmt", "--all", "--", "--check")
    sh("cargo", "clippy", "--workspace", "--all-targets", "--", "-D", "warnings")


# The core without pyo3 and with the system allocator, and the fuzz targets, in one
# cargo call: one feature resolution, so the core and arrow build once for both
# (two calls resolved them differently and built them twice: 185 s against 139 s
# from scratch). scripts/memcheck.sh passes the same flags to find the same binary.
CORE_TEST_FEATURES = (
    "--workspace",
    "--no-default-features",
    "--features",
    "custseg/system-allocator",
)


def rust_tests() -> None:
    """The core's tests, built with the system allocator so that memcheck runs the
    very same test binary (scripts/memcheck.sh; the wheel keeps mimalloc, and the
    Python tests run it), and issue 18's fuzz corpora replayed and each target run
    on new inputs for a few seconds (fuzz/README.md); then the unsafe blocks' tests
    under valgrind."""
    sh("cargo", "test", "-q", *CORE_TEST_FEATURES)
    sh("bash", "scripts/memcheck.sh")


DOCTESTS = ("--doctest-modules", "--pyargs", "custseg")  # the package's, from the wheel
# pytest-xdist workers, each module's tests on one worker (a module's fixtures, such as
# the Airflow test's cached virtual environment, are then set up once, by one worker),
# and the Spark modules all on one (tests/conftest.py: one Spark session at a time).
# Much of the suite waits (subprocesses, JVM starts): two workers on two cores took
# pytest from 455-526 s to about 365-395 s.
PYTEST_WORKERS = ("-n", str(min(4, os.cpu_count() or 1)), "--dist", "loadfile")


def python_checks() -> None:
    """Ruff, stubtest and pytest (with the doctests and the notebooks) on the wheel."""
    py_paths = [
        p
        for p in ("python", "tests", "benches", "examples", "scripts", "tasks.py")
        if (ROOT / p).exists()
    ]
    sh(BIN / "ruff", "check", *py_paths)
    sh(BIN / "ruff", "format", "--check", *py_paths)
    sh(PY, "-m", "mypy.stubtest", "custseg._core", "--allowlist", "tests/stubtest_allowlist.txt")
    # From the root, where `custseg` is the installed wheel (python/ is not on the path).
    # The slowest tests are listed at the end: the suite's time is watched (README).
    sh(PY, "-m", "pytest", "-q", *PYTEST_WORKERS, "--durations=25", "tests", *DOCTESTS)


def need(tool: str, why: str, install: str) -> None:
    """Stops with what to install when a program the tests need is not on PATH."""
    if shutil.which(tool) is None:
        sys.exit(f"{why} and `{tool}` is not on PATH: install it ({install}), then run again")


def check_java() -> None:
    """The Spark tests (custseg.spark, issue 16) start a local Spark, which needs Java."""
    need(
        "java",
        "the Spark tests need a Java runtime (Java 17)",
        "Debian/Ubuntu: `sudo apt install openjdk-17-jre-headless`; macOS: `brew install "
        "openjdk@17`; or set JAVA_HOME and put $JAVA_HOME/bin on PATH",
    )


def check_valgrind() -> None:
    """scripts/memcheck.sh runs the core's unsafe code under valgrind (issue 18)."""
    need(
        "valgrind",
        "the memory-safety check needs valgrind",
        "Debian/Ubuntu: `sudo apt install valgrind`; Fedora: `sudo dnf install valgrind`",
    )


def dev() -> None:
    setup()
    build("fast")


def bench() -> None:
    setup()
    build()
    sh(PY, "benches/bench_customer_value.py", *sys.argv[2:])


if __name__ == "__main__":
    commands = {
        "demo": demo,
        "test": test,
        "dev": dev,
        "bench": bench,
        "setup": setup,
        "wheel": wheel,
        "rust-checks": rust_checks,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]]()
