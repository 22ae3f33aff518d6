"""Constant column: the current data holds one value where the reference had several.

A window of three rows is often constant by chance, so the verdict needs evidence: the
probability that ``n`` values drawn like the reference are all equal, ``sum(p_v ** n)`` over
the reference's categories (or, for numeric columns, over its histogram bins, which bounds
it from above). The check fails when that probability is below the policy's ``alpha``.
"""

from __future__ import annotations

from typing import NamedTuple, cast

import numpy as np

from steward.checks.quality._base import ColumnCheck, ColumnPair, Limits, finding, register
from steward.checks.quality._stats import num
from steward.findings import Finding, Verdict
from steward.profile import CategoricalProfile, ColumnProfile, NumericProfile


class Spread(NamedTuple):
    """The single value (or None), how many values, the distinct count, the value mass."""

    value: str | None
    values: int
    distinct: float
    mass: np.ndarray


def constant_column(pair: ColumnPair, limits: Limits) -> Finding:
    cur, ref = _spread(pair.cur), _spread(pair.ref)
    if cur.value is None or ref.distinct < 2:
        return finding(
            "constant_column",
            pair.name,
            cur.distinct,
            Verdict.OK,
            f"{pair.name}: {_count(cur.distinct)} distinct values",
        )
    p_value = float(np.sum(ref.mass**cur.values))
    verdict = Verdict.FAIL if p_value < limits.alpha else Verdict.OK
    message = (
        f"{pair.name}: all {cur.values:,} values are {cur.value}; the reference had "
        f"{_count(ref.distinct)} distinct values"
    )
    if verdict is Verdict.OK:
        message += " (not unusual for so few values)"
    details = {"value": cur.value, "reference_distinct": ref.distinct}
    return finding(
        "constant_column", pair.name, 1.0, verdict, message, p_value=p_value, details=details
    )


def _spread(column: ColumnProfile) -> Spread:
    if isinstance(column, NumericProfile):
        return _numeric(column)
    return _categorical(cast(CategoricalProfile, column))


def _numeric(column: NumericProfile) -> Spread:
    n = column.finite
    constant = n > 0 and column.minimum == column.maximum
    distinct = 1.0 if constant else (0.0 if n == 0 else max(2.0, round(column.distinct)))
    mass = column.counts / n if n else np.zeros(0)
    return Spread(num(column.minimum) if constant else None, n, distinct, mass)


def _categorical(column: CategoricalProfile) -> Spread:
    present = [key for key, count in column.counts.items() if count > 0]
    distinct = float(len(present) + (column.other > 0))
    constant = distinct == 1 and not column.other
    counts = np.array([*column.counts.values(), column.other], dtype=float)
    mass = counts / column.count if column.count else np.zeros(0)
    return Spread(present[0] if constant else None, column.count, distinct, mass)


def _count(distinct: float) -> str:
    return f"{distinct:,.0f}" if distinct < 1000 else f"about {distinct:,.0f}"


register(
    ColumnCheck(
        "constant_column",
        (NumericProfile, CategoricalProfile),
        constant_column,
        description="The current data has one distinct value where the reference had several.",
    )
)
