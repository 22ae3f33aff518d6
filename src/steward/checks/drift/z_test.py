"""Two-proportion z-test for a boolean (or two-category) column."""

from __future__ import annotations

import numpy as np
from scipy import stats

from steward._exceptions import CheckError
from steward.checks.drift._base import (
    DISCRETE_KINDS,
    DriftTest,
    Pair,
    TestResult,
    register,
    require_data,
)


def two_proportion_z(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float]:
    """Pooled z statistic for p2 − p1 and its two-sided p-value."""
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (x2 / n2 - x1 / n1) / se
    return float(z), float(2 * stats.norm.sf(abs(z)))


def run(pair: Pair) -> TestResult:
    ref, cur = pair.fine
    require_data(pair, ref, cur)
    if len(ref) > 2:
        raise CheckError(
            f"column {pair.column!r}: the z-test compares two categories, this column has "
            f"{len(ref)}"
        )
    if len(ref) < 2:
        return TestResult(0.0, 1.0, 0.0)
    first = pair.keys.index("true") if "true" in pair.keys else 0
    z, p = two_proportion_z(ref[first], ref.sum(), cur[first], cur.sum())
    return TestResult(z, p, float(cur[first] / cur.sum() - ref[first] / ref.sum()))


register(
    DriftTest(
        "z_test",
        DISCRETE_KINDS,
        0.05,
        "counts",
        run,
        threshold_on="p_value",
        is_distance=False,
        description="Two-proportion z-test on the share of one category (true for booleans).",
    )
)
