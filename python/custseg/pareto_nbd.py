"""The Pareto/NBD model of repeat purchases and P(alive) (rule CLV4):
Schmittlein, Morrison and Colombo (1987), "Counting Your Customers: Who Are
They and What Will They Do Next?", Management Science 33(1), with the
likelihood and predictions of Fader, Hardie and Lee (2005), "A Note on
Deriving the Pareto/NBD Model and Related Expressions", and P(X(t) = x) of
their 2006 note "Deriving an Expression for P(X(t) = x) Under the Pareto/NBD
Model".

While alive a customer buys at rate lambda ~ Gamma(r, alpha); the lifetime
is exponential with rate mu ~ Gamma(s, beta), so a customer can die at any
time, not only just after a purchase as in BG/NBD (:class:`custseg.BetaGeo`).
The fit runs in the Rust core: log parameters, analytic gradients (the
Gaussian hypergeometric terms with their derivatives, summed stably for any
frequency and T), identical rows once, sums in a fixed order (the result does
not depend on the row order or the threads, I5).

Example (the CDNOW figures of Fader, Hardie and Lee, in the tests):

    >>> import custseg as cs
    >>> s = cs.rfm_summary(cs.datasets.cdnow("sample"), as_of="1997-10-01",
    ...                    unit="W", count_zero_days=True)
    >>> m = cs.ParetoNBD().fit(s)
    >>> {k: round(v, 3) for k, v in m.params.items()}
    {'r': 0.553, 'alpha': 10.578, 's': 0.606, 'beta': 11.669}
    >>> round(m.log_likelihood, 1)
    -9595.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from custseg import _core
from custseg._btyd_model import _check_t, _Model
from custseg._frames import family_of, vector, with_columns
from custseg.errors import ConfigError

__all__ = ["ParetoNBD"]


class ParetoNBD(_Model):
    """The Pareto/NBD model (Schmittlein, Morrison and Colombo 1987) of repeat
    purchases and P(alive), fitted by maximum likelihood on a BTYD summary
    (CLV4): the summary and the methods of :class:`custseg.BetaGeo`.

    The likelihood of a customer with x repeat purchases, the last at
    recency tx, observed for T (Fader, Hardie and Lee 2005)::

        Gamma(r + x) alpha^r beta^s / Gamma(r)
            * [(alpha + T)^-(r + x) (beta + T)^-s + s I(tx) - s I(T)]

    with I(y) the integral over u > y of (alpha + u)^-(r + x) (beta + u)^-(s + 1)
    (a Gaussian hypergeometric function, one form for alpha >= beta and one
    for alpha < beta).

    Args:
        penalizer: L2 penalty on the parameters: the fit minimises the mean
            negative log-likelihood + ``penalizer * (r^2 + alpha^2 + s^2 + beta^2)``
            (the convention of ``lifetimes``). 0 (default) is the plain maximum
            likelihood.
        threads: threads of the fit and predictions (default: all cores).

    Attributes (after :meth:`fit` or :meth:`from_params`):
        params: ``{"r", "alpha", "s", "beta"}``.
        log_likelihood: total log-likelihood of the fitted rows (unpenalised).
        converged: whether the optimiser reached a gradient norm below 1e-6.
        iterations: BFGS iterations used.
        unit: the summary's time unit (``"W"``, ``"D"``) when it carried one.

    Example:
        >>> import custseg as cs
        >>> m = cs.ParetoNBD.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> round(m.expected_purchases_population(39), 4)
        1.213
    """

    _params = ("r", "alpha", "s", "beta")
    _roles = ("frequency", "recency", "T")

    @classmethod
    def from_params(
        cls, *, r: float, alpha: float, s: float, beta: float, unit: str | None = None
    ) -> ParetoNBD:
        """A model with the given parameters (for predictions), not fitted."""
        m = cls()
        m.params = {"r": float(r), "alpha": float(alpha), "s": float(s), "beta": float(beta)}
        m.unit = unit
        return m

    def fit(
        self, s: Any, *, frequency: str = "frequency", recency: str = "recency", T: str = "T"
    ) -> ParetoNBD:
        """Fits r, alpha, s, beta by maximum likelihood on the summary ``s``
        (from :func:`rfm_summary`, or any frame with the three columns, e.g.
        a ``lifetimes`` summary). Returns ``self``. Needs at least one
        customer with a repeat purchase.

        Raises :class:`custseg.InvalidValueError` naming the column and row
        for an impossible row (negative or fractional frequency, recency > T,
        negative or non-finite values) and :class:`custseg.NullValueError`
        for a null."""
        self._columns = (frequency, recency, T)
        frame, cols, names = self._args(s, self._columns)
        self._fitted(
            _core.pareto_fit(*cols, names=names, penalizer=self.penalizer, threads=self.threads),
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
        return _core.pareto_log_likelihood(self._p(), *cols, names=names)

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
        units, given their history (Schmittlein, Morrison and Colombo 1987;
        Fader, Hardie and Lee 2005)::

            E[Y(t) | x, tx, T] = (r + x) (beta + T) / ((alpha + T) (s - 1))
                * [1 - ((beta + T) / (beta + T + t))^(s - 1)] * P(alive)

        (its limit at s = 1). A pandas Series (with the summary's index),
        polars Series or pyarrow Array."""
        frame, cols, names = self._args(s, (frequency, recency, T))
        v = _core.pareto_conditional_expected(
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
        period: (alpha + T)^-(r + x) (beta + T)^-s over the bracket of the
        likelihood (Fader, Hardie and Lee 2005). Below 1 also for
        customers without repeat purchases (they may have died since)."""
        frame, cols, names = self._args(s, (frequency, recency, T))
        v = _core.pareto_p_alive(self._p(), *cols, names=names, threads=self.threads)
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
        e = _core.pareto_conditional_expected(
            self._p(), *cols, names=names, horizon=_check_t(t), threads=self.threads
        )
        a = _core.pareto_p_alive(self._p(), *cols, names=names, threads=self.threads)
        return with_columns(frame, {"expected_purchases": e, "p_alive": a})

    def expected_purchases_population(self, t: float) -> float:
        """E[X(t)]: expected purchases of a new customer in its first ``t``
        time units, r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s - 1)]
        (Fader, Hardie and Lee 2005)."""
        return _core.pareto_population_expected(self._p(), _check_t(t))

    def probability_of_purchases(self, t: float, n_max: int) -> np.ndarray:
        """P(X(t) = x) for x = 0..``n_max``: the probability that a customer
        makes exactly x repeat purchases in the first ``t`` time units after
        the first purchase (Fader, Hardie and Lee 2006, "Deriving an
        Expression for P(X(t) = x) Under the Pareto/NBD Model"; CLV4). The
        last entry is P(X(t) = n_max), not a tail: the entries add up to 1
        only as n_max grows. Evaluated in the core (a float64 numpy array of
        ``n_max + 1`` entries; n_max at most 100,000).

        Example:
            >>> import custseg as cs
            >>> m = cs.ParetoNBD.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
            >>> [round(float(v), 4) for v in m.probability_of_purchases(39, 2)]
            [0.5936, 0.1656, 0.0825]
        """
        if isinstance(n_max, bool) or not isinstance(n_max, (int, np.integer)) or n_max < 0:
            raise ConfigError(f"n_max must be a whole number >= 0, got {n_max!r} (CLV4)")
        p = _core.pareto_probability_of_purchases(
            self._p(), _check_t(t), int(n_max), threads=self.threads
        )
        return np.asarray(p, dtype=np.float64)
