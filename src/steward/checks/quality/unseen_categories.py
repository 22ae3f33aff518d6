"""Unseen categories: values of a categorical or boolean column the reference never had.

Each unseen category is named with its share of the current values. A long-tailed column
shows new rare values in every window, so the rate the reference predicts for unseen values
is its Good–Turing estimate: the share of reference values whose category occurred once.
When the reference folded rare categories into "other", that bucket counts twice, once as
mass outside the kept categories and once as the most it can hold of singletons. The excess
over that must be significant at the policy's ``alpha`` to warn, and above the threshold (1%
of values) to fail.
"""

from __future__ import annotations

from typing import Any, cast

from steward.checks.quality._base import ColumnCheck, ColumnPair, Limits, finding, named, register
from steward.checks.quality._stats import Rate, excess_p_value, pct, rate_verdict
from steward.findings import Finding, Verdict
from steward.profile import CategoricalProfile

SHOWN = 5


def unseen_categories(pair: ColumnPair, limits: Limits) -> Finding:
    ref, cur = cast(CategoricalProfile, pair.ref), cast(CategoricalProfile, pair.cur)
    if cur.count == 0:
        return finding(
            "unseen_categories",
            pair.name,
            None,
            Verdict.OK,
            f"{pair.name}: no values in the current data",
            threshold=limits.tolerance,
        )
    unseen = _unseen(ref, cur)
    observed = Rate(sum(unseen.values()) + cur.other, cur.count)
    expected = Rate(min(_singletons(ref) + 2 * ref.other, ref.count), ref.count)
    p_value = excess_p_value(expected, observed)
    excess = observed.value - expected.value
    verdict = rate_verdict(excess, p_value, limits, new=expected.count == 0)
    return finding(
        "unseen_categories",
        pair.name,
        observed.value,
        verdict,
        _message(pair.name, unseen, cur),
        threshold=expected.value + limits.tolerance,
        p_value=p_value,
        details=_details(unseen, cur, expected),
    )


def _unseen(ref: CategoricalProfile, cur: CategoricalProfile) -> dict[str, int]:
    """Current categories with values that the reference never saw, most frequent first."""
    seen = {key for key, count in ref.counts.items() if count > 0}
    found = [(k, v) for k, v in cur.counts.items() if v > 0 and k not in seen]
    return dict(sorted(found, key=lambda kv: (-kv[1], kv[0])))


def _singletons(ref: CategoricalProfile) -> int:
    return sum(1 for count in ref.counts.values() if count == 1)


def _details(unseen: dict[str, int], cur: CategoricalProfile, expected: Rate) -> dict[str, Any]:
    values = named(list(unseen))
    return {
        "values": values,
        "shares": [unseen[v] / cur.count for v in values],
        "categories": len(unseen),
        "other": cur.other / cur.count,
        "reference_unseen_rate": expected.value,
    }


def _message(name: str, unseen: dict[str, int], cur: CategoricalProfile) -> str:
    parts = []
    if unseen:
        share = sum(unseen.values()) / cur.count
        shown = ", ".join(f"{k} ({pct(v / cur.count)})" for k, v in list(unseen.items())[:SHOWN])
        more = f" and {len(unseen) - SHOWN} more" if len(unseen) > SHOWN else ""
        parts.append(f"{pct(share)} of values in {len(unseen)} unseen categories: {shown}{more}")
    if cur.other:
        parts.append(f"{pct(cur.other / cur.count)} in rarer categories not kept by the profile")
    return f"{name}: " + ("; ".join(parts) if parts else "no unseen categories")


register(
    ColumnCheck(
        "unseen_categories",
        (CategoricalProfile,),
        unseen_categories,
        threshold=0.01,
        description="Share of values in categories the reference never had, each with its share.",
    )
)
