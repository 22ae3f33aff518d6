"""Unparsed values: values that could not be read as the column's reference kind.

A numeric column that now holds ``"n/a"`` or ``"12,5"``, a boolean column that holds
``"maybe"``, a datetime column with a new format: the profile counts the values that failed
to parse (they become missing). Any significant rise warns; a rise of more than 0.1% of the
rows fails.
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


def unparsed_values(pair: ColumnPair, limits: Limits) -> Finding:
    ref = Rate(pair.ref_unparsed, pair.ref.rows)
    cur = Rate(pair.cur_unparsed, pair.cur.rows)
    what = f"failed to parse as {pair.ref.kind}"
    return compare_rates("unparsed_values", pair.name, ref, cur, limits, what)


register(
    ColumnCheck(
        "unparsed_values",
        (NumericProfile, CategoricalProfile, DatetimeProfile, TextProfile, KeyProfile),
        unparsed_values,
        threshold=0.001,
        description="Share of values that failed to parse into the reference kind.",
    )
)
