"""A seeded, bounded, mergeable sample of rows (bottom-k by a hash of each row's content).

Each row's key is a stable hash of its values mixed with the seed, and the sample keeps the
``capacity`` rows with the smallest keys. The sample of a union is the bottom-k of the
union, whatever the order of merging, so merge is exactly associative and commutative, and
the same data with the same seed always gives the same sample.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from steward.profile._hash import splitmix64

CAPACITY = 10_000
KEY = "__steward_key"


@dataclass
class Reservoir:
    table: pa.Table  # sampled rows plus the KEY column, sorted by key
    capacity: int = CAPACITY

    @classmethod
    def build(cls, table: pa.Table, row_hashes: np.ndarray, seed: int, capacity: int) -> Reservoir:
        salted = row_hashes ^ splitmix64(np.array([seed], dtype=np.uint64))
        keys = splitmix64(salted + splitmix64(_occurrence(row_hashes)))
        take = _smallest(keys, capacity)
        sample = table.take(pa.array(take)).append_column(KEY, pa.array(keys[take]))
        return cls(sample, capacity)

    @property
    def rows(self) -> pa.Table:
        """The sampled rows, without the key column."""
        return self.table.drop_columns([KEY])

    def __len__(self) -> int:
        return self.table.num_rows

    def merge(self, other: Reservoir) -> Reservoir:
        capacity = max(self.capacity, other.capacity)
        combined = pa.concat_tables([self.table, other.table], promote_options="permissive")
        keys = combined.column(KEY).to_numpy()
        take = _smallest(keys, capacity)
        return Reservoir(combined.take(pa.array(take)), capacity)

    def to_bytes(self) -> bytes:
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, self.table.schema) as writer:
            writer.write_table(self.table)
        return sink.getvalue()

    @classmethod
    def from_bytes(cls, raw: bytes, capacity: int) -> Reservoir:
        with pa.ipc.open_stream(raw) as reader:
            return cls(reader.read_all(), capacity)

    def column(self, name: str) -> pa.ChunkedArray:
        return self.table.column(name)

    def numeric(self, name: str) -> np.ndarray:
        """Finite float values of a column in the sample; strings that fail to parse drop out."""
        from steward.profile.dataset import numeric_values  # dataset imports this module

        values, _ = numeric_values(self.table.column(name), name)
        return values[np.isfinite(values)]


def _occurrence(hashes: np.ndarray) -> np.ndarray:
    """For each row, how many identical rows come before it (0 for the first).

    Without it identical rows would share a key and enter or leave the sample together,
    so data with few distinct rows would be sampled as all-or-nothing per distinct row.
    """
    ordered = np.sort(hashes)
    if not np.any(ordered[1:] == ordered[:-1]):  # all rows distinct: the common case
        return np.zeros(len(hashes), dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else order
    group = np.repeat(starts, np.diff(np.r_[starts, len(ordered)]))
    occurrence = np.empty(len(hashes), dtype=np.uint64)
    occurrence[order] = (np.arange(len(ordered)) - group).astype(np.uint64)
    return occurrence


def _smallest(keys: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k smallest keys, ordered by key (ties cannot reorder equal rows)."""
    if len(keys) > k:
        part = np.argpartition(keys, k - 1)[:k]
        return part[np.argsort(keys[part], kind="stable")]
    return np.argsort(keys, kind="stable")
