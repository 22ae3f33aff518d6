"""The values of a segment column: one code per row, and the value each code stands for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import CheckError, UnknownColumn
from steward.schema import Role, Schema

MISSING = "(missing)"


@dataclass(frozen=True)
class SegmentValues:
    """Codes ``0..len(values)-1`` per row; a missing value is a value of its own (``None``)."""

    column: str
    codes: np.ndarray
    values: list[Any]

    def label(self, code: int) -> str:
        value = self.values[code]
        return f"{self.column} {MISSING}" if value is None else f"{self.column} == {value!r}"


def segment_columns(table: pa.Table, schema: Schema, segments: list[str] | None) -> list[str]:
    """The columns named, or else every column with the role ``segment``."""
    if segments is None:
        segments = [c.name for c in schema.with_role(Role.SEGMENT)]
        if not segments:
            raise CheckError(
                "no segment columns: give segments=[...] or give a column the role 'segment'"
            )
    missing = [name for name in segments if name not in table.column_names]
    if missing:
        raise UnknownColumn(
            f"unknown segment column(s) {missing}; the data has {table.column_names}"
        )
    return list(segments)


def segment_values(column: pa.ChunkedArray, name: str) -> SegmentValues:
    """Dictionary-encode a column; missing values get the last code."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    valid = np.asarray(encoded.indices.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    indices = np.asarray(encoded.indices.fill_null(0).to_numpy(zero_copy_only=False))
    values = encoded.dictionary.to_pylist()
    codes = np.where(valid, indices, len(values)).astype(np.int64)
    if not valid.all():
        values.append(None)
    return SegmentValues(name, codes, values)


def rows_of(table: pa.Table, column: str, value: Any) -> pa.Table:
    """The rows of ``table`` whose ``column`` holds ``value`` (``None``: the missing ones)."""
    data = table.column(column)
    if value is None:
        return table.filter(pc.is_null(data))
    return table.filter(pc.fill_null(pc.equal(data, pa.scalar(value, data.type)), False))
