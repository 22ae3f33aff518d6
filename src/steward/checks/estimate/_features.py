"""Features as a matrix for a gradient-boosted loss model.

Numeric and boolean columns as floats (infinities become missing), categorical columns as
codes of the reference's most frequent categories for the model's native categorical
support (other and unseen categories become missing), and the model's prediction last.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from steward.checks.estimate._columns import finite, floats, labels, require
from steward.schema import Column, Kind

MAX_CATEGORIES = 250  # below HistGradientBoosting's 255 bins


@dataclass(frozen=True)
class Encoder:
    numeric: tuple[str, ...]
    categorical: dict[str, dict[str, int]]
    prediction: str

    @property
    def categorical_mask(self) -> np.ndarray:
        flags = [False] * len(self.numeric) + [True] * len(self.categorical) + [False]
        return np.array(flags, dtype=bool)

    def matrix(self, table: pa.Table, what: str) -> np.ndarray:
        """Rows × (numeric, categorical codes, prediction) as float64."""
        columns = [_numeric(table, name, what) for name in self.numeric]
        columns += [_codes(table, name, codes, what) for name, codes in self.categorical.items()]
        columns.append(finite(floats(table, self.prediction, what), self.prediction, what))
        return np.column_stack(columns)


def fit_encoder(table: pa.Table, features: list[Column], prediction: str) -> Encoder:
    numeric = tuple(c.name for c in features if c.kind in (Kind.NUMERIC, Kind.BOOLEAN))
    categorical = {
        c.name: _vocabulary(labels(table, c.name)) for c in features if c.kind is Kind.CATEGORICAL
    }
    return Encoder(numeric, categorical, prediction)


def _vocabulary(values: np.ndarray) -> dict[str, int]:
    counts = Counter(v for v in values.tolist() if v is not None)
    return {value: i for i, (value, _) in enumerate(counts.most_common(MAX_CATEGORIES))}


def _numeric(table: pa.Table, name: str, what: str) -> np.ndarray:
    values = floats(table, name, what)
    return np.where(np.isfinite(values), values, np.nan)


def _codes(table: pa.Table, name: str, codes: dict[str, int], what: str) -> np.ndarray:
    require(table, name, what)
    values = labels(table, name)
    present = np.array([v is not None for v in values], dtype=bool)
    distinct, inverse = np.unique(values[present].astype(str), return_inverse=True)
    mapped = np.array([codes.get(v, np.nan) for v in distinct], dtype=np.float64)
    out = np.full(values.size, np.nan)
    out[present] = mapped[inverse]
    return out
