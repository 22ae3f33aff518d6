"""Two-sample Kolmogorov–Smirnov on the fine bins; exact when each value has its own bin."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from steward.checks.drift._base import (
    NUMERIC_KINDS,
    DriftTest,
    Pair,
    TestResult,
    proportions,
    register,
    require_data,
)


def ks_statistic(ref_p: np.ndarray, cur_p: np.ndarray) -> np.ndarray:
    return np.max(np.abs(np.cumsum(ref_p, axis=-1) - np.cumsum(cur_p, axis=-1)), axis=-1)


LARGE = 20_000


def ks_p_value(statistic: float, n: float, m: float) -> float:
    """Asymptotic two-sided p-value, as ``scipy.stats.ks_2samp(method="asymp")``."""
    effective = np.round(n * m / (n + m))
    if effective < 1:  # one value per side: SciPy says NaN; D is 0 or 1 by construction
        return 1.0
    if effective > LARGE:  # kstwo.sf costs ~0.5 s at n ~ 1e5; its limit agrees to ~0.2%
        return float(np.clip(special.kolmogorov(np.sqrt(effective) * statistic), 0.0, 1.0))
    return float(np.clip(stats.kstwo.sf(statistic, effective), 0.0, 1.0))


def run(pair: Pair) -> TestResult:
    ref, cur = pair.fine
    require_data(pair, ref, cur)
    d = float(ks_statistic(proportions(ref), proportions(cur)))
    return TestResult(d, ks_p_value(d, ref.sum(), cur.sum()), d)


def null(pair: Pair, simulated: np.ndarray) -> np.ndarray:
    return ks_statistic(proportions(pair.fine[0]), proportions(simulated))


register(
    DriftTest(
        "ks",
        NUMERIC_KINDS,
        0.05,
        "counts",
        run,
        threshold_on="p_value",
        null_statistic=null,
        description="Kolmogorov–Smirnov: largest gap between the two empirical CDFs.",
    )
)
