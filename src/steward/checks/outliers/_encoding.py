"""The shared encoder: feature columns to one float matrix the multivariate detectors fit on.

Every feature becomes a *normal score* read off its reference tail model (``_tails``), so
features of any scale, skew or tail weight count alike and a value's distance from the bulk
means the same in every column:

* numeric — ``sign(x - median) · Φ⁻¹(1 - p/2)`` for the two-sided tail probability ``p``:
  the median maps to 0, the reference's 2.5 % and 97.5 % points to about ±1.96, and values
  past the reference range keep growing (the tails extrapolate); NaN becomes 0 (the median)
  plus a 0/1 *missing* indicator column when the reference had missing values;
* categorical — ``Φ⁻¹(1 - p/2)`` for the category's tail probability (the reference share of
  categories at most as common): common categories sit near 0, rare ones high, unseen ones
  highest — a monotone version of frequency encoding that spreads the rare end out;
* boolean — 0/1, null 0.5.

Robust scaling by median and IQR (then frequency encoding) was the first design: heavy-tailed
features spread over a wide range and drew most of the forest's random splits, and an unseen
category (frequency 0) sat right beside the rare ones, so the forest isolated it for 2 % of
planted rows; normal scores give 10 % there and put every feature on one scale.

>>> import pyarrow as pa
>>> from steward.schema import Column, Kind
>>> columns = (Column(name="x", kind=Kind.NUMERIC), Column(name="c", kind=Kind.CATEGORICAL))
>>> table = pa.table({"x": [1.0, 2.0, 3.0, 4.0, 5.0, None], "c": ["a", "a", "b", "a", "a", "a"]})
>>> enc = Encoder.fit(Tails.fit(table, columns), table)
>>> enc.names
['x', 'c:rarity', 'x:missing']
>>> enc.transform(table, columns, dtype=float).round(2).tolist()[:2]
[[-1.3, 0.0, 0.0], [-0.67, 0.0, 0.0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from scipy import special

from steward.checks.outliers._columns import booleans, numbers
from steward.checks.outliers._tails import NumericTail, Tails, p_values
from steward.schema import Column, Kind

CLIP = 1e6


@dataclass(frozen=True)
class Encoder:
    """The tail models plus which numeric columns get a missing indicator."""

    tails: Tails
    indicators: tuple[str, ...]

    @classmethod
    def fit(cls, tails: Tails, table: pa.Table, indicators: bool = True) -> Encoder:
        numeric = [m.name for m in tails.models if isinstance(m, NumericTail)]
        return cls(tails, tuple(n for n in numeric if indicators and _has_nan(table, n)))

    @property
    def names(self) -> list[str]:
        """One name per output column."""
        names = [
            m.name if isinstance(m, NumericTail) else f"{m.name}:rarity" for m in self.tails.models
        ]
        return names + [f"{n}:missing" for n in self.indicators]

    def transform(
        self, table: pa.Table, columns: tuple[Column, ...], dtype: type = np.float32
    ) -> np.ndarray:
        """The encoded matrix, one row per table row, C-contiguous."""
        width = len(self.tails.models) + len(self.indicators)
        out = np.empty((table.num_rows, width), dtype=dtype, order="F")
        for j, (model, column) in enumerate(zip(self.tails.models, columns, strict=True)):
            out[:, j] = _encode(model, table, column)
        for j, name in enumerate(self.indicators, start=len(self.tails.models)):
            out[:, j] = np.isnan(numbers(table.column(name), name))
        return np.ascontiguousarray(out)

    def to_dict(self) -> dict[str, Any]:
        return {"indicators": list(self.indicators)}

    @classmethod
    def from_dict(cls, tails: Tails, data: dict[str, Any]) -> Encoder:
        return cls(tails, tuple(data["indicators"]))


def normal_scores(p: np.ndarray) -> np.ndarray:
    """``Φ⁻¹(1 - p/2)``: the |z| whose two-sided normal tail probability is ``p``."""
    return 0.0 - special.ndtri(np.clip(p, 1e-300, 1.0) / 2.0)  # 0.0 - 0.0 is +0.0


def _encode(model: Any, table: pa.Table, column: Column) -> np.ndarray:
    if column.kind is Kind.BOOLEAN:
        values = booleans(table.column(column.name), column.name)
        return np.where(np.isnan(values), 0.5, values)
    if not isinstance(model, NumericTail):
        return normal_scores(p_values(model, table, column))
    values = numbers(table.column(column.name), column.name)
    signed = np.sign(values - model.lower[-1]) * normal_scores(model.p_values(values))
    return np.clip(np.where(np.isnan(values), 0.0, signed), -CLIP, CLIP)


def _has_nan(table: pa.Table, name: str) -> bool:
    return bool(np.isnan(numbers(table.column(name), name)).any())
