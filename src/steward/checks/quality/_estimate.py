"""How many values of a numeric profile break a bound, without the rows.

Counts below a value are exact when the value is one of the reference's bin edges (the
histogram is exact there: below the first edge is the underflow bin, at or above the last is
the overflow bin), or when it lies outside the current minimum and maximum. Elsewhere they
come from the KLL quantile sketch (rank error about 1.3% at the default size), kept within
what the histogram proves (the bins wholly below and the bin holding the value), or by
linear interpolation inside that bin when the profile was built without sketches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steward.profile import NumericProfile


@dataclass(frozen=True)
class Violations:
    """Values breaking a bound among the non-missing values (infinities included)."""

    count: float
    total: int
    exact: bool

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


def count_below(column: NumericProfile, x: float) -> tuple[float, bool]:
    """Finite values strictly below ``x``, and whether the count is exact."""
    if column.finite == 0 or x <= column.minimum:
        return 0.0, True
    if x > column.maximum:
        return float(column.finite), True
    low, high, share = _bracket(column, x)
    if low == high:
        return low, True
    if column.kll is not None and not column.kll.is_empty():
        estimate = column.finite * column.kll.get_rank(x, inclusive=False)
        return float(np.clip(estimate, low, high)), False
    return low + share * (high - low), False


def _bracket(column: NumericProfile, x: float) -> tuple[float, float, float]:
    """What the histogram proves: at least ``low`` and at most ``high`` values lie below
    ``x``; and where ``x`` sits inside its bin (0 to 1), for interpolation."""
    edges, counts = column.edges, column.counts
    i = int(np.searchsorted(edges, x, side="right"))  # x in bin i: [edges[i-1], edges[i])
    low = float(counts[:i].sum())
    if i > 0 and x == edges[i - 1]:
        return low, low, 0.0
    inner = 0 < i < len(edges)
    share = (x - edges[i - 1]) / (edges[i] - edges[i - 1]) if inner else 0.5
    return low, low + float(counts[i]), float(share)


def violations(column: NumericProfile, op: str, bounds: tuple[float, ...]) -> Violations:
    """Values breaking ``value <op> bounds`` (``between`` is inclusive)."""
    below_low, exact_low = count_below(column, bounds[0])
    below_up, exact_up = count_below(column, float(np.nextafter(bounds[-1], np.inf)))
    finite, pos, neg = column.finite, column.pos_inf, column.neg_inf
    both = exact_low and exact_up
    count, exact = {
        ">=": (below_low + neg, exact_low),
        ">": (below_up + neg, exact_up),
        "<=": (finite - below_up + pos, exact_up),
        "<": (finite - below_low + pos, exact_low),
        "==": (finite - (below_up - below_low) + pos + neg, both),
        "!=": (below_up - below_low, both),
        "between": (below_low + finite - below_up + pos + neg, both),
    }[op]
    count = max(0.0, count)
    if count < 1 and _surely_broken(column, op, bounds):
        count = 1.0
    return Violations(count, finite + pos + neg, exact)


def _surely_broken(column: NumericProfile, op: str, bounds: tuple[float, ...]) -> bool:
    """What the exact minimum, maximum and infinity counts prove broken."""
    if column.finite == 0:
        return False
    low, high = column.minimum, column.maximum
    return {
        ">=": low < bounds[0],
        ">": low <= bounds[0],
        "<=": high > bounds[-1],
        "<": high >= bounds[-1],
        "==": low != bounds[0] or high != bounds[0],
        "!=": low == high == bounds[0],
        "between": low < bounds[0] or high > bounds[-1],
    }[op]
