"""Stable 64-bit hashes of Arrow columns and rows, vectorised with NumPy.

Python's ``hash`` is salted per process, so it cannot back a sketch that is saved and merged
later. These hashes are the same in every process and on every machine.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
_NAN_HASH = np.uint64(0x7FF8DEADBEEF0001)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser: a fast, well-mixed bijection on uint64."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64, copy=True) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hash_float(values: np.ndarray) -> np.ndarray:
    """Hash float64 values; -0.0 equals 0.0 and every NaN hashes alike."""
    clean = np.where(values == 0.0, 0.0, values).astype(np.float64)
    hashed = splitmix64(clean.view(np.uint64))
    return np.where(np.isnan(clean), _NAN_HASH, hashed)


def hash_strings(values: pa.Array) -> np.ndarray:
    """Hash each string of an Arrow string array (no nulls) by its UTF-8 bytes."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    values = pc.cast(values, pa.large_binary())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[
        values.offset : values.offset + len(values) + 1
    ]
    data = values.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    starts = offsets[:-1]
    h = splitmix64(lengths.astype(np.uint64))
    longest = int(lengths.max()) if len(lengths) else 0
    with np.errstate(over="ignore"):
        for position in range(longest):
            live = lengths > position
            byte = np.zeros(len(h), dtype=np.uint64)
            byte[live] = raw[starts[live] + position]
            h = np.where(live, splitmix64(h ^ (byte + np.uint64(position << 8))), h)
    return h


def hash_column(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """One uint64 per row; nulls hash to a fixed constant."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    typ = column.type
    if pa.types.is_dictionary(typ):
        column = column.dictionary_decode()
        typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_binary(typ):
        encoded = pc.dictionary_encode(column)
        dictionary_hash = hash_strings(encoded.dictionary)
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        valid = _valid_mask(encoded.indices)
        out = np.full(len(column), _NULL_HASH, dtype=np.uint64)
        out[valid] = dictionary_hash[indices[valid].astype(np.int64)]
        return out
    if pa.types.is_date32(typ):  # Arrow casts date32 to int32 only
        column = pc.cast(column, pa.int32())
        typ = column.type
    if pa.types.is_boolean(typ) or pa.types.is_integer(typ) or pa.types.is_temporal(typ):
        numbers = pc.cast(column, pa.int64()) if not pa.types.is_integer(typ) else column
        # fill nulls first: with nulls, to_numpy gives float64 and large integers collide
        values = pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False)
        hashed = splitmix64(values.astype(np.int64).view(np.uint64))
    elif pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        hashed = hash_float(np.asarray(values, dtype=np.float64))
    else:
        return hash_column(pc.cast(column, pa.string()))
    return np.where(_valid_mask(column), hashed, _NULL_HASH)


def _valid_mask(array: pa.Array) -> np.ndarray:
    if array.null_count == 0:
        return np.ones(len(array), dtype=bool)
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def combine(column_hashes: list[np.ndarray], rows: int) -> np.ndarray:
    """Combine per-column hashes (in column order) into one hash per row."""
    h = np.full(rows, np.uint64(0x2545F4914F6CDD1D), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for position, column in enumerate(column_hashes):
            h = h * np.uint64(0x100000001B3) + (column ^ np.uint64(position))
    return splitmix64(h)


def hash_rows(table: pa.Table, columns: list[str] | None = None) -> np.ndarray:
    """One hash per row over the given columns."""
    names = columns if columns is not None else table.column_names
    return combine([hash_column(table.column(n)) for n in names], table.num_rows)


def count_duplicates(hashes: np.ndarray) -> int:
    """How many entries repeat an earlier one."""
    if len(hashes) < 2:
        return 0
    ordered = np.sort(hashes)
    return int(np.count_nonzero(ordered[1:] == ordered[:-1]))
