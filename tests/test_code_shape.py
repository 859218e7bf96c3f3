"""Sizes a reader can hold (issue 13): no Rust file over 800 lines of non-test
code, no Rust function over 100 lines, no module of the Python package over
400 lines, and no two core modules importing each other.

Rust is read as text, the way rustfmt lays it out: a function runs from its
``fn`` line to the closing brace at the same indentation; a file's test code
starts at its ``#[cfg(test)]`` module.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = ROOT / "python" / "custseg"

MAX_FILE_LINES = 800
MAX_FN_LINES = 100
MAX_PY_LINES = 400
# Functions allowed past MAX_FN_LINES, with the reason in their doc comment.
LONG_FNS: set[str] = set()

FN = re.compile(r"^(\s*)(pub(\([a-z]+\))? )?(const )?(unsafe )?fn (\w+)")
USE = re.compile(r"^\s*(pub(\([a-z]+\))? )?use (crate|super)::(\w+)")


def rust_files() -> list[Path]:
    return sorted(SRC.rglob("*.rs"))


def non_test_lines(path: Path) -> list[str]:
    """The lines of a Rust file before its test module (all of a tests.rs file is test code)."""
    lines = path.read_text().splitlines()
    if path.name == "tests.rs":
        return []
    for i, line in enumerate(lines):
        if line.startswith("#[cfg(test)]") and i + 1 < len(lines) and "mod tests" in lines[i + 1]:
            return lines[:i]
    return lines


def functions(path: Path) -> list[tuple[str, int, int]]:
    """(name, first line, length) of every function of a Rust file, tests included."""
    lines = path.read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m or line.rstrip().endswith(";"):
            continue  # not a function, or a declaration without a body
        if "{" in line and line.rstrip().endswith("}"):
            out.append((m.group(6), i + 1, 1))
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j] == m.group(1) + "}")
        out.append((m.group(6), i + 1, end - i + 1))
    return out


@pytest.mark.parametrize("path", rust_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_rust_files_are_short(path: Path) -> None:
    n = len(non_test_lines(path))
    assert n <= MAX_FILE_LINES, f"{path.relative_to(ROOT)}: {n} lines of non-test code"


@pytest.mark.parametrize("path", rust_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_rust_functions_are_short(path: Path) -> None:
    long = [
        f"{name} (line {first}, {n} lines)"
        for name, first, n in functions(path)
        if n > MAX_FN_LINES and name not in LONG_FNS
    ]
    assert not long, f"{path.relative_to(ROOT)}: {', '.join(long)}"


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.glob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_python_modules_are_short(path: Path) -> None:
    n = len(path.read_text().splitlines())
    assert n <= MAX_PY_LINES, f"{path.relative_to(ROOT)}: {n} lines"


def module_of(path: Path) -> str:
    """The top module of a Rust file under src/ (``engine`` for src/engine/walk.rs)."""
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".rs")


def test_no_two_core_modules_import_each_other() -> None:
    """The core's modules form no cycle of two (the binding layer, src/python, may
    import anything; test code is left out)."""
    imports: dict[str, set[str]] = {}
    for path in rust_files():
        mod = module_of(path)
        if mod in ("python", "lib"):
            continue
        for line in non_test_lines(path):
            m = USE.match(line)
            if m and m.group(3) == "crate" and m.group(4) != mod:
                imports.setdefault(mod, set()).add(m.group(4))
    pairs = sorted(
        f"{a} <-> {b}" for a, deps in imports.items() for b in deps if a in imports.get(b, set())
    )
    assert not pairs, f"modules importing each other: {pairs}"
    assert "engine" not in imports.get("tiers", set())
    for rule in ("customer_value", "rfm", "clv", "btyd"):
        others = {"customer_value", "rfm", "clv", "btyd"} - {rule}
        assert not imports.get(rule, set()) & others, f"{rule} imports {imports[rule] & others}"
        assert "engine" in imports.get(rule, set()), f"{rule} does not read the engine's facts"
