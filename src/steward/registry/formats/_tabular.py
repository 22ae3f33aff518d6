"""Arrow columns to the arrays and frames models take, with clear errors on bad columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import ArtifactError, InputError, UnknownColumn


def require_columns(table: pa.Table, names: list[str]) -> None:
    """Raise :class:`UnknownColumn` naming every model input the table lacks."""
    present = set(table.column_names)  # a new list per access: read it once
    missing = [name for name in names if name not in present]
    if missing:
        raise UnknownColumn(
            f"the model needs columns {missing}, which the data does not have "
            f"(it has {table.column_names})"
        )


def numeric_column(table: pa.Table, name: str, dtype: Any = np.float64) -> np.ndarray:
    """One column as a NumPy vector of ``dtype``; missing values become NaN for floats."""
    column = table.column(name)
    kind = column.type
    if pa.types.is_dictionary(kind) or not (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_null(kind)
        or pa.types.is_decimal(kind)
    ):
        raise InputError(
            f"column {name!r} holds {_describe(kind)}, but this model takes a numeric matrix; "
            "encode the column inside the model (for example a skops pipeline)"
        )
    floats = _floats(column, kind)
    if np.issubdtype(np.dtype(dtype), np.floating):
        return floats.astype(dtype)
    if column.null_count:
        raise InputError(f"column {name!r} has missing values, which a {dtype} input cannot take")
    return floats.astype(dtype)


def _floats(column: pa.ChunkedArray, kind: pa.DataType) -> np.ndarray:
    """The column as float64 (missing values NaN). Float and integer columns convert
    directly (a compute cast costs more than a one-row model call and releases the GIL,
    which a busy server pays for in waits); the other numeric types go through a cast."""
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        return np.asarray(column.to_numpy(), dtype=np.float64)
    return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)


def _describe(kind: pa.DataType) -> str:
    if pa.types.is_dictionary(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text (categories)"
    return f"{kind} values"


def string_column(table: pa.Table, name: str) -> np.ndarray:
    """One column as an object vector of ``str`` (for string model inputs)."""
    column = table.column(name)
    if column.null_count:
        raise InputError(f"column {name!r} has missing values, which a text input cannot take")
    return np.asarray([str(value) for value in column.to_pylist()], dtype=object)


def numeric_matrix(table: pa.Table, names: list[str], dtype: Any = np.float64) -> np.ndarray:
    """The ``names`` columns, in that order, as an ``n × k`` matrix of ``dtype``."""
    require_columns(table, names)
    columns = [numeric_column(table, name, dtype) for name in names]
    if not columns:
        return np.empty((table.num_rows, 0), dtype=dtype)
    return np.column_stack(columns).astype(dtype, copy=False)


def data_frame(table: pa.Table, names: list[str]) -> Any:
    """The ``names`` columns as a pandas DataFrame (for models fitted on one)."""
    require_columns(table, names)
    try:
        import pandas
    except ImportError as exc:
        raise ArtifactError(
            "this model was fitted on a pandas DataFrame and needs the 'pandas' package "
            "to predict (pip install pandas)"
        ) from exc
    selected = table.select(names)
    if names and all(pa.types.is_float64(kind) for kind in selected.schema.types):
        # the same frame as ``to_pandas`` builds, in about half the time on small tables
        return pandas.DataFrame(numeric_matrix(selected, names), columns=names, copy=False)
    return selected.to_pandas()
