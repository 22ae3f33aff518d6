"""Arrow columns to the arrays and frames models take, with clear errors on bad columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import ArtifactError, InputError, UnknownColumn


def require_columns(table: pa.Table, names: list[str]) -> None:
    """Raise :class:`UnknownColumn` naming every model input the table lacks."""
    missing = [name for name in names if name not in table.column_names]
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
    floats = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    if np.issubdtype(np.dtype(dtype), np.floating):
        return floats.astype(dtype)
    if column.null_count:
        raise InputError(f"column {name!r} has missing values, which a {dtype} input cannot take")
    return floats.astype(dtype)


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
        import pandas  # noqa: F401  (to_pandas needs it)
    except ImportError as exc:
        raise ArtifactError(
            "this model was fitted on a pandas DataFrame and needs the 'pandas' package "
            "to predict (pip install pandas)"
        ) from exc
    return table.select(names).to_pandas()
