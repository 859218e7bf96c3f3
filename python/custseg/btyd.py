"""Predictive customer lifetime value (rule CLV4): the
BG/NBD model of purchase counts and P(alive), the Gamma-Gamma model of spend
per purchase, and the discounted CLV over a horizon.

The fits run in the Rust core: log-likelihoods in a stable form with analytic
gradients, BFGS on log parameters (``argmin``), sums in a fixed order so the
result does not depend on the number of threads (I5).

Example (the CDNOW figures of Fader, Hardie and Lee, in the tests):

    >>> import custseg as cs
    >>> tx = cs.datasets.synthetic(customers=3_000, years=2, seed=4)
    >>> s = cs.rfm_summary(tx, as_of="2026-01-01", unit="W")
    >>> bg = cs.BetaGeo().fit(s)
    >>> bg.converged
    True
    >>> gg = cs.GammaGamma().fit(s)
    >>> v = cs.predictive_clv(bg, gg, s, horizon_months=12)
    >>> v.column_names[-4:]
    ['expected_purchases', 'p_alive', 'expected_spend', 'clv']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from custseg import _core
from custseg._btyd_count import CountModel
from custseg._btyd_model import _Model
from custseg._frames import family_of, vector, with_columns
from custseg._input import number_column, summary_frame
from custseg.btyd_summary import unit_of

__all__ = ["BetaGeo", "GammaGamma", "predictive_clv"]


# ---------------------------------------------------------------- BG/NBD


class BetaGeo(CountModel):
    """The BG/NBD model (Fader, Hardie and Lee 2005) of repeat purchases and
    P(alive), fitted by maximum likelihood on a BTYD summary (CLV4).

    While alive a customer buys at rate lambda ~ Gamma(r, alpha); after each
    purchase they drop out with probability p ~ Beta(a, b).

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

    Predictions (Fader, Hardie and Lee 2005, "Counting Your Customers the Easy Way"):

    - ``p_alive``: 1 / (1 + odds), odds 0 when x = 0, else
      a / (b + x - 1) ((alpha + T) / (alpha + recency))^(r + x);
    - ``conditional_expected_purchases``: E[Y(t) | x, tx, T] =
      (a + b + x - 1) / (a - 1) [1 - ((alpha + T) / (alpha + T + t))^(r + x)
      2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))] P(alive), by
      Euler's transformation into a series that converges fast for large
      frequencies and stays exact near a = 1;
    - ``expected_purchases_population``: E[X(t)], the same at x = 0, T = 0;
    - ``probability_of_purchases``: P(X(t) = x) of eq. 8 in log space.

    Example:
        >>> import custseg as cs
        >>> bg = cs.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(bg.expected_purchases_population(39), 4)
        1.1967
        >>> [round(float(v), 4) for v in bg.probability_of_purchases(39, 2)]
        [0.5738, 0.1994, 0.0854]
        >>> round(float(bg.probability_of_purchases(39, 2_000).sum()), 12)
        1.0
    """

    _params = ("r", "alpha", "a", "b")
    _core_name = "bgnbd"

    @classmethod
    def from_params(
        cls, *, r: float, alpha: float, a: float, b: float, unit: str | None = None
    ) -> BetaGeo:
        """A model with the given parameters (for predictions), not fitted."""
        return cls()._with_params({"r": r, "alpha": alpha, "a": a, "b": b}, unit)


# ---------------------------------------------------------------- Gamma-Gamma


class GammaGamma(_Model):
    """The Gamma-Gamma model (Fader, Hardie and Lee 2005) of the mean spend
    per purchase, fitted on the repeat customers (frequency > 0) of a BTYD
    summary (CLV4).

    Args:
        penalizer: L2 penalty: the fit minimises the mean negative
            log-likelihood + ``penalizer * (p^2 + q^2 + v^2)``.
        threads: threads of the fit and predictions (default: all cores).

    Attributes (after :meth:`fit` or :meth:`from_params`): ``params``
    (``{"p", "q", "v"}``), ``log_likelihood`` (over the repeat customers),
    ``converged``, ``iterations``.

    Example:
        >>> import custseg as cs
        >>> gg = cs.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
        >>> import pyarrow as pa
        >>> s = pa.table({"frequency": [0, 2], "monetary_value": [0.0, 30.0]})
        >>> [round(x, 2) for x in gg.expected_spend(s).to_pylist()]
        [35.22, 30.94]
    """

    _params = ("p", "q", "v")
    _roles = ("frequency", "monetary_value")

    @classmethod
    def from_params(cls, *, p: float, q: float, v: float) -> GammaGamma:
        """A model with the given parameters (for predictions), not fitted."""
        m = cls()
        m.params = {"p": float(p), "q": float(q), "v": float(v)}
        return m

    def fit(
        self, s: Any, *, frequency: str = "frequency", monetary_value: str = "monetary_value"
    ) -> GammaGamma:
        """Fits p, q, v by maximum likelihood on the rows of ``s`` with
        frequency > 0. Returns ``self``. A repeat customer whose
        monetary_value is not positive raises :class:`custseg.InvalidValueError`
        naming the column and row."""
        self._columns = (frequency, monetary_value)
        frame, cols, names = self._args(s, self._columns)
        self._fitted(
            _core.gg_fit(*cols, names=names, penalizer=self.penalizer, threads=self.threads),
            frame,
        )
        return self

    def log_likelihood_of(
        self, s: Any, *, frequency: str | None = None, monetary_value: str | None = None
    ) -> float:
        """Total log-likelihood of the repeat rows of ``s`` under the model's parameters."""
        _, cols, names = self._args(s, (frequency, monetary_value))
        return _core.gg_log_likelihood(self._p(), *cols, names=names)

    def expected_spend(
        self, s: Any, *, frequency: str | None = None, monetary_value: str | None = None
    ) -> Any:
        """Expected spend per purchase of each customer of ``s``:
        p (v + x m) / (p x + q - 1), a blend of the customer's own mean m over
        x repeat purchases and the population mean p v / (q - 1), which is
        what customers without repeat purchases get. Needs q > 1."""
        frame, cols, names = self._args(s, (frequency, monetary_value))
        v = _core.gg_expected_spend(self._p(), *cols, names=names, threads=self.threads)
        return vector(v, family_of(frame), "expected_spend", getattr(frame, "index", None))


