"""Two-sample Cramér–von Mises test on the reservoir samples."""

from __future__ import annotations

from scipy import stats

from steward._exceptions import CheckError
from steward.checks.drift._base import NUMERIC_KINDS, DriftTest, Pair, TestResult, register


def run(pair: Pair) -> TestResult:
    ref, cur = pair.samples()
    if len(ref) < 2 or len(cur) < 2:
        raise CheckError(f"column {pair.column!r}: Cramér–von Mises needs two values per side")
    result = stats.cramervonmises_2samp(ref, cur)
    return TestResult(float(result.statistic), float(result.pvalue), None)


register(DriftTest(
    "cramer_von_mises", NUMERIC_KINDS, 0.05, "sample", run, threshold_on="p_value",
    is_distance=False,
    description="Cramér–von Mises two-sample test on the profiles' row samples.",
))
