#!/usr/bin/env python3
"""Makes the pictures of the README's "first five minutes" (docs/img/*.png) with the
same calls the README shows, so they can be remade after a change:

    .venv/bin/python scripts/make_readme_images.py [--out docs/img]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import custseg as cs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-01-01"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    out = ap.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)

    # The README's first five minutes, call for call.
    tx = cs.datasets.synthetic(
        customers=30_000, years=4, seed=11, extra_columns=True, output="pandas"
    )
    cv = cs.customer_value(tx, as_of=AS_OF)
    act = cv[cv["cv_group"] == "2 ACT"]
    by_category = cs.profile(act, tx, by="category", as_of=AS_OF)
    c = cs.concentration(cv, value="monetary", negative="zero")

    for name, ax in [
        ("segments", cs.plot.segments(cv)),
        ("profile", cs.plot.profile(by_category)),
        ("concentration", cs.plot.concentration(c)),
    ]:
        path = out / f"{name}.png"
        ax.figure.savefig(path, dpi=80)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
