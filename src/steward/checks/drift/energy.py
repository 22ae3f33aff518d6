"""Energy distance (as ``scipy.stats.energy_distance``) on the binned values."""

from __future__ import annotations

import numpy as np

from steward.checks.drift._base import (
    NUMERIC_KINDS,
    DriftTest,
    Pair,
    TestResult,
    register,
    require_data,
)
from steward.checks.drift._binned import step_cdf_distance


def run(pair: Pair) -> TestResult:
    ref, cur = pair.fine
    require_data(pair, ref, cur)
    value = float(np.sqrt(2 * step_cdf_distance(pair, cur, power=2)))
    return TestResult(value, None, value)


def null(pair: Pair, simulated: np.ndarray) -> np.ndarray:
    return np.sqrt(2 * step_cdf_distance(pair, simulated, power=2, same_positions=True))


register(
    DriftTest(
        "energy",
        NUMERIC_KINDS,
        0.1,
        "counts",
        run,
        null_statistic=null,
        description="Energy distance: sqrt(2·∫(F_ref − F_cur)² dx), in the column's units.",
    )
)
