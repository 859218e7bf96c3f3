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

from custseg._btyd_count import CountModel

__all__ = ["ModifiedBetaGeo"]


class ModifiedBetaGeo(CountModel):
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

    Predictions (:class:`custseg.BetaGeo`'s methods):

    - ``p_alive``: 1 / (1 + a / (b + x) ((alpha + T) / (alpha + recency))^(r + x)),
      below 1 for customers without repeat purchases too (unlike BG/NBD);
    - ``conditional_expected_purchases``: E[Y(t) | x, tx, T] =
      (a + b + x) / (a - 1) [1 - ((alpha + T) / (alpha + T + t))^(r + x)
      2F1(r + x, b + x + 1; a + b + x; t / (alpha + T + t))] P(alive),
      evaluated by a transformed series that stays accurate for large
      frequencies and a near 1;
    - ``expected_purchases_population``: E[X(t)] = b / (a - 1)
      [1 - (alpha / (alpha + t))^r 2F1(r, b + 1; a + b; t / (alpha + t))];
    - ``probability_of_purchases``: P(X(t) = x) =
      B(a, b + x + 1) / B(a, b) NB(x) + B(a + 1, b + x) / B(a, b) P(NB >= x),
      NB the negative binomial count Gamma(r + x) / (Gamma(r) x!) q^r (1 - q)^x,
      q = alpha / (alpha + t) (alive after x purchases, or dropped out after
      the x-th, at time 0 for x = 0), in log space (n_max below 10^6).

    Example:
        >>> import custseg as cs
        >>> m = cs.ModifiedBetaGeo.from_params(r=0.525, alpha=6.183, a=0.891, b=1.614)
        >>> round(m.expected_purchases_population(39), 4)
        1.183
        >>> [round(float(v), 4) for v in m.probability_of_purchases(39, 2)]
        [0.5825, 0.1828, 0.0869]
        >>> round(float(m.probability_of_purchases(39, 5_000).sum()), 12)
        1.0
    """

    _params = ("r", "alpha", "a", "b")
    _core_name = "mbgnbd"

    @classmethod
    def from_params(
        cls, *, r: float, alpha: float, a: float, b: float, unit: str | None = None
    ) -> ModifiedBetaGeo:
        """A model with the given parameters (for predictions), not fitted."""
        return cls()._with_params({"r": r, "alpha": alpha, "a": a, "b": b}, unit)
