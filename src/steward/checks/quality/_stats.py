"""Small exact tests shared by the rate checks, so alarms need evidence and relevance.

A rate check warns or fails only when the current count is *significant* at the policy's
``alpha`` against what the reference predicts for a window of this size, and fails only when
the excess is also *relevant* (above the check's threshold). Large windows then do not cry
wolf over tiny shifts, and small windows do not cry wolf over noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats
from scipy.special import gammaln

from steward.checks.quality._base import Limits
from steward.findings import Verdict


@dataclass(frozen=True)
class Rate:
    """``count`` events among ``total`` rows or values."""

    count: int
    total: int

    @property
    def value(self) -> float:
        return self.count / self.total if self.total else 0.0


def excess_p_value(ref: Rate, cur: Rate) -> float:
    """One-sided Fisher exact p-value that the current rate exceeds the reference rate."""
    if cur.count == 0 or ref.total == 0:
        return 1.0
    events = ref.count + cur.count
    return float(stats.hypergeom.sf(cur.count - 1, ref.total + cur.total, events, cur.total))


def beyond_p_value(count: int, total: int, ref_total: int) -> float:
    """P(at least ``count`` of ``total`` new values beyond all ``ref_total`` reference ones).

    Under exchangeability (the current window drawn like the reference) the top ``count``
    of the pooled values all come from the current window with probability
    ``C(total, count) / C(total + ref_total, count)``; ties only make it smaller.
    """
    if count == 0:
        return 1.0
    pooled = total + ref_total
    log_p = (
        gammaln(total + 1)
        - gammaln(total - count + 1)
        - gammaln(pooled + 1)
        + gammaln(pooled - count + 1)
    )
    return float(min(1.0, math.exp(log_p)))


def poisson_p_value(count: int, expected: float) -> float:
    """P(X >= count) for a Poisson count with the given mean."""
    if count == 0:
        return 1.0
    if expected <= 0:
        return 0.0
    return float(stats.poisson.sf(count - 1, expected))


def rate_verdict(excess: float, p_value: float, limits: Limits, *, new: bool) -> Verdict:
    """Fail: significant and above the threshold. Warn: significant and either above half
    the threshold or something the reference never had. Otherwise ok."""
    if p_value >= limits.alpha or excess <= 0:
        return Verdict.OK
    if excess > limits.tolerance:
        return Verdict.FAIL
    if new or excess > limits.tolerance / 2:
        return Verdict.WARN
    return Verdict.OK


def distinct_after(draws: float, population: float) -> float:
    """Expected distinct values in ``draws`` uniform draws from ``population`` values."""
    if population <= 1:
        return min(draws, 1.0)
    return -population * math.expm1(draws * math.log1p(-1.0 / population))


def fit_population(rows: int, duplicates: float) -> float:
    """The uniform population size whose ``rows`` draws give ``duplicates`` repeats."""
    if duplicates >= rows - 1:
        return 1.0
    low, high = 0.0, 200.0  # natural log of the population size
    for _ in range(100):
        middle = (low + high) / 2
        repeats = rows - distinct_after(rows, math.exp(middle))
        low, high = (middle, high) if repeats > duplicates else (low, middle)
    return math.exp((low + high) / 2)


def expected_duplicate_rate(ref: Rate, rows: int) -> float:
    """The duplicate rate the reference predicts for ``rows`` rows (birthday model).

    The reference's repeats fix the size of a uniform population (half a repeat when it had
    none, which is the conservative reading); the rate then grows with the window's size
    as it would for rows drawn from that population.
    """
    if ref.total < 2 or rows < 2:
        return 0.0
    population = fit_population(ref.total, max(ref.count, 0.5))
    return (rows - distinct_after(rows, population)) / rows


def pct(share: float) -> str:
    """A share as a short percentage: 0.032 -> '3.2%', 2e-06 -> '0.0002%'."""
    return f"{100 * share:.3g}%"


def num(value: float) -> str:
    return f"{value:.6g}"
