"""k-sample Anderson–Darling test on the reservoir samples (SciPy's p-value, 0.001–0.25)."""

from __future__ import annotations

import warnings

from scipy import stats

from steward._exceptions import CheckError
from steward.checks.drift._base import DriftTest, Pair, TestResult, register
from steward.schema import Kind


def run(pair: Pair) -> TestResult:
    ref, cur = pair.samples()
    if len(ref) < 2 or len(cur) < 2:
        raise CheckError(f"column {pair.column!r}: Anderson–Darling needs two values per side")
    if len(set(ref.tolist()) | set(cur.tolist())) < 2:
        return TestResult(0.0, 1.0, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.anderson_ksamp([ref, cur])
    return TestResult(float(result.statistic), float(result.pvalue), None)


register(
    DriftTest(
        "anderson_darling",
        frozenset({Kind.NUMERIC}),
        0.05,
        "sample",
        run,
        threshold_on="p_value",
        is_distance=False,
        description="Anderson–Darling k-sample test on the profiles' row samples.",
    )
)
