"""One finding for a duplicate count against what the reference predicts at this size."""

from __future__ import annotations

from steward.checks.quality._base import Limits, finding
from steward.checks.quality._stats import (
    Rate,
    expected_duplicate_rate,
    pct,
    poisson_p_value,
    rate_verdict,
)
from steward.findings import Finding, Verdict


def compare_duplicates(
    name: str,
    column: str | None,
    ref: Rate,
    cur: Rate,
    limits: Limits,
    what: str,
    *,
    key: bool = False,
) -> Finding:
    """Duplicates grow with a window's size, so compare with the rate expected at its size.

    With ``key``, a reference without repeats makes the column a key: none are expected.
    """
    label = column or "rows"
    keyed = key and ref.count == 0
    expected = 0.0 if keyed else expected_duplicate_rate(ref, cur.total)
    bound = expected + limits.tolerance
    if cur.total < 2:
        return finding(
            name, column, 0.0, Verdict.OK, f"{label}: fewer than two {what}", threshold=bound
        )
    p_value = poisson_p_value(cur.count, expected * cur.total)
    verdict = rate_verdict(cur.value - expected, p_value, limits, new=ref.count == 0)
    message = (
        f"{label}: {cur.count:,} duplicate {what} ({pct(cur.value)} of {cur.total:,}); "
        f"{pct(expected)} expected from the reference"
    )
    details = {
        "count": cur.count,
        "rows": cur.total,
        "expected_rate": expected,
        "reference_rate": ref.value,
    }
    return finding(
        name, column, cur.value, verdict, message, threshold=bound, p_value=p_value, details=details
    )
