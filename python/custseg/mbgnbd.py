"""The MBG/NBD model of repeat purchases and P(alive) (rule CLV4): Batislam,
Denizel and Filiztekin (2007), "Empirical validation and comparison of models
for customer base analysis", International Journal of Research in Marketing
24(3), with the erratum of Wagner and Hoppe (2008), in the form ``lifetimes``'
``ModifiedBetaGeoFitter`` implements.

It is BG/NBD (:class:`custseg.BetaGeo`) with one more chance to drop out: at
time 0, before any repeat purchase. So a customer without repeat purchases is
not taken to be alive for sure, which fixes BG/NBD's habit of calling every
one-time buyer alive. The fit runs in the Rust core like BG/NBD's: log
parameters, analytic gradients, identical rows once, sums in a fixed order
(the result does not depend on the row order or the threads, I5).

Example:

    >>> import custseg as cs
    >>> s = cs.rfm_summary(cs.datasets.cdnow("sample"), as_of="1997-10-01",
    ...                    unit="W", count_zero_days=True)
    >>> m = cs.ModifiedBetaGeo().fit(s)
    >>> {k: round(v, 3) for k, v in m.params.items()}
    {'r': 0.525, 'alpha': 6.183, 'a': 0.891, 'b': 1.614}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from custseg import _core
from custseg._btyd_model import _check_t, _Model
from custseg._frames import family_of, vector, with_columns
from custseg.errors import ConfigError

__all__ = ["ModifiedBetaGeo"]


def _check_n_max(n_max: Any) -> int:
    if isinstance(n_max, bool) or not isinstance(n_max, (int, np.integer)) or n_max < 0:
        raise ConfigError(f"n_max must be a whole number >= 0, got {n_max!r} (CLV4)")
    return int(n_max)


class ModifiedBetaGeo(_Model):
    """The MBG/NBD model (Batislam, Denizel and Filiztekin 2007) of repeat
    purchases and P(alive), fitted by maximum likelihood on a BTYD summary
    (CLV4): the summary and the methods of :class:`custseg.BetaGeo`.

    While alive a customer buys at rate lambda ~ Gamma(r, alpha); at time 0
    and after each purchase they drop out with probability p ~ Beta(a, b).
    The likelihood of a customer is, for every frequency x (0 included)::

        B(a, b + x + 1) / B(a, b) * Gamma(r + x) alpha^r / Gamma(r)
            * [(alpha + T)^-(r + x) + a / (b + x) (alpha + recency)^-(r + x)]

    Args:
        penalizer: L2 penalty on the parameters: the fit minimises the mean
            negative log-likelihood + ``penalizer * (r^2 + alpha^2 + a^2 + b^2)``
            (the convention of ``lifetimes``). 0 (default) is the plain maximum
            likelihood.
        threads: threads of the fit and predictions (default: all cores).

    Attributes (after :meth:`fit` or :meth:`from_params`):
        params: ``{"r", "alpha", "a", "b"}``.
        log_likelihood: total log-likelihood of the fitted rows (unpenalised).
        converged: whether the optimiser reached a gradient norm below 1e-6.
        iterations: BFGS iterations used.
        unit: the summary's time unit (``"W"``, ``"D"``) when it carried one.

    Example:
        >>> import custseg as cs
        >>> m = cs.ModifiedBetaGeo.from_params(r=0.525, alpha=6.183, a=0.891, b=1.614)
        >>> round(m.expected_purchases_population(39), 4)
        1.183
    """

    _params = ("r", "alpha", "a", "b")
    _roles = ("frequency", "recency", "T")

    @classmethod
    def from_params(
        cls, *, r: float, alpha: float, a: float, b: float, unit: str | None = None
    ) -> ModifiedBetaGeo:
        """A model with the given parameters (for predictions), not fitted."""
        m = cls()
        m.params = {"r": float(r), "alpha": float(alpha), "a": float(a), "b": float(b)}
        m.unit = unit
        return m

    def fit(
        self, s: Any, *, frequency: str = "frequency", recency: str = "recency", T: str = "T"
    ) -> ModifiedBetaGeo:
        """Fits r, alpha, a, b by maximum likelihood on the summary ``s``
        (from :func:`rfm_summary`, or any frame with the three columns).
        Returns ``self``. Needs at least one customer with a repeat purchase.

        Raises :class:`custseg.InvalidValueError` naming the column and row
        for an impossible row (negative or fractional frequency, recency > T,
        negative or non-finite values) and :class:`custseg.NullValueError`
        for a null."""
        self._columns = (frequency, recency, T)
        frame, cols, names = self._args(s, self._columns)
        self._fitted(
            _core.mbgnbd_fit(*cols, names=names, penalizer=self.penalizer, threads=self.threads),
            frame,
        )
        return self

    def log_likelihood_of(
        self,
        s: Any,
        *,
        frequency: str | None = None,
        recency: str | None = None,
        T: str | None = None,
    ) -> float:
        """Total log-likelihood of the rows of ``s`` under the model's parameters."""
        _, cols, names = self._args(s, (frequency, recency, T))
        return _core.mbgnbd_log_likelihood(self._p(), *cols, names=names)

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
        units, given their history: E[Y(t) | frequency, recency, T] =
        (a + b + x) / (a - 1) [1 - ((alpha + T) / (alpha + T + t))^(r + x)
        2F1(r + x, b + x + 1; a + b + x; t / (alpha + T + t))] / (1 + odds),
        with the odds of :meth:`p_alive` (evaluated by a transformed series
        that stays accurate for large frequencies and a near 1). A pandas
        Series (with the summary's index), polars Series or pyarrow Array."""
        frame, cols, names = self._args(s, (frequency, recency, T))
        v = _core.mbgnbd_conditional_expected(
            self._p(), *cols, names=names, horizon=_check_t(t), threads=self.threads
        )
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
        period: 1 / (1 + a / (b + x) ((alpha + T) / (alpha + recency))^(r + x)),
        below 1 for customers without repeat purchases too (unlike BG/NBD)."""
        frame, cols, names = self._args(s, (frequency, recency, T))
        v = _core.mbgnbd_p_alive(self._p(), *cols, names=names, threads=self.threads)
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
        e = _core.mbgnbd_conditional_expected(
            self._p(), *cols, names=names, horizon=_check_t(t), threads=self.threads
        )
        a = _core.mbgnbd_p_alive(self._p(), *cols, names=names, threads=self.threads)
        return with_columns(frame, {"expected_purchases": e, "p_alive": a})

    def expected_purchases_population(self, t: float) -> float:
        """E[X(t)]: expected repeat purchases of a new customer in its first
        ``t`` time units, b / (a - 1) [1 - (alpha / (alpha + t))^r
        2F1(r, b + 1; a + b; t / (alpha + t))]."""
        return _core.mbgnbd_population_expected(self._p(), _check_t(t))

    def probability_of_purchases(self, t: float, n_max: int) -> np.ndarray:
        """P(X(t) = x) for x = 0..``n_max``: the probability that a customer
        makes exactly x repeat purchases in the first ``t`` time units after
        the first purchase (CLV4): alive after x purchases with x Poisson
        events, or dropped out after the x-th (at time 0 for x = 0) with at
        least x events::

            B(a, b + x + 1) / B(a, b) NB(x) + B(a + 1, b + x) / B(a, b) P(NB >= x)

        NB the negative binomial count Gamma(r + x) / (Gamma(r) x!)
        q^r (1 - q)^x, q = alpha / (alpha + t). The last entry is
        P(X(t) = n_max), not a tail: the entries add up to 1 only as n_max
        grows. Evaluated in the core (log space, the tail without
        cancellation); a float64 numpy array of ``n_max + 1`` entries.

        Example:
            >>> import custseg as cs
            >>> m = cs.ModifiedBetaGeo.from_params(r=0.525, alpha=6.183, a=0.891, b=1.614)
            >>> [round(float(v), 4) for v in m.probability_of_purchases(39, 2)]
            [0.5825, 0.1828, 0.0869]
            >>> round(float(m.probability_of_purchases(39, 5_000).sum()), 12)
            1.0
        """
        p = _core.mbgnbd_probability_of_purchases(self._p(), _check_t(t), _check_n_max(n_max))
        return np.asarray(p, dtype=np.float64)
