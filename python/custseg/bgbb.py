"""The BG/BB model of transactions at discrete opportunities (rule CLV4):
Fader, Hardie and Shang (2010), "Customer-Base Analysis in a Discrete-Time
Noncontractual Setting", Marketing Science 29(6), 1086-1108.

For businesses where a customer can transact only at given moments (a yearly
fund-raising appeal, an annual conference, a weekly draw): while alive a
customer transacts at each opportunity with probability p ~ Beta(alpha, beta),
and before each opportunity they may drop out for good with probability
theta ~ Beta(gamma, delta). The summary per customer (or per pattern, with a
weights column counting the customers who share it) is ``frequency`` (x,
repeat transactions in the n opportunities after the first), ``recency``
(t_x, the opportunity of the last transaction, 0 without one) and
``n_periods`` (n). The fit runs in the Rust core: log parameters, analytic
gradients, the likelihood's sum over the dropout times in log space, each
distinct row once with its weight (the result does not depend on the row
order or the threads, I5).

Example (the donations data of the paper; the published estimates are
alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783):

    >>> import custseg as cs
    >>> s = cs.datasets.donations()
    >>> m = cs.BetaGeoBetaBinom().fit(s, weights="weights")
    >>> {k: round(v, 3) for k, v in m.params.items()}
    {'alpha': 1.204, 'beta': 0.75, 'gamma': 0.657, 'delta': 2.783}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from custseg import _core
from custseg._btyd_model import _Model
from custseg._frames import family_of, vector, with_columns
from custseg._input import number_column
from custseg.errors import ConfigError

__all__ = ["BetaGeoBetaBinom"]


def _count(v: Any, what: str) -> float:
    """A number of opportunities (the core checks it is whole and >= 0)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a whole number of opportunities, got {type(v).__name__}")
    return float(v)