# ---------------------------------------------------------------- CLV


def predictive_clv(
    bg: BetaGeo,
    gg: GammaGamma,
    s: Any,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    unit: str | None = None,
) -> Any:
    """The discounted value of each customer of ``s`` over the next
    ``horizon_months`` months (CLV4)::

        clv = sum over months i = 1..H of
              expected_spend * (E[Y(i f)] - E[Y((i-1) f)]) / (1 + discount_rate)^i

    with E[Y] the BG/NBD conditional expectation, expected_spend from the
    Gamma-Gamma model and f the time units per month (a month is 365.25 / 12
    days: 30.4375 days, 4.348 weeks). ``discount_rate`` is monthly.

    Args:
        bg, gg: fitted (or :meth:`~BetaGeo.from_params`) models.
        s: the summary (the column names the models were fitted with).
        horizon_months: whole months, >= 0.
        discount_rate: monthly discount rate (0.01 = 1% a month).
        unit: the summary's time unit, ``"W"`` or ``"D"``; by default the one
            the summary carries (from :func:`rfm_summary`) or the BG/NBD
            model's; a :class:`custseg.ConfigError` asks for it otherwise.

    Returns:
        ``s`` with ``expected_purchases`` (over the horizon), ``p_alive``,
        ``expected_spend`` and ``clv`` added, in its family.
    """
    if not isinstance(bg, BetaGeo) or not isinstance(gg, GammaGamma):
        raise TypeError("predictive_clv(bg, gg, s): bg must be a BetaGeo and gg a GammaGamma")
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)):
        raise TypeError(f"horizon_months must be a whole number, got {horizon_months!r}")
    frame = summary_frame(s)
    _, (x, tx, t), (fn, rn, tn) = bg._args(frame, bg._columns)
    mn = gg._columns[1]
    m = number_column(frame, mn, "monetary_value", "the summary", "CLV4")
    e, a, spend, clv = _core.predictive_clv(
        bg._p(),
        gg._p(),
        x,
        tx,
        t,
        m,
        names=(fn, rn, tn, mn),
        months=int(horizon_months),
        discount_rate=float(discount_rate),
        unit=unit or unit_of(frame) or bg.unit,
        threads=bg.threads,
    )
    return with_columns(
        frame, {"expected_purchases": e, "p_alive": a, "expected_spend": spend, "clv": clv}
    )
