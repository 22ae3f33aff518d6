"""Missing rate: fail when the share of missing values rose clearly above the reference's.

Missing means null, or NaN in a numeric column; values that failed to parse are counted by
``unparsed_values`` instead, so each problem is reported once.
The bar is the reference rate plus the threshold (2 percentage points), and the rise must be
significant for this window's size (one-sided Fisher exact test at the policy's ``alpha``):
a jump from 0% to 10% fails on any window of a few dozen rows, while a 200k-row window does
not fail over a 0.3-point wobble.
"""

from __future__ import annotations

from steward.checks.quality._base import ColumnCheck, ColumnPair, Limits, register
from steward.checks.quality._rates import compare_rates
from steward.checks.quality._stats import Rate
from steward.findings import Finding
from steward.profile import (
    CategoricalProfile,
    DatetimeProfile,
    KeyProfile,
    NumericProfile,
    TextProfile,
)


def missing_rate(pair: ColumnPair, limits: Limits) -> Finding:
    ref = Rate(pair.ref.missing - pair.ref_unparsed, pair.ref.rows)
    cur = Rate(pair.cur.missing - pair.cur_unparsed, pair.cur.rows)
    return compare_rates("missing_rate", pair.name, ref, cur, limits, "missing")


register(
    ColumnCheck(
        "missing_rate",
        (NumericProfile, CategoricalProfile, DatetimeProfile, TextProfile, KeyProfile),
        missing_rate,
        threshold=0.02,
        description="Share of missing values, against the reference's share plus a tolerance.",
    )
)
