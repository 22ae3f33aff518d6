"""Reading feature columns out of Arrow as NumPy: floats with NaN, and category labels.

Every detector sees the same values: numbers as float64 (nulls and unparsable strings become
NaN, infinities stay), categories as strings with nulls kept apart, booleans as 0/1/NaN.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import CheckError, UnknownColumn
from steward.schema import Column, Kind

USED_KINDS = frozenset({Kind.NUMERIC, Kind.CATEGORICAL, Kind.BOOLEAN})
_NUMBER = r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$"
_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]


def require_columns(table: pa.Table, columns: tuple[Column, ...]) -> None:
    """Raise :class:`UnknownColumn` naming every feature column the table lacks."""
    missing = [c.name for c in columns if c.name not in table.column_names]
    if missing:
        raise UnknownColumn(
            f"the data lacks feature column(s) {missing} the detector was fitted on; "
            f"it has {table.column_names}"
        )


def numbers(column: pa.ChunkedArray, name: str) -> np.ndarray:
    """Float64 values; nulls and strings that do not parse are NaN."""
    column = _decoded(column)
    typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        trimmed = pc.utf8_trim_whitespace(column)
        ok = pc.match_substring_regex(trimmed, _NUMBER, ignore_case=True)
        column = pc.if_else(ok, trimmed, pa.scalar(None, trimmed.type))
    elif pa.types.is_boolean(typ):
        column = pc.cast(column, pa.int8())
    elif not (pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ)):
        raise CheckError(f"column {name!r} of type {typ} cannot be read as numbers")
    values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64)


def booleans(column: pa.ChunkedArray, name: str) -> np.ndarray:
    """1.0 for true, 0.0 for false, NaN for null or unreadable values."""
    column = _decoded(column)
    typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        true = pc.is_in(lowered, value_set=pa.array(_TRUE))
        false = pc.is_in(lowered, value_set=pa.array(_FALSE))
        values = pc.if_else(true, 1.0, pc.if_else(false, 0.0, pa.scalar(None, pa.float64())))
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    return numbers(column, name)


def categories(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """Distinct labels and one code per row into them; nulls get code -1."""
    column = _decoded(column)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    encoded = pc.dictionary_encode(column.combine_chunks())
    labels = [str(v) for v in encoded.dictionary.to_pylist()]
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return labels, np.asarray(codes, dtype=np.int64)


def _decoded(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    if isinstance(column, pa.Array):
        column = pa.chunked_array([column])
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    return column
