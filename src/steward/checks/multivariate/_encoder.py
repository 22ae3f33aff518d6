"""One numeric matrix from a table of mixed columns, fitted on the reference sample.

Numeric and boolean columns are standardised on the reference after imputing its median,
with a missing indicator where the reference had missing values; categorical columns are
one-hot on the reference's top categories plus ``(other)``. Each source column carries one
unit of reference variance (a one-hot block is centred and scaled as a whole), so PCA weighs
a twenty-level category like one number. :meth:`FeatureEncoder.codes` gives the compact form
trees prefer from the same fitted state: one column per source column, missing values left
as NaN, categories as indices.

>>> import pyarrow as pa
>>> from steward.schema import Column, Kind
>>> table = pa.table({"x": [1.0, 2.0, None], "c": ["a", "b", "a"]})
>>> columns = [Column(name="x", kind=Kind.NUMERIC), Column(name="c", kind=Kind.CATEGORICAL)]
>>> encoder = FeatureEncoder(max_categories=5).fit(table, columns)
>>> encoder.feature_names_
['x', 'x=(missing)', 'c=a', 'c=b', 'c=(other)']
>>> encoder.transform(table).shape
(3, 5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.profile.categorical import category_strings
from steward.schema import Column, Kind

MISSING = "(missing)"
OTHER = "(other)"
ENCODED_KINDS = (Kind.NUMERIC, Kind.BOOLEAN, Kind.CATEGORICAL)


def float_values(column: pa.ChunkedArray) -> np.ndarray:
    """Row-aligned floats: nulls, unparsable strings and infinities become NaN."""
    typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        values = np.array([_parse(v) for v in column.to_pylist()], dtype=np.float64)
    else:
        if pa.types.is_boolean(typ):
            column = pc.cast(column, pa.int8())
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        values = np.array(values, dtype=np.float64)
    values[~np.isfinite(values)] = np.nan
    return values


def _parse(value: str | None) -> float:
    try:
        return float(value) if value is not None else np.nan
    except ValueError:
        return np.nan


def labels(column: pa.ChunkedArray) -> pa.Array:
    """Category labels as strings; missing values are ``(missing)``."""
    strings = pc.cast(category_strings(column.combine_chunks()), pa.large_string())
    return pc.fill_null(strings, MISSING)


@dataclass(frozen=True)
class _NumericCode:
    source: str
    median: float
    mean: float
    scale: float
    has_values: bool
    indicator: tuple[float, float] | None  # (mean, scale) of the missing indicator

    @classmethod
    def fit(cls, source: str, column: pa.ChunkedArray) -> _NumericCode:
        x = float_values(column)
        missing = np.isnan(x)
        indicator = _unit(missing.astype(float)) if missing.any() else None
        if missing.all():
            return cls(source, 0.0, 0.0, 1.0, False, indicator)
        median = float(np.median(x[~missing]))
        mean, scale = _unit(np.where(missing, median, x))
        return cls(source, median, mean, scale, True, indicator)

    @property
    def names(self) -> list[str]:
        value = [self.source] if self.has_values else []
        return value + ([f"{self.source}={MISSING}"] if self.indicator else [])

    def transform(self, column: pa.ChunkedArray) -> np.ndarray:
        x = float_values(column)
        missing = np.isnan(x)
        blocks = []
        if self.has_values:
            blocks.append((np.where(missing, self.median, x) - self.mean) / self.scale)
        if self.indicator:
            blocks.append((missing - self.indicator[0]) / self.indicator[1])
        return np.column_stack(blocks)

    def codes(self, column: pa.ChunkedArray) -> np.ndarray:
        """One column for trees: the standardised value, NaN where missing (or, when the
        reference had no values at all, whether the value is missing)."""
        x = float_values(column)
        return (x - self.mean) / self.scale if self.has_values else np.isnan(x).astype(float)


@dataclass(frozen=True)
class _CategoricalCode:
    source: str
    categories: tuple[str, ...]
    shares: tuple[float, ...]  # reference share of each category, then of (other)
    scale: float

    @classmethod
    def fit(cls, source: str, column: pa.ChunkedArray, max_categories: int) -> _CategoricalCode:
        values = labels(column)
        counted = pc.value_counts(values).to_pylist()
        ranked = sorted(counted, key=lambda c: (-c["counts"], c["values"]))[:max_categories]
        categories = tuple(c["values"] for c in ranked)
        onehot = _onehot(values, categories)
        shares = onehot.mean(axis=0)
        spread = float(np.sqrt(max(1.0 - np.sum(shares**2), 0.0)))
        return cls(source, categories, tuple(shares.tolist()), spread if spread > 0 else 1.0)

    @property
    def names(self) -> list[str]:
        return [f"{self.source}={c}" for c in (*self.categories, OTHER)]

    def transform(self, column: pa.ChunkedArray) -> np.ndarray:
        onehot = _onehot(labels(column), self.categories)
        return (onehot - np.array(self.shares)) / self.scale

    def codes(self, column: pa.ChunkedArray) -> np.ndarray:
        """One column for trees: the category's index, ``len(categories)`` for (other)."""
        return _positions(labels(column), self.categories).astype(np.float64)


