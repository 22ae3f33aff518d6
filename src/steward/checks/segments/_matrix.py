"""Feature tables as the numeric matrices scikit-learn's tree models take.

Numbers stay numbers (missing as NaN); categories and booleans become integer codes over
the vocabulary of all the tables given (the most frequent ``MAX_CODES``, the rest one
code), which ``HistGradientBoosting*`` models read as categorical features.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.schema import Column, Kind

MAX_CODES = 250


def sample(table: pa.Table, rows: int, seed: int) -> pa.Table:
    """At most ``rows`` rows, drawn without replacement (all of them when fewer)."""
    if table.num_rows <= rows:
        return table
    picked = np.sort(np.random.default_rng(seed).choice(table.num_rows, rows, replace=False))
    return table.take(pa.array(picked))


def feature_matrix(
    tables: list[pa.Table], columns: list[Column]
) -> tuple[list[np.ndarray], np.ndarray]:
    """One float matrix per table (same columns, shared codes) and the categorical mask."""
    blocks = [_encode([t.column(c.name) for t in tables], c) for c in columns]
    matrices = [np.column_stack([b[i] for b in blocks]) for i in range(len(tables))]
    categorical = np.array([c.kind is not Kind.NUMERIC for c in columns], dtype=bool)
    return matrices, categorical


def _encode(parts: list[pa.ChunkedArray], column: Column) -> list[np.ndarray]:
    if column.kind is Kind.NUMERIC:
        return [_floats(p) for p in parts]
    return _codes(parts)


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    try:
        numbers = pc.fill_null(pc.cast(column, pa.float64()), np.nan)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.full(len(column), np.nan)
    return np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)


def _codes(parts: list[pa.ChunkedArray]) -> list[np.ndarray]:
    """Codes over the joint vocabulary, most frequent first; NaN for missing values."""
    strings = [pc.cast(p, pa.string()).combine_chunks() for p in parts]
    joint = pc.dictionary_encode(pa.chunked_array(strings).combine_chunks())
    valid = np.asarray(joint.indices.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    raw = np.asarray(joint.indices.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    counts = np.bincount(raw[valid], minlength=len(joint.dictionary))
    rank = np.empty(len(counts), dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    codes = np.minimum(rank[raw], MAX_CODES).astype(np.float64)
    codes[~valid] = np.nan
    bounds = np.cumsum([0, *(len(p) for p in parts)])
    return [codes[a:b] for a, b in pairwise(bounds)]
