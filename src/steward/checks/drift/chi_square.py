"""Chi-square test of homogeneity on categories (or on coarse numeric bins)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from steward.checks.drift._base import (
    ALL_KINDS,
    DriftTest,
    Pair,
    TestResult,
    register,
    require_data,
)


def chi_square(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float, int]:
    """Pearson's statistic, its p-value and degrees of freedom (no continuity correction)."""
    keep = (ref + cur) > 0
    table = np.vstack([ref[keep], cur[keep]])
    if table.shape[1] < 2:
        return 0.0, 1.0, 0
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue), int(result.dof)


def statistic(ref: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Vectorised Pearson statistic for a 2-D ``cur`` (used for small-sample calibration)."""
    n, m = ref.sum(), cur.sum(axis=-1, keepdims=True)
    total = ref + cur
    with np.errstate(invalid="ignore", divide="ignore"):
        e_ref = total * n / (n + m)
        e_cur = total * m / (n + m)
        terms = np.where(total > 0, (ref - e_ref) ** 2 / e_ref + (cur - e_cur) ** 2 / e_cur, 0)
    return terms.sum(axis=-1)


def run(pair: Pair) -> TestResult:
    ref, cur = pair.coarse
    require_data(pair, ref, cur)
    value, p_value, _ = chi_square(ref, cur)
    return TestResult(value, p_value, None)


def null(pair: Pair, simulated: np.ndarray) -> np.ndarray:
    return statistic(pair.coarse[0], pair.coarsen(simulated))


register(
    DriftTest(
        "chi_square",
        ALL_KINDS,
        0.05,
        "counts",
        run,
        threshold_on="p_value",
        is_distance=False,
        null_statistic=null,
        description="Pearson chi-square test that both sides share one category distribution.",
    )
)
