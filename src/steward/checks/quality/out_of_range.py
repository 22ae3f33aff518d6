"""Out of range: values below the reference minimum or above the reference maximum.

The counts are exact: the reference's bin edges start at its minimum and end just above its
maximum, so the current profile's underflow and overflow bins hold exactly the values
outside. Even a window drawn like the reference has a few values beyond the reference's
extremes (about ``n / n_ref`` per side), so the verdict needs evidence: an exact
exchangeability test per side at the policy's ``alpha``. It fails when that share exceeds
the threshold (0.1%) and warns when the excess is significant but smaller, or when a value
lies outside by more than :data:`FAR` times the reference range's width, measured on a
signed log scale (``sign(x) * log(1 + |x|)``): a couple of wild outliers in a million rows
(a sentinel such as -999, a value off by orders of magnitude) warn, they do not fail. On that
scale a large window of a heavy-tailed column (incomes, counts) reaches past the reference
maximum by a fraction of the range, not by several ranges.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from steward._exceptions import ProfileMismatch
from steward.checks.quality._base import ColumnCheck, ColumnPair, Limits, finding, register
from steward.checks.quality._stats import Rate, beyond_p_value, excess_p_value, num, pct
from steward.findings import Finding, Verdict
from steward.profile import NumericProfile

FAR = 3.0


def out_of_range(pair: ColumnPair, limits: Limits) -> Finding:
    ref, cur = _numeric(pair)
    if ref.finite == 0 or cur.finite == 0:
        side = "reference" if ref.finite == 0 else "current data"
        return finding(
            "out_of_range",
            pair.name,
            None,
            Verdict.OK,
            f"{pair.name}: no finite values in the {side}",
            threshold=limits.tolerance,
        )
    below, above = int(cur.counts[0]), int(cur.counts[-1])
    share = (below + above) / cur.finite
    p_value = min(1.0, 2 * min(_side_p(ref, cur, 0), _side_p(ref, cur, -1)))
    far = _far_outside(ref, cur)
    verdict = _verdict(share, p_value, far, limits)
    details = {
        "below": below,
        "above": above,
        "values": cur.finite,
        "far": far,
        "reference_min": bounds(ref)[0],
        "reference_max": bounds(ref)[1],
        "current_min": cur.minimum,
        "current_max": cur.maximum,
    }
    return finding(
        "out_of_range",
        pair.name,
        share,
        verdict,
        _message(pair.name, ref, cur),
        threshold=limits.tolerance,
        p_value=p_value,
        details=details,
    )


def _numeric(pair: ColumnPair) -> tuple[NumericProfile, NumericProfile]:
    ref, cur = cast(NumericProfile, pair.ref), cast(NumericProfile, pair.cur)
    if not np.array_equal(ref.edges, cur.edges):
        raise ProfileMismatch(
            f"column {pair.name!r}: the current profile has other bin edges; "
            "profile it against the reference"
        )
    return ref, cur


def _side_p(ref: NumericProfile, cur: NumericProfile, side: int) -> float:
    """Evidence for one side; a merged reference may itself have values beyond its edges."""
    count, ref_count = int(cur.counts[side]), int(ref.counts[side])
    if ref_count == 0:
        return beyond_p_value(count, cur.finite, ref.finite)
    return excess_p_value(Rate(ref_count, ref.finite), Rate(count, cur.finite))


def bounds(ref: NumericProfile) -> tuple[float, float]:
    """The reference range the under- and overflow bins are exact for."""
    return float(ref.edges[0]), float(np.nextafter(ref.edges[-1], -np.inf))


def _far_outside(ref: NumericProfile, cur: NumericProfile) -> bool:
    low, high = (_magnitude(v) for v in bounds(ref))
    lowest, highest = _magnitude(cur.minimum), _magnitude(cur.maximum)
    reach = FAR * (high - low)
    return reach > 0 and (lowest < low - reach or highest > high + reach)


def _magnitude(value: float) -> float:
    return float(np.sign(value) * np.log1p(abs(value)))


def _verdict(share: float, p_value: float, far: bool, limits: Limits) -> Verdict:
    significant = p_value < limits.alpha
    if significant and share > limits.tolerance:
        return Verdict.FAIL
    return Verdict.WARN if significant or far else Verdict.OK


def _message(name: str, ref: NumericProfile, cur: NumericProfile) -> str:
    below, above, total = int(cur.counts[0]), int(cur.counts[-1]), cur.finite
    low, high = bounds(ref)
    parts = []
    if below:
        parts.append(
            f"{pct(below / total)} of values below the reference minimum "
            f"{num(low)} (lowest {num(cur.minimum)})"
        )
    if above:
        parts.append(
            f"{pct(above / total)} above the reference maximum {num(high)} "
            f"(highest {num(cur.maximum)})"
        )
    if not parts:
        return f"{name}: all values within the reference range [{num(low)}, {num(high)}]"
    return f"{name}: " + "; ".join(parts)


register(
    ColumnCheck(
        "out_of_range",
        (NumericProfile,),
        out_of_range,
        threshold=0.001,
        description="Share of values below the reference minimum or above its maximum.",
    )
)
