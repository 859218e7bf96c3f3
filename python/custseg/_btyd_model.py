"""What every BTYD model of custseg shares (rule CLV4): options, the fit's
results (parameters, log-likelihood, convergence, standard errors and
confidence intervals), the summary columns it reads.

The standard errors come from the observed information: minus the Hessian of
the summed, unpenalised log-likelihood at the fitted parameters, computed in
the Rust core from the model's analytic gradient, inverted there. Intervals
are Wald intervals on the log scale, ``exp(log(theta) +- z * se / theta)``:
every parameter is positive, and so is every bound.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from custseg._input import number_column, summary_frame
from custseg.btyd_summary import unit_of
from custseg.errors import ConfigError

#: What the core's fit functions return: params, log-likelihood, converged,
#: iterations, covariance (rows of the inverse observed information).
FitResult = tuple[list[float], float, bool, int, list[list[float]]]


def _check_t(t: Any) -> float:
    if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)):
        raise TypeError(f"t must be a number of time units, got {type(t).__name__}")
    return float(t)


class _Model:
    """What BetaGeo and GammaGamma share: options, fit results, the summary columns."""

    _params: tuple[str, ...] = ()
    _roles: tuple[str, ...] = ()

    def __init__(self, penalizer: float = 0.0, *, threads: int | None = None) -> None:
        self.penalizer = float(penalizer)
        self.threads = threads
        self.params: dict[str, float] | None = None
        self.log_likelihood: float | None = None
        self.converged: bool | None = None
        self.iterations: int | None = None
        self.unit: str | None = None
        self.covariance: dict[str, dict[str, float]] | None = None
        self._columns: tuple[str, ...] = self._roles

    def __repr__(self) -> str:
        name = type(self).__name__
        if self.params is None:
            return f"{name}(penalizer={self.penalizer}) (not fitted)"
        p = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        ll = "" if self.log_likelihood is None else f", log_likelihood={self.log_likelihood:.2f}"
        return f"{name}({p}{ll})"

    def _args(self, s: Any, columns: Sequence[str | None]) -> tuple[Any, list[pa.Array], Any]:
        """The summary frame, its model columns as float64 arrays, and their names."""
        frame = summary_frame(s)
        names = tuple(c or d for c, d in zip(columns, self._columns, strict=True))
        arrays = [
            number_column(frame, n, role, "the summary", "CLV4")
            for n, role in zip(names, self._roles, strict=True)
        ]
        return frame, arrays, names

    def _p(self) -> list[float]:
        if self.params is None:
            raise ConfigError(
                f"the {type(self).__name__} model has no parameters yet: call .fit(summary) or "
                f"build it with {type(self).__name__}.from_params(...) (CLV4)"
            )
        return [self.params[k] for k in self._params]

    def _fitted(self, result: FitResult, frame: Any) -> None:
        params, ll, converged, iterations, cov = result
        self.params = dict(zip(self._params, params, strict=True))
        self.covariance = {
            a: dict(zip(self._params, row, strict=True))
            for a, row in zip(self._params, cov, strict=True)
        }
        self.log_likelihood = ll
        self.converged = converged
        self.iterations = iterations
        self.unit = unit_of(frame)
        if not converged:
            edge = {k: v for k, v in self.params.items() if not 1e-4 < v < 1e4}
            why = (
                "the likelihood keeps rising toward the edge of the parameter space ("
                + ", ".join(f"{k}={v:.3g}" for k, v in edge.items())
                + "): the summary does not identify the model's parameters (the two "
                "parameters of a gamma or beta mixture growing together mean one rate or "
                "probability for all customers, e.g. a and b of BG/NBD: one dropout "
                "probability)"
                if edge
                else "the parameters may be unreliable"
            )
            warnings.warn(
                f"the {type(self).__name__} fit did not converge after {iterations} iterations "
                f"(log-likelihood {ll:.6g}): {why}; check the summary (enough customers? "
                "repeat purchases?), try another model, or pass a small penalizer",
                RuntimeWarning,
                stacklevel=3,
            )

    @property
    def standard_errors(self) -> dict[str, float]:
        """The standard error of each fitted parameter (a mapping like
        :attr:`params`): the square roots of the diagonal of the inverse
        observed information of the summed log-likelihood (CLV4). NaN when the
        information is not positive definite (a fit on the edge of the
        parameter space). Only for a fitted model, not one from
        ``from_params``."""
        cov = self._covariance()
        return {k: math.sqrt(cov[k][k]) if cov[k][k] >= 0 else math.nan for k in self._params}

    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Wald intervals of the parameters at ``level``, on the log scale
        (``exp(log(theta) +- z se / theta)``, so both bounds are positive):
        ``{name: (lower, upper)}``.

        Example:
            >>> import custseg as cs
            >>> s = cs.rfm_summary(cs.datasets.cdnow("sample"), as_of="1997-10-01",
            ...                    unit="W", count_zero_days=True)
            >>> lo, hi = cs.BetaGeo().fit(s).confidence_intervals()["r"]
            >>> lo < 0.243 < hi
            True
        """
        se = self.standard_errors  # a fitted model, or the error that says it is not
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise ConfigError(f"level must be a number between 0 and 1, got {level!r}")
        z = statistics.NormalDist().inv_cdf(0.5 + level / 2)
        assert self.params is not None
        out = {}
        for k in self._params:
            spread = math.exp(z * se[k] / self.params[k])
            out[k] = (self.params[k] / spread, self.params[k] * spread)
        return out

    def summary_table(self, level: float = 0.95) -> Any:
        """The fitted parameters as a pandas DataFrame: ``estimate``,
        ``standard_error``, ``lower`` and ``upper`` (:meth:`confidence_intervals`
        at ``level``), one row per parameter."""
        import pandas as pd

        ci = self.confidence_intervals(level)
        se = self.standard_errors
        assert self.params is not None
        rows = {
            k: {"estimate": v, "standard_error": se[k], "lower": ci[k][0], "upper": ci[k][1]}
            for k, v in self.params.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def _covariance(self) -> dict[str, dict[str, float]]:
        self._p()
        if self.covariance is None:
            raise ConfigError(
                f"this {type(self).__name__} was built from parameters, not fitted: it has no "
                "standard errors; call .fit(summary) (CLV4)"
            )
        return self.covariance
