"""custseg: Customer Value, RFM and CLV segmentation of transaction tables.

A Rust core behind a thin Python layer. The rules are in the project's
``docs/rules.md``; rule ids (I1, P2, CV6, ...) are cited throughout.

Example:
    >>> import custseg as cs
    >>> tx = cs.datasets.synthetic(customers=2_000, years=3, seed=1)
    >>> cv = cs.customer_value(tx, periods=cs.Periods.semiannual(start_month=1), as_of="2026-01-01")
    >>> sorted(cv.column_names)[:3]
    ['customer_id', 'cv_group', 'cv_segment']
"""

from __future__ import annotations

import importlib as _importlib
import os as _os
import typing as _typing
import warnings as _warnings

from custseg import _core, datasets
from custseg._core import Periods
from custseg.bgbb import BetaGeoBetaBinom
from custseg.btyd import BetaGeo, GammaGamma, predictive_clv
from custseg.btyd_summary import rfm_summary
from custseg.clv import CLV_QUADRANTS, CLV_TENURE_QUADRANTS, CLV_TIERS, clv
from custseg.cohorts import cohorts
from custseg.concentration import Concentration, concentration
from custseg.crosstab import crosstab
from custseg.customer_value import CV_GROUPS, CV_SEGMENTS, customer_value
from custseg.errors import (
    AmountRangeError,
    AsOfError,
    ColumnNotFoundError,
    ConfigError,
    CustsegError,
    InputError,
    InternalError,
    InvalidAmountError,
    InvalidDateError,
    InvalidValueError,
    NullValueError,
    PeriodsError,
    UnsupportedTypeError,
)
from custseg.history import customer_value_history, segment_history
from custseg.holdout import calibration_holdout
from custseg.mbgnbd import ModifiedBetaGeo
from custseg.migration import migration, migration_matrix
from custseg.model_checks import (
    frequency_recency_matrix,
    holdout_accuracy,
    holdout_by_frequency,
    period_transactions,
    tracking,
)
from custseg.pareto_nbd import ParetoNBD
from custseg.performance import segment_performance
from custseg.playbook import playbook
from custseg.profile import ProfileReport, profile
from custseg.report import Report
from custseg.rfm import DEFAULT_RULES as RFM_RULES
from custseg.rfm import rfm
from custseg.segment import segment
from custseg.summary import segment_summary

__version__: str = _core.__version__

__all__ = [
    "CLV_QUADRANTS",
    "CLV_TENURE_QUADRANTS",
    "CLV_TIERS",
    "CV_GROUPS",
    "CV_SEGMENTS",
    "AmountRangeError",
    "AsOfError",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "ColumnNotFoundError",
    "Concentration",
    "ConfigError",
    "CustsegError",
    "GammaGamma",
    "InputError",
    "InternalError",
    "InvalidAmountError",
    "InvalidDateError",
    "InvalidValueError",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "NullValueError",
    "Periods",
    "PeriodsError",
    "ProfileReport",
    "RFM_RULES",
    "Report",
    "UnsupportedTypeError",
    "calibration_holdout",
    "clv",
    "cohorts",
    "concentration",
    "crosstab",
    "customer_value",
    "customer_value_history",
    "datasets",
    "frequency_recency_matrix",
    "holdout_accuracy",
    "holdout_by_frequency",
    "migration",
    "migration_matrix",
    "period_transactions",
    "playbook",
    "predictive_clv",
    "profile",
    "rfm",
    "rfm_summary",
    "segment",
    "segment_history",
    "segment_performance",
    "segment_summary",
    "tracking",
]


def __getattr__(name: str) -> _typing.Any:
    """``custseg.plot`` is imported on first use, so that ``import custseg``
    does not import matplotlib."""
    if name == "plot":
        return _importlib.import_module("custseg.plot")
    raise AttributeError(f"module 'custseg' has no attribute {name!r}")


if _core.BUILD_PROFILE == "debug":
    _warnings.warn(
        "custseg was built in debug mode and is much slower than a release build; "
        "build with `maturin develop --release` (or `pip install .`)",
        RuntimeWarning,
        stacklevel=2,
    )

# Rayon's global thread pool does not survive fork() (Airflow forks task runners).
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_core._after_fork_in_child)
