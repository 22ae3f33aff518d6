"""Two-sample Cramér–von Mises test on the reservoir samples.

SciPy computes the statistic from ranks, which is only right without ties: on a numeric
column with a few distinct values it reports drift between identical distributions (two
equal constant samples get p ≈ 0). With ties the statistic is computed from the two
empirical CDFs at every pooled value instead, with SciPy's asymptotic p-value, which is
conservative for discrete data.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import gammaln, kv

from steward._exceptions import CheckError
from steward.checks.drift._base import DriftTest, Pair, TestResult, register
from steward.schema import Kind


def run(pair: Pair) -> TestResult:
    ref, cur = pair.samples()
    if len(ref) < 2 or len(cur) < 2:
        raise CheckError(f"column {pair.column!r}: Cramér–von Mises needs two values per side")
    if len(np.unique(np.concatenate([ref, cur]))) == len(ref) + len(cur):
        result = stats.cramervonmises_2samp(ref, cur)
        return TestResult(float(result.statistic), float(result.pvalue), None)
    t = statistic(ref, cur)
    return TestResult(t, asymptotic_p_value(t, len(ref), len(cur)), None)


def statistic(x: np.ndarray, y: np.ndarray) -> float:
    """Anderson's T = nm/(n+m)² · Σ (F_x − F_y)² over the pooled values (ties allowed)."""
    pooled = np.concatenate([x, y])
    fx = np.searchsorted(np.sort(x), pooled, side="right") / len(x)
    fy = np.searchsorted(np.sort(y), pooled, side="right") / len(y)
    n, m = len(x), len(y)
    return float(n * m / (n + m) ** 2 * np.sum((fx - fy) ** 2))


def asymptotic_p_value(t: float, n: int, m: int) -> float:
    """As ``scipy.stats.cramervonmises_2samp(method="asymptotic")`` (Anderson 1962)."""
    size, k = n + m, n * m
    mean = (1 + 1 / size) / 6
    variance = (size + 1) * (4 * k * size - 3 * (n**2 + m**2) - 2 * k) / (45 * size**2 * 4 * k)
    normalised = 1 / 6 + (t - mean) / np.sqrt(45 * variance)
    if normalised < 0.003:
        return 1.0
    return float(min(max(0.0, 1.0 - _limiting_cdf(normalised)), 1.0))


def _limiting_cdf(x: float) -> float:
    """CDF of the limiting Cramér–von Mises distribution (Csörgő & Faraway 1996)."""
    total, k = 0.0, 0
    while True:
        u = np.exp(gammaln(k + 0.5) - gammaln(k + 1)) / (np.pi**1.5 * np.sqrt(x))
        y = 4 * k + 1
        q = y**2 / (16 * x)
        term = float(u * np.sqrt(y) * np.exp(-q) * kv(0.25, q))
        total += term
        if abs(term) < 1e-7:
            return total
        k += 1


register(
    DriftTest(
        "cramer_von_mises",
        frozenset({Kind.NUMERIC}),
        0.05,
        "sample",
        run,
        threshold_on="p_value",
        is_distance=False,
        description="Cramér–von Mises two-sample test on the profiles' row samples.",
    )
)
