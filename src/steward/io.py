"""One adapter from whatever the user holds to an Arrow table.

pandas, polars (eager or lazy), pyarrow tables and record batches, NumPy arrays, dicts of
columns, lists of row dicts, and CSV / Parquet / JSON-lines paths all become a
``pyarrow.Table``; nothing downstream sees another format.

>>> import numpy as np
>>> to_arrow(np.zeros((3, 2))).column_names
['col_0', 'col_1']
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pyarrow as pa

from steward._exceptions import EmptyInput, InputError, UnreadableInput

_CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_INDEX = re.compile(r"^__index_level_\d+__$")


def to_arrow(data: Any, *, require_rows: bool = False) -> pa.Table:
    """Convert ``data`` to a ``pyarrow.Table``.

    ``require_rows`` raises :class:`EmptyInput` for a table without rows.
    """
    table = _convert(data)
    if table.num_columns == 0:
        raise EmptyInput("the data has no columns")
    if require_rows and table.num_rows == 0:
        raise EmptyInput("the data has no rows")
    return table


def _convert(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, (str, os.PathLike)):
        return read_path(Path(data))
    if isinstance(data, np.ndarray):
        return _from_numpy(data)
    if isinstance(data, Mapping):
        return _from_columns(data)
    if isinstance(data, Sequence) and (len(data) == 0 or isinstance(data[0], Mapping)):
        return _from_rows(data)
    return _from_dataframe(data)


def _from_dataframe(data: Any) -> pa.Table:
    try:
        frame = nw.from_native(data, allow_series=False)
    except TypeError as exc:
        raise UnreadableInput(
            f"cannot read data of type {type(data).__name__}; give a pandas, polars or Arrow "
            "table, a NumPy array, a list of dicts, or a CSV/Parquet path"
        ) from exc
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    try:
        table = frame.to_arrow()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _from_mixed_frame(frame)
    # pandas keeps an unnamed, non-default index as a column: it is not data
    columns = {str(name) for name in frame.columns}
    index = [n for n in table.column_names if n not in columns and _INDEX.match(n)]
    return table.drop_columns(index) if index else table


def _from_mixed_frame(frame: Any) -> pa.Table:
    """Convert column by column; a column of mixed Python types becomes strings."""
    arrays, names = [], []
    for name in frame.columns:
        values = frame[name].to_list()
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays.append(pa.array([None if _is_missing(v) else str(v) for v in values]))
        names.append(str(name))
    return pa.Table.from_arrays(arrays, names=names)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _from_numpy(array: np.ndarray) -> pa.Table:
    if array.dtype.names:  # structured array: one column per field
        return pa.table({name: array[name] for name in array.dtype.names})
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise UnreadableInput(f"a NumPy array must have 1 or 2 dimensions, not {array.ndim}")
    return pa.table({f"col_{i}": array[:, i] for i in range(array.shape[1])})


def _from_columns(data: Mapping[str, Any]) -> pa.Table:
    try:
        return pa.table({str(k): _column_array(v) for k, v in data.items()})
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
        raise InputError(f"cannot build a table from these columns: {exc}") from exc


def _column_array(values: Any) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if _is_missing(v) else str(v) for v in values])


def _from_rows(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(map(str, row)))
    return _from_columns({name: [row.get(name) for row in rows] for name in names})


def read_path(path: Path) -> pa.Table:
    """Read a CSV, TSV, Parquet or JSON-lines file; errors name the file."""
    if not path.exists():
        raise InputError(f"file not found: {path}")
    if path.is_dir():
        return _read_parquet(path)
    suffix = path.suffix.lower()
    if suffix in _PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix in _JSONL_SUFFIXES:
        return _read_jsonl(path)
    if suffix in _CSV_SUFFIXES:
        return _read_csv(path, delimiter="\t" if suffix == ".tsv" else ",")
    raise UnreadableInput(
        f"unreadable format: {path} (expected .csv, .tsv, .parquet, .pq, .jsonl or .ndjson)"
    )


def _read_parquet(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableInput(f"unreadable Parquet file {path}: {_first_line(exc)}") from exc


def _read_csv(path: Path, delimiter: str) -> pa.Table:
    import pyarrow.csv as pcsv

    try:
        return pcsv.read_csv(
            path,
            parse_options=pcsv.ParseOptions(delimiter=delimiter),
            # an empty (or "NA", "null"…) field is missing in string columns too, as in pandas
            convert_options=pcsv.ConvertOptions(strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        if "Empty CSV file" in str(exc):
            raise EmptyInput(f"the file {path} is empty") from exc
        raise UnreadableInput(f"unreadable CSV file {path}: {_first_line(exc)}") from exc


def _read_jsonl(path: Path) -> pa.Table:
    import pyarrow.json as pjson

    try:
        return pjson.read_json(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableInput(f"unreadable JSON-lines file {path}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
