"""What to do with each segment (rule A3): the goals and actions of the seeds
per segment label, in English or Dutch, as a table to join onto results."""

from __future__ import annotations

from typing import Any, Literal

import pyarrow as pa

from custseg import _core
from custseg._frames import to_family
from custseg.errors import ConfigError

Kind = Literal["cv", "rfm", "value_loyalty", "clv_tier", "tenure_quadrant"]


def playbook(
    kind: Kind = "cv",
    lang: Literal["en", "nl"] = "en",
    output: Literal["arrow", "pandas", "polars"] = "arrow",
) -> Any:
    """The suggested goal and actions per segment of a segmentation (rule A3),
    one row per segment label, to join onto a result on its label columns.

    Sources: ``"cv"`` follows the Customer Value group descriptions of seeds
    000/001 (SOL buyers wait for the sales; ACT holds the most loyal; COLD
    still has a relationship to keep; 4 LOST slips away unless reactivated in
    time; 5 LOST is hardly reachable); ``"value_loyalty"`` gives the
    strategies per segment of seeds 002/003 in their words; ``"clv_tier"``
    and ``"tenure_quadrant"`` the 20-60-20 tiers, the three CLV tactics and
    the quadrant map of seed 004; ``"rfm"`` the usual actions of the named RFM
    segments. The ``source`` column says which; goals and actions beyond the
    seeds' words are ours.

    Args:
        kind: ``"cv"`` (keys ``cv_group``, ``cv_segment``: every pair CV4
            can give), ``"rfm"`` (``rfm_segment``: the default rules' names
            and ``Others``; custom rule names have no entry), ``"value_loyalty"``,
            ``"clv_tier"`` or ``"tenure_quadrant"``.
        lang: ``"en"`` or ``"nl"``.
        output: ``"arrow"`` (a pyarrow Table), ``"pandas"`` or ``"polars"``;
            the key columns are ordered categories as in the results, so a join
            keeps them.

    Example:
        >>> import custseg as cs
        >>> pb = cs.playbook(kind="value_loyalty", output="pandas")
        >>> pb.loc[0, "actions"].split("; ")[0]
        'Reward with exclusive offers'
        >>> cs.playbook("cv", lang="nl").num_rows
        19
    """
    if output not in ("arrow", "pandas", "polars"):
        raise ConfigError(f'output must be "arrow", "pandas" or "polars", got {output!r}')
    keys, labels, goals, actions, sources = _core.playbook(kind, lang)
    columns: dict[str, Any] = {}
    for j, key in enumerate(keys):
        column = [row[j] for row in labels]
        categories = _all_categories(key, list(dict.fromkeys(column)))
        columns[key] = pa.DictionaryArray.from_arrays(
            pa.array([categories.index(v) for v in column], pa.int8()),
            pa.array(categories, pa.string()),
            ordered=True,
        )
    columns["goal"] = pa.array(goals, pa.string())
    columns["actions"] = pa.array(actions, pa.string())
    columns["source"] = pa.array(sources, pa.string())
    return to_family(pa.table(columns), output)


def _all_categories(key: str, present: list[str]) -> list[str]:
    """The categories of a key column as in the results (CV7, CLV2, CLV3,
    CLV3a), so the playbook's labels join onto them; RFM keeps its own."""
    every = {
        "cv_group": _core.CV_GROUPS,
        "cv_segment": _core.CV_SEGMENTS,
        "clv_tier": _core.CLV_TIERS,
        "value_loyalty": _core.CLV_QUADRANTS,
        "tenure_quadrant": _core.CLV_TENURE_QUADRANTS,
    }.get(key)
    return list(every) if every is not None else present