def _positions(values: pa.Array, categories: tuple[str, ...]) -> np.ndarray:
    """Each value's index among ``categories``; ``len(categories)`` for any other value."""
    found = pc.index_in(values, value_set=pa.array(categories, pa.large_string()))
    return np.asarray(pc.fill_null(found, len(categories)).to_numpy(), dtype=np.int64)


def _onehot(values: pa.Array, categories: tuple[str, ...]) -> np.ndarray:
    out = np.zeros((len(values), len(categories) + 1))
    out[np.arange(len(values)), _positions(values, categories)] = 1.0
    return out


def _unit(x: np.ndarray) -> tuple[float, float]:
    """Mean and scale that standardise ``x``; a constant keeps scale 1."""
    std = float(x.std())
    return float(x.mean()), std if std > 0 else 1.0


class FeatureEncoder:
    """Encode numeric, boolean and categorical columns as one float matrix.

    The constructor only stores parameters; :meth:`fit` learns, on the reference sample,
    everything that ends in ``_``. Columns of other kinds are left out by the caller.
    """

    def __init__(self, max_categories: int = 20) -> None:
        self.max_categories = max_categories

    def fit(self, table: pa.Table, columns: Sequence[Column]) -> FeatureEncoder:
        self.codes_ = [self._fit_column(table.column(c.name), c) for c in columns]
        self.columns_ = [c.name for c in columns]
        self.feature_names_ = [name for code in self.codes_ for name in code.names]
        self.groups_ = np.array(
            [i for i, code in enumerate(self.codes_) for _ in code.names], dtype=np.int64
        )
        self.categorical_ = np.array([isinstance(c, _CategoricalCode) for c in self.codes_])
        return self

    def _fit_column(self, column: pa.ChunkedArray, spec: Column) -> _NumericCode | _CategoricalCode:
        if spec.kind is Kind.CATEGORICAL:
            return _CategoricalCode.fit(spec.name, column, self.max_categories)
        return _NumericCode.fit(spec.name, column)

    def transform(self, table: pa.Table) -> np.ndarray:
        """The encoded rows of ``table``: one row per row, one column per feature name."""
        blocks = [
            code.transform(table.column(name))
            for code, name in zip(self.codes_, self.columns_, strict=True)
        ]
        if not blocks:
            return np.zeros((table.num_rows, 0))
        return np.column_stack(blocks).astype(np.float64, copy=False)

    def codes(self, table: pa.Table) -> np.ndarray:
        """The compact form trees take: one column per source column, in ``columns_`` order.

        Numbers are standardised with NaN kept where missing; categories are indices into
        the reference's top categories (``(other)`` last), marked by ``categorical_``.
        """
        blocks = [
            code.codes(table.column(name))
            for code, name in zip(self.codes_, self.columns_, strict=True)
        ]
        return np.column_stack(blocks) if blocks else np.zeros((table.num_rows, 0))
