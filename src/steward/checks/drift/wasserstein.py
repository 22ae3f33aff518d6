"""Wasserstein-1 distance divided by the reference's standard deviation ("normed")."""

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


def scale(pair: Pair) -> float:
    std = pair.ref_std
    if np.isfinite(std) and std > 0:
        return std
    return 1.0


def run(pair: Pair) -> TestResult:
    ref, cur = pair.fine
    require_data(pair, ref, cur)
    value = float(step_cdf_distance(pair, cur, power=1)) / scale(pair)
    return TestResult(value, None, value)


def null(pair: Pair, simulated: np.ndarray) -> np.ndarray:
    return step_cdf_distance(pair, simulated, power=1, same_positions=True) / scale(pair)


register(
    DriftTest(
        "wasserstein",
        NUMERIC_KINDS,
        0.1,
        "counts",
        run,
        null_statistic=null,
        description="Earth mover's distance in units of the reference standard deviation.",
    )
)
