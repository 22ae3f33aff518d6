"""Confidence bands: Wilson for proportions, normal for means, bootstrap quantiles.

Every function returns ``(lower, upper)`` and never warns: empty inputs give NaN bands.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def z_value(confidence: float) -> float:
    """The two-sided standard-normal quantile for ``confidence`` (1.96 for 0.95)."""
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(successes: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (sensible at 0 and 1 too)."""
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def normal(mean: float, variance: float, n: float, z: float) -> tuple[float, float]:
    """``mean ± z·sqrt(variance / n)``: the CLT band of a mean of ``n`` rows."""
    if n <= 0 or not math.isfinite(variance):
        return math.nan, math.nan
    half = z * math.sqrt(max(variance, 0.0) / n)
    return mean - half, mean + half


def percentile(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """The bootstrap percentile band; NaN draws (undefined resamples) are left out."""
    finite = draws[np.isfinite(draws)]
    if len(finite) == 0:
        return math.nan, math.nan
    alpha = 1 - confidence
    lower, upper = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return float(lower), float(upper)


def basic(value: float, draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """The basic (reflected) bootstrap band: corrects a statistic's bias, such as ECE's."""
    lower, upper = percentile(draws, confidence)
    return 2 * value - upper, 2 * value - lower


def union(value: float, draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """The union of the percentile and basic bands, for statistics with a bias that the
    bootstrap estimates only roughly (calibration error, whose bias shrinks with size)."""
    (p_low, p_high), (b_low, b_high) = (
        percentile(draws, confidence),
        basic(value, draws, confidence),
    )
    return min(p_low, b_low), max(p_high, b_high)


def resample(counts: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` multinomial resamples of a table of counts (any shape), same total."""
    flat = counts.ravel()
    total = int(flat.sum())
    out = np.zeros((draws, flat.size), dtype=np.int64)
    cells = np.flatnonzero(flat)
    if total:
        out[:, cells] = rng.multinomial(total, flat[cells] / total, size=draws)
    return out.reshape(draws, *counts.shape)
