"""Candidate conditions: each feature as small integer codes plus the conditions over them.

Every row gets one *cell* per feature (a category, a quantile bin, "missing"); a condition
is a set of cells, held as one column of a boolean ``cells × conditions`` matrix. Counting
a conjunction's rows is then a ``bincount`` over combined cells and one matrix product per
feature, never a loop over rows.

Numeric features are cut at their quantiles (``bins`` bins): each bin is a condition, and so
is each one-sided cut (``income <= 31200``, ``income > 31200``). Categorical and boolean
features give one ``==`` condition per value (the most frequent ``MAX_VALUES``). Missing
values are a condition of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.schema import Column, Kind, Role, Schema, align

MAX_VALUES = 30
SLICE_ROLES = (Role.FEATURE, Role.SEGMENT)
SLICE_KINDS = (Kind.NUMERIC, Kind.CATEGORICAL, Kind.BOOLEAN)


@dataclass(frozen=True)
class Feature:
    """One feature's cell per row, and its conditions as sets of cells."""

    name: str
    codes: np.ndarray
    labels: tuple[str, ...]
    matrix: np.ndarray

    @property
    def cells(self) -> int:
        return self.matrix.shape[0]

    @cached_property
    def weights(self) -> np.ndarray:
        """The condition matrix as floats, for summing cells into conditions."""
        return self.matrix.astype(np.float64)

    def mask(self, condition: int) -> np.ndarray:
        """The rows meeting one condition."""
        return self.matrix[self.codes, condition]

    def subset(self, rows: np.ndarray) -> Feature:
        return Feature(self.name, self.codes[rows], self.labels, self.matrix)


def slice_columns(schema: Schema, table: pa.Table) -> list[Column]:
    """The columns slices are built from: features and segments of a sliceable kind."""
    return [
        c
        for c in schema.with_role(*SLICE_ROLES)
        if c.kind in SLICE_KINDS and c.name in table.column_names
    ]


def encode_features(table: pa.Table, schema: Schema, bins: int = 5) -> list[Feature]:
    """Cells and conditions for every sliceable column that has at least one condition."""
    columns = slice_columns(schema, table)
    aligned = align(table.select([c.name for c in columns]), schema)
    features = [_encode(aligned.column(c.name), c, bins) for c in columns]
    return [f for f in features if f.labels]


def _encode(column: pa.ChunkedArray, spec: Column, bins: int) -> Feature:
    if spec.kind is Kind.NUMERIC:
        return _numeric(spec.name, _floats(column), bins)
    return _categorical(spec.name, column)


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """Numbers as float64, NaN for missing values and strings that are not numbers."""
    try:
        numbers = pc.fill_null(pc.cast(column, pa.float64()), np.nan)
        return np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.array([_parse(v) for v in column.to_pylist()], dtype=np.float64)


def _parse(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _numeric(name: str, values: np.ndarray, bins: int) -> Feature:
    finite = values[np.isfinite(values)]
    levels = np.arange(1, bins) / bins
    cuts = np.zeros(0)
    if len(finite):
        cuts = np.unique(np.quantile(finite, levels, method="inverted_cdf")).astype(np.float64)
    codes = np.searchsorted(cuts, values, side="left")
    missing = np.isnan(values)
    codes[missing] = len(cuts) + 1
    labels, columns = _numeric_conditions(name, cuts)
    if missing.any():
        labels.append(f"{name} is missing")
        columns.append([len(cuts) + 1])
    return Feature(name, codes.astype(np.int64), tuple(labels), _matrix(len(cuts) + 2, columns))


def _numeric_conditions(name: str, cuts: np.ndarray) -> tuple[list[str], list[list[int]]]:
    """Bins, then ``<=`` and ``>`` cuts not already a bin; cells are bins 0..len(cuts)."""
    if len(cuts) == 0:
        return [], []
    text = [_number(c) for c in cuts]
    last = len(cuts)
    labels = [f"{name} <= {text[0]}"]
    columns = [[0]]
    for j in range(1, last):
        labels.append(f"{text[j - 1]} < {name} <= {text[j]}")
        columns.append([j])
    labels.append(f"{name} > {text[-1]}")
    columns.append([last])
    for j in range(1, last):
        labels.append(f"{name} <= {text[j]}")
        columns.append(list(range(j + 1)))
    for j in range(last - 1):
        labels.append(f"{name} > {text[j]}")
        columns.append(list(range(j + 1, last + 1)))
    return labels, columns


def _number(value: float) -> str:
    return f"{value:.6g}"


def _categorical(name: str, column: pa.ChunkedArray) -> Feature:
    encoded = pc.dictionary_encode(column.combine_chunks())
    indices = np.asarray(encoded.indices.fill_null(0).to_numpy(zero_copy_only=False))
    valid = np.asarray(encoded.indices.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    values = encoded.dictionary.to_pylist()
    raw = np.where(valid, indices, len(values)).astype(np.int64)
    counts = np.bincount(raw[valid], minlength=len(values))
    kept = np.argsort(-counts, kind="stable")[:MAX_VALUES]
    kept = kept[counts[kept] > 0]
    remap = np.full(len(values) + 1, len(kept), dtype=np.int64)  # "other" cell
    remap[kept] = np.arange(len(kept))
    remap[len(values)] = len(kept) + 1  # missing cell
    labels = [f"{name} == {values[i]!r}" for i in kept]
    columns = [[i] for i in range(len(kept))]
    if not valid.all():
        labels.append(f"{name} is missing")
        columns.append([len(kept) + 1])
    return Feature(name, remap[raw], tuple(labels), _matrix(len(kept) + 2, columns))


def _matrix(cells: int, columns: list[list[int]]) -> np.ndarray:
    matrix = np.zeros((cells, len(columns)), dtype=bool)
    for j, members in enumerate(columns):
        matrix[members, j] = True
    return matrix
