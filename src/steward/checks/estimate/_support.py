"""Is a window inside the reference's support? Rows where an estimate would extrapolate.

A row is outside the support when a numeric column is beyond the reference's
[0.5 %, 99.5 %] quantile range widened by ``margin`` times its width (a column whose range
has no width falls back to the reference's minimum and maximum), or when a categorical or
boolean column holds a value the reference never had. Missing values never count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from steward.checks.estimate._columns import floats, labels
from steward.schema import Column, Kind

QUANTILES = (0.005, 0.995)


@dataclass(frozen=True)
class Support:
    """Per-column bounds (numeric) and vocabularies (categorical) learned on the reference."""

    bounds: dict[str, tuple[float, float]]
    vocabularies: dict[str, frozenset[str]]

    def outside(self, table: pa.Table) -> dict[str, np.ndarray]:
        """A mask of out-of-support rows per column present in ``table``."""
        masks = {
            name: _beyond(floats(table, name, "window"), low, high)
            for name, (low, high) in self.bounds.items()
            if name in table.column_names
        }
        for name, seen in self.vocabularies.items():
            if name in table.column_names:
                masks[name] = _unseen(labels(table, name), seen)
        return masks


@dataclass(frozen=True)
class SupportCheck:
    """The share of a window's rows outside the support, and the share per column."""

    share: float
    columns: dict[str, float]
    limit: float

    @property
    def violated(self) -> bool:
        return self.share > self.limit

    def reason(self) -> str:
        worst = sorted(self.columns.items(), key=lambda kv: -kv[1])
        named = ", ".join(f"{name} {share:.0%}" for name, share in worst[:5] if share >= 0.005)
        return (
            f"{self.share:.0%} of rows are outside the reference's support (limit "
            f"{self.limit:.0%}; {named}): the estimate extrapolates"
        )


def fit_support(table: pa.Table, columns: list[Column], margin: float) -> Support:
    bounds, vocabularies = {}, {}
    for column in columns:
        if column.kind is Kind.NUMERIC:
            bounds[column.name] = _bounds(floats(table, column.name, "reference"), margin)
        elif column.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
            values = labels(table, column.name)
            vocabularies[column.name] = frozenset(v for v in values if v is not None)
    return Support(bounds, vocabularies)


def check_support(support: Support, table: pa.Table, limit: float) -> SupportCheck:
    masks = support.outside(table)
    rows = max(table.num_rows, 1)
    any_outside = np.zeros(table.num_rows, dtype=bool)
    for mask in masks.values():
        any_outside |= mask
    shares = {name: float(mask.sum() / rows) for name, mask in masks.items()}
    return SupportCheck(float(any_outside.sum() / rows), shares, limit)


def _bounds(values: np.ndarray, margin: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (-np.inf, np.inf)
    low, high = np.quantile(values, QUANTILES)
    if high <= low:
        low, high = float(values.min()), float(values.max())
    width = high - low
    return (float(low - margin * width), float(high + margin * width))


def _unseen(values: np.ndarray, seen: frozenset[str]) -> np.ndarray:
    present = np.array([v is not None for v in values], dtype=bool)
    distinct, inverse = np.unique(values[present].astype(str), return_inverse=True)
    new = np.array([v not in seen for v in distinct], dtype=bool)
    out = np.zeros(values.size, dtype=bool)
    out[present] = new[inverse]
    return out


def _beyond(values: np.ndarray, low: float, high: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (values < low) | (values > high)
