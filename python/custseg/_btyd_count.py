"""What the count models on (frequency, recency, T) share (rule CLV4): BG/NBD
(:class:`custseg.BetaGeo`), MBG/NBD (:class:`custseg.ModifiedBetaGeo`) and
Pareto/NBD (:class:`custseg.ParetoNBD`).

They read the same three summary columns and answer the same questions, each
with its own formulas in the Rust core: the core functions of a model are
named ``<prefix>_fit``, ``<prefix>_p_alive``, ... with the model's
``_core_name`` as prefix, and take the same arguments. A model class holds its
parameters' names, its ``from_params`` and its docstring with the formulas;
the methods are here, once.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from custseg import _core
from custseg._btyd_model import _check_t, _Model
from custseg._frames import family_of, vector, with_columns
from custseg.errors import ConfigError

M = TypeVar("M", bound="CountModel")


def check_n_max(n_max: Any) -> int:
    if isinstance(n_max, bool) or not isinstance(n_max, (int, np.integer)) or n_max < 0:
        raise ConfigError(f"n_max must be a whole number >= 0, got {n_max!r} (CLV4)")
    return int(n_max)


class CountModel(_Model):
    """A count model of repeat purchases on (frequency, recency, T) (CLV4)."""

    _roles = ("frequency", "recency", "T")
    #: The prefix of the model's functions in the core (``bgnbd``, ``pareto``...).
    _core_name = ""

    def _core(self, what: str) -> Any:
        return getattr(_core, f"{self._core_name}_{what}")

    def _with_params(self: M, params: dict[str, float], unit: str | None) -> M:
        self.params = {k: float(params[k]) for k in self._params}
        self.unit = unit
        return self

    def fit(
        self: M, s: Any, *, frequency: str = "frequency", recency: str = "recency", T: str = "T"
    ) -> M:
        """Fits the parameters by maximum likelihood on the summary ``s``
        (from :func:`custseg.rfm_summary` or :func:`custseg.calibration_holdout`,
        or any frame with the three columns, e.g. a ``lifetimes`` summary).
        Returns ``self``, with ``params``, ``log_likelihood``, ``converged``,
        ``standard_errors`` and :meth:`confidence_intervals`. Needs at least one
        customer with a repeat purchase.

        Raises :class:`custseg.InvalidValueError` naming the column and row
        for an impossible row (negative or fractional frequency, recency > T,
        negative or non-finite values) and :class:`custseg.NullValueError`
        for a null."""
        self._columns = (frequency, recency, T)
        frame, cols, names = self._args(s, self._columns)
        fitted = self._core("fit")(
            *cols, names=names, penalizer=self.penalizer, threads=self.threads
        )
        self._fitted(fitted, frame)
        return self

    def log_likelihood_of(
        self,
        s: Any,
        *,
        frequency: str | None = None,
        recency: str | None = None,
        T: str | None = None,
    ) -> float:
        """Total log-likelihood of the rows of ``s`` under the model's parameters
        (the column names default to those of the fit)."""
        _, cols, names = self._args(s, (frequency, recency, T))
        return self._core("log_likelihood")(self._p(), *cols, names=names)

    def conditional_expected_purchases(
        self,
        t: float,
        s: Any,
        *,
        frequency: str | None = None,
        recency: str | None = None,
        T: str | None = None,
    ) -> Any:
        """Expected purchases of each customer of ``s`` in the next ``t`` time
        units, given their history: E[Y(t) | frequency, recency, T] (the
        model's formula in the class docstring). A pandas Series (with the
        summary's index), polars Series or pyarrow Array."""
        frame, cols, names = self._args(s, (frequency, recency, T))
        v = self._expected(cols, names, t)
        return vector(v, family_of(frame), "expected_purchases", getattr(frame, "index", None))

    def p_alive(
        self,
        s: Any,
        *,
        frequency: str | None = None,
        recency: str | None = None,
        T: str | None = None,
    ) -> Any:
        """P(alive) of each customer of ``s`` at the end of the calibration
        period (the model's formula in the class docstring), in the family of
        :meth:`conditional_expected_purchases`."""
        frame, cols, names = self._args(s, (frequency, recency, T))
        v = self._core("p_alive")(self._p(), *cols, names=names, threads=self.threads)
        return vector(v, family_of(frame), "p_alive", getattr(frame, "index", None))

    def expected_purchases(
        self,
        t: float,
        s: Any,
        *,
        frequency: str | None = None,
        recency: str | None = None,
        T: str | None = None,
    ) -> Any:
        """``s`` with two columns added: ``expected_purchases`` (in the next
        ``t`` time units, see :meth:`conditional_expected_purchases`) and
        ``p_alive``."""
        frame, cols, names = self._args(s, (frequency, recency, T))
        e = self._expected(cols, names, t)
        a = self._core("p_alive")(self._p(), *cols, names=names, threads=self.threads)
        return with_columns(frame, {"expected_purchases": e, "p_alive": a})

    def expected_purchases_population(self, t: float) -> float:
        """E[X(t)]: expected repeat purchases of a new customer in its first
        ``t`` time units."""
        return self._core("population_expected")(self._p(), _check_t(t))

    def probability_of_purchases(self, t: float, n_max: int) -> np.ndarray:
        """P(X(t) = x) for x = 0..``n_max``: the probability that a new
        customer makes exactly x repeat purchases in the first ``t`` time
        units after the first purchase. The last entry is P(X(t) = n_max),
        not a tail: the entries add up to 1 only as n_max grows. Evaluated in
        the core (a float64 numpy array of ``n_max + 1`` entries); used by
        :func:`custseg.period_transactions`."""
        run = self._core("probability_of_purchases")
        p = run(self._p(), _check_t(t), check_n_max(n_max), threads=self.threads)
        return np.asarray(p, dtype=np.float64)

    def _expected(self, cols: list[Any], names: Any, t: float) -> Any:
        run = self._core("conditional_expected")
        return run(self._p(), *cols, names=names, horizon=_check_t(t), threads=self.threads)
