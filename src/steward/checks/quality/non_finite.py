"""Non-finite values: NaN, +inf or -inf in a numeric column.

A kind of non-finite value the reference never had (a division by zero, a log of zero
upstream) fails at once, whatever its count. Kinds the reference had are held to its rate:
a significant rise of more than the threshold (1% of the values) fails.
"""

from __future__ import annotations

from typing import cast

from steward.checks.quality._base import ColumnCheck, ColumnPair, Limits, finding, register
from steward.checks.quality._stats import Rate, excess_p_value, pct, rate_verdict
from steward.findings import Finding, Verdict
from steward.profile import NumericProfile


def non_finite(pair: ColumnPair, limits: Limits) -> Finding:
    ref, cur = cast(NumericProfile, pair.ref), cast(NumericProfile, pair.cur)
    ref_kinds, cur_kinds = _kinds(ref), _kinds(cur)
    new = [kind for kind, count in cur_kinds.items() if count and not ref_kinds[kind]]
    observed = Rate(sum(cur_kinds.values()), cur.rows - cur.nulls)
    expected = Rate(sum(ref_kinds.values()), ref.rows - ref.nulls)
    p_value = excess_p_value(expected, observed)
    verdict = rate_verdict(observed.value - expected.value, p_value, limits, new=False)
    if new:
        verdict = Verdict.FAIL
    details = {
        "counts": cur_kinds,
        "reference_counts": ref_kinds,
        "values": observed.total,
        "new": new,
    }
    return finding(
        "non_finite",
        pair.name,
        observed.value,
        verdict,
        _message(pair.name, cur_kinds, observed, new, expected),
        threshold=expected.value + limits.tolerance,
        p_value=p_value,
        details=details,
    )


def _kinds(column: NumericProfile) -> dict[str, int]:
    return {"NaN": column.nans, "+inf": column.pos_inf, "-inf": column.neg_inf}


def _message(
    name: str, kinds: dict[str, int], observed: Rate, new: list[str], expected: Rate
) -> str:
    if not observed.count:
        return f"{name}: no NaN or infinite values"
    counts = ", ".join(f"{count:,} {kind}" for kind, count in kinds.items() if count)
    where = f"{counts} among {observed.total:,} values ({pct(observed.value)})"
    if new:
        return f"{name}: {where}; the reference had no {' or '.join(new)}"
    return f"{name}: {where} vs {pct(expected.value)} in the reference"


register(
    ColumnCheck(
        "non_finite",
        (NumericProfile,),
        non_finite,
        threshold=0.01,
        description="NaN and ±inf in numeric columns: new kinds fail, known ones are held to "
        "the reference rate.",
    )
)
