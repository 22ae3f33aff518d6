"""Duplicate ids: values of an id column that repeat an earlier one.

An id that was unique in the reference is a key: any repeat in the current data fails
(repeats are counted within each profiled batch). An id that repeats by nature, such as a
customer id in a table of orders, is held to the rate the reference predicts at the
window's size; the default threshold 0 fails any significant excess.
"""

from __future__ import annotations

from typing import cast

from steward.checks.quality._base import ColumnCheck, ColumnPair, Limits, register
from steward.checks.quality._duplicates import compare_duplicates
from steward.checks.quality._stats import Rate
from steward.findings import Finding
from steward.profile import KeyProfile


def duplicate_ids(pair: ColumnPair, limits: Limits) -> Finding:
    ref, cur = cast(KeyProfile, pair.ref), cast(KeyProfile, pair.cur)
    expected = Rate(ref.duplicates, ref.rows - ref.nulls)
    observed = Rate(cur.duplicates, cur.rows - cur.nulls)
    return compare_duplicates(
        "duplicate_ids", pair.name, expected, observed, limits, "ids", key=True
    )


register(
    ColumnCheck(
        "duplicate_ids",
        (KeyProfile,),
        duplicate_ids,
        threshold=0.0,
        description="Share of id values that repeat an earlier one, against the reference's.",
    )
)
