"""The README's "first five minutes" runs as written, says what it prints, and
its pictures exist and are remade by scripts/make_readme_images.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## The first five minutes", 1)[1].split("\n## ", 1)[0]


def test_the_first_five_minutes_run_and_print_what_they_say(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", SECTION, flags=re.S)
    assert len(blocks) == 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    printed = capsys.readouterr().out
    claimed = re.search(r"print\(c\)\s+# \.\.\.(.*?): \.\.\.; (.*?); \.\.\.", SECTION)
    assert claimed is not None
    for part in claimed.groups():
        assert part in printed, (part, printed)
    assert namespace["cs"].playbook("cv").num_rows == 19


def test_the_pictures_exist_and_the_script_remakes_them(tmp_path: Path) -> None:
    linked = re.findall(r"!\[[^\]]*\]\((docs/img/[^)]+\.png)\)", SECTION)
    assert len(linked) == 3
    for path in linked:
        assert (ROOT / path).stat().st_size > 10_000, path
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_readme_images.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for path in linked:
        made = tmp_path / Path(path).name
        assert made.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_install_line() -> None:
    assert 'pip install ".[pandas,plot]"' in README
    assert "[pandas,plot]" in (ROOT / "tasks.py").read_text(encoding="utf-8")
