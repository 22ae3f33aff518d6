"""Duplicate rows: rows that repeat an earlier row (ids and timestamps left out).

Some data repeats naturally (few columns of few values), and more so in larger windows; the
reference's own duplicates fix how many to expect at the current window's size. A
significant excess warns; an excess of more than 1% of the rows fails.
"""

from __future__ import annotations

from steward.checks.quality._base import Comparison, DatasetCheck, Limits, register
from steward.checks.quality._duplicates import compare_duplicates
from steward.checks.quality._stats import Rate
from steward.findings import Finding


def duplicate_rows(comparison: Comparison, limits: Limits) -> list[Finding]:
    ref = Rate(comparison.reference.duplicate_rows, comparison.reference.rows)
    cur = Rate(comparison.current.duplicate_rows, comparison.current.rows)
    return [compare_duplicates("duplicate_rows", None, ref, cur, limits, "rows")]


register(
    DatasetCheck(
        "duplicate_rows",
        "rows",
        duplicate_rows,
        threshold=0.01,
        description="Share of rows that repeat an earlier row, against the reference's.",
    )
)