class BetaGeoBetaBinom(_Model):
    """The BG/BB model (Fader, Hardie and Shang 2010) of repeat transactions
    at discrete opportunities and P(alive), fitted by maximum likelihood
    (CLV4). The methods of :class:`custseg.BetaGeo`, with ``n_periods`` (n,
    the opportunities observed) in place of ``T`` and whole numbers of
    opportunities in place of time.

    The likelihood of a customer sums "alive through all n" and "alive
    through t_x + i, then gone" (i = 0..n - t_x - 1)::

        B(alpha + x, beta + n - x) / B(alpha, beta) * B(gamma, delta + n) / B(gamma, delta)
        + sum_i B(alpha + x, beta + t_x - x + i) / B(alpha, beta)
                * B(gamma + 1, delta + t_x + i) / B(gamma, delta)

    Args:
        penalizer: L2 penalty: the fit minimises the mean negative
            log-likelihood over the customers + ``penalizer * (alpha^2 +
            beta^2 + gamma^2 + delta^2)``. 0 (default) is the plain maximum
            likelihood.
        threads: threads of the fit and predictions (default: all cores).

    Attributes (after :meth:`fit` or :meth:`from_params`): ``params``
    (``{"alpha", "beta", "gamma", "delta"}``), ``log_likelihood`` (total over
    the customers, unpenalised), ``converged``, ``iterations``, ``unit``.

    Example:
        >>> import custseg as cs
        >>> m = cs.BetaGeoBetaBinom.from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> round(m.expected_purchases_population(6), 4)
        2.2196
    """

    _params = ("alpha", "beta", "gamma", "delta")
    _roles = ("frequency", "recency", "n_periods")
    #: The weights column of the fit (None: each row is one customer).
    _weights: str | None = None

    @classmethod
    def from_params(
        cls, *, alpha: float, beta: float, gamma: float, delta: float, unit: str | None = None
    ) -> BetaGeoBetaBinom:
        """A model with the given parameters (for predictions), not fitted."""
        m = cls()
        values = (alpha, beta, gamma, delta)
        m.params = {k: float(v) for k, v in zip(cls._params, values, strict=True)}
        m.unit = unit
        return m

    def _with_weights(self, s: Any, columns: tuple[str | None, ...], weights: str | None) -> Any:
        """The frame, its model columns, the weights column (or None) and the four names."""
        frame, cols, names = self._args(s, columns)
        w = (
            None
            if weights is None
            else number_column(frame, weights, "weights", "the summary", "CLV4")
        )
        return frame, cols, w, (*names, weights)

    def fit(
        self,
        s: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        n_periods: str = "n_periods",
        weights: str | None = None,
    ) -> BetaGeoBetaBinom:
        """Fits alpha, beta, gamma, delta by maximum likelihood on the summary
        ``s``. ``weights`` names a column of whole numbers: the customers each
        row stands for (a summary of distinct patterns, as the paper's); None
        (default) means each row is one customer. Returns ``self``.

        Raises :class:`custseg.InvalidValueError` naming the column and row
        for an impossible row (a count that is not a whole number >= 0,
        recency > n_periods, frequency > recency, recency > 0 with frequency
        0) and :class:`custseg.NullValueError` for a null."""
        self._columns = (frequency, recency, n_periods)
        self._weights = weights
        frame, cols, w, names = self._with_weights(s, self._columns, weights)
        self._fitted(
            _core.bgbb_fit(*cols, w, names=names, penalizer=self.penalizer, threads=self.threads),
            frame,
        )
        return self

    def log_likelihood_of(
        self,
        s: Any,
        *,
        frequency: str | None = None,
        recency: str | None = None,
        n_periods: str | None = None,
        weights: str | None = None,
    ) -> float:
        """Total log-likelihood of the rows of ``s`` under the model's
        parameters, each row counted its ``weights`` times. As for the other
        columns, None means the name the fit used: the fit's weights column,
        or one customer per row when the fit had none (or the model comes
        from :meth:`from_params`)."""
        w_name = weights or self._weights
        _, cols, w, names = self._with_weights(s, (frequency, recency, n_periods), w_name)
        return _core.bgbb_log_likelihood(self._p(), *cols, w, names=names)

    def conditional_expected_purchases(
        self,
        n_star: int,
        s: Any,
        *,
        frequency: str | None = None,
        recency: str | None = None,
        n_periods: str | None = None,
    ) -> Any:
        """Expected transactions of each customer of ``s`` in the next
        ``n_star`` opportunities, given their history (the paper's eq. 13):
        P(alive at n) E[p | x, n] times the expected opportunities alive of
        the next ``n_star``, summed directly (no 0 / 0 at gamma = 1). A pandas
        Series (with the summary's index), polars Series or pyarrow Array."""
        frame, cols, _, names = self._with_weights(s, (frequency, recency, n_periods), None)
        v = _core.bgbb_conditional_expected(
            self._p(), *cols, names=names, n_star=_count(n_star, "n_star"), threads=self.threads
        )
        return vector(v, family_of(frame), "expected_purchases", getattr(frame, "index", None))

    def p_alive(
        self,
        s: Any,
        *,
        frequency: str | None = None,
        recency: str | None = None,
        n_periods: str | None = None,
    ) -> Any:
        """P(alive at opportunity n + 1) of each customer of ``s`` (the paper's
        eq. 11: alive through the n observed opportunities and surviving the
        next dropout chance)."""
        frame, cols, _, names = self._with_weights(s, (frequency, recency, n_periods), None)
        v = _core.bgbb_p_alive(self._p(), *cols, names=names, threads=self.threads)
        return vector(v, family_of(frame), "p_alive", getattr(frame, "index", None))

    def expected_purchases(
        self,
        n_star: int,
        s: Any,
        *,
        frequency: str | None = None,
        recency: str | None = None,
        n_periods: str | None = None,
    ) -> Any:
        """``s`` with two columns added: ``expected_purchases`` (in the next
        ``n_star`` opportunities, see :meth:`conditional_expected_purchases`)
        and ``p_alive``."""
        frame, cols, _, names = self._with_weights(s, (frequency, recency, n_periods), None)
        e = _core.bgbb_conditional_expected(
            self._p(), *cols, names=names, n_star=_count(n_star, "n_star"), threads=self.threads
        )
        a = _core.bgbb_p_alive(self._p(), *cols, names=names, threads=self.threads)
        return with_columns(frame, {"expected_purchases": e, "p_alive": a})

    def expected_purchases_population(self, n: int) -> float:
        """E[X(n)]: expected transactions of a new customer in the first ``n``
        opportunities after the first (the paper's eq. 7)."""
        return _core.bgbb_population_expected(self._p(), _count(n, "n"))

    def probability_of_purchases(self, n: int, n_max: int) -> np.ndarray:
        """P(X(n) = x) for x = 0..``n_max``: the probability that a customer
        makes exactly x transactions in the first ``n`` opportunities after
        the first (the paper's eq. 8, CLV4): alive through all n with x of n,
        or gone after opportunity i (x <= i < n) with x of i. 0 for x > n, so
        the entries add up to 1 once ``n_max >= n``. A float64 numpy array of
        ``n_max + 1`` entries, evaluated in the core in log space.

        Example:
            >>> import custseg as cs
            >>> m = cs.BetaGeoBetaBinom.from_params(
            ...     alpha=1.204, beta=0.750, gamma=0.657, delta=2.783
            ... )
            >>> p = m.probability_of_purchases(6, 6)
            >>> round(float(p[0]), 4), round(float(p.sum()), 12)
            (0.3112, 1.0)
        """
        if isinstance(n_max, bool) or not isinstance(n_max, (int, np.integer)) or n_max < 0:
            raise ConfigError(f"n_max must be a whole number >= 0, got {n_max!r} (CLV4)")
        p = _core.bgbb_probability_of_purchases(self._p(), _count(n, "n"), int(n_max))
        return np.asarray(p, dtype=np.float64)
