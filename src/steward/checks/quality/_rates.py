"""One finding for a rate that should not rise above the reference's (missing, unparsed)."""

from __future__ import annotations

from steward.checks.quality._base import Limits, finding
from steward.checks.quality._stats import Rate, excess_p_value, pct, rate_verdict
from steward.findings import Finding, Verdict


def compare_rates(
    name: str, column: str, ref: Rate, cur: Rate, limits: Limits, what: str
) -> Finding:
    """``quality.<name>``: the current rate against the reference rate plus the tolerance."""
    bound = ref.value + limits.tolerance
    if cur.total == 0:
        return finding(
            name,
            column,
            None,
            Verdict.OK,
            f"{column}: no rows in the current data",
            threshold=bound,
        )
    p_value = excess_p_value(ref, cur)
    verdict = rate_verdict(cur.value - ref.value, p_value, limits, new=ref.count == 0)
    message = (
        f"{column}: {pct(cur.value)} {what} ({cur.count:,} of {cur.total:,}) vs "
        f"{pct(ref.value)} in the reference"
    )
    details = {"count": cur.count, "rows": cur.total, "reference_rate": ref.value}
    return finding(
        name, column, cur.value, verdict, message, threshold=bound, p_value=p_value, details=details
    )
