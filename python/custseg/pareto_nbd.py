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

from custseg._btyd_count import CountModel

__all__ = ["ParetoNBD"]


class ParetoNBD(CountModel):
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

    Predictions (Fader, Hardie and Lee 2005; :class:`custseg.BetaGeo`'s methods):

    - ``p_alive``: (alpha + T)^-(r + x) (beta + T)^-s over the bracket of the
      likelihood; below 1 also for customers without repeat purchases (they
      may have died since);
    - ``conditional_expected_purchases``: E[Y(t) | x, tx, T] =
      (r + x) (beta + T) / ((alpha + T) (s - 1))
      [1 - ((beta + T) / (beta + T + t))^(s - 1)] P(alive) (its limit at s = 1);
    - ``expected_purchases_population``: E[X(t)] =
      r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s - 1)];
    - ``probability_of_purchases``: P(X(t) = x) of Fader, Hardie and Lee
      (2006, "Deriving an Expression for P(X(t) = x) Under the Pareto/NBD
      Model"), as positive series of incomplete beta functions (n_max at most
      100,000).

    Example:
        >>> import custseg as cs
        >>> m = cs.ParetoNBD.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> round(m.expected_purchases_population(39), 4)
        1.213
        >>> [round(float(v), 4) for v in m.probability_of_purchases(39, 2)]
        [0.5936, 0.1656, 0.0825]
    """

    _params = ("r", "alpha", "s", "beta")
    _core_name = "pareto"

    @classmethod
    def from_params(
        cls, *, r: float, alpha: float, s: float, beta: float, unit: str | None = None
    ) -> ParetoNBD:
        """A model with the given parameters (for predictions), not fitted."""
        return cls()._with_params({"r": r, "alpha": alpha, "s": s, "beta": beta}, unit)
