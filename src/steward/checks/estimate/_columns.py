"""Columns out of an Arrow window as NumPy arrays, with errors that name the column."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import EmptyInput, InputError, UnknownColumn
from steward.io import to_arrow
from steward.schema import Schema, align


def table_of(data: Any, schema: Schema, what: str) -> pa.Table:
    """An Arrow table with rows, its columns cast as the schema's kinds need."""
    table = to_arrow(data)
    if table.num_rows == 0:
        raise EmptyInput(f"the {what} has no rows; an estimate needs at least one")
    return align(table, schema)


def require(table: pa.Table, name: str, what: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise UnknownColumn(f"the {what} has no column {name!r}, which the estimator needs")
    return table.column(name)


def floats(table: pa.Table, name: str, what: str) -> np.ndarray:
    """A numeric column as float64, NaN where missing."""
    column = require(table, name, what)
    if pa.types.is_boolean(column.type):
        column = pc.cast(column, pa.int8())
    try:
        column = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"column {name!r} of the {what} is not numeric ({column.type})") from exc
    return column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def finite(values: np.ndarray, name: str, what: str) -> np.ndarray:
    """``values`` when every one is finite; otherwise an error naming the first bad rows."""
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        rows = ", ".join(str(int(i)) for i in bad[:5])
        raise InputError(
            f"column {name!r} of the {what} has {bad.size} missing or non-finite value(s) "
            f"(rows {rows}{'…' if bad.size > 5 else ''}); the estimator needs one for every row"
        )
    return values


def labels(table: pa.Table, name: str) -> np.ndarray:
    """A label column as strings (object array), ``None`` where missing or absent.

    Booleans become ``"true"``/``"false"``, integral floats lose their ``.0``, so labels
    read from CSV, Parquet or pandas compare equal.
    """
    if name not in table.column_names:
        return np.full(table.num_rows, None, dtype=object)
    column = table.column(name)
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    if pa.types.is_floating(column.type):
        return _float_labels(column)
    return np.array(pc.cast(column, pa.string()).to_pylist(), dtype=object)


def _float_labels(column: pa.ChunkedArray) -> np.ndarray:
    values = column.to_numpy(zero_copy_only=False).astype(np.float64)
    present = np.isfinite(values)
    distinct, inverse = np.unique(values[present], return_inverse=True)
    names = np.array(
        [str(int(v)) if v == int(v) else repr(float(v)) for v in distinct], dtype=object
    )
    out = np.full(values.size, None, dtype=object)
    out[present] = names[inverse]
    return out
