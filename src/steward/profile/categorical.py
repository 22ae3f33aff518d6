"""The profile of a categorical or boolean column: bounded category counts plus "other".

Counts are kept exactly for up to ``top_k`` categories. A profile built against a
reference always keeps the reference's categories, so window profiles merge by plain
addition (exactly associative). Beyond ``top_k`` the rarest categories fold into ``other``.
Booleans are categories ``"true"``/``"false"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.profile._hll import HyperLogLog

TOP_K = 1000


@dataclass
class CategoricalProfile:
    rows: int
    nulls: int
    counts: dict[str, int]
    other: int = 0
    vocabulary: tuple[str, ...] = ()
    top_k: int = TOP_K
    hll: HyperLogLog = field(default_factory=HyperLogLog.empty)
    kind: str = "categorical"

    @classmethod
    def build(
        cls,
        column: pa.ChunkedArray,
        vocabulary: tuple[str, ...] = (),
        top_k: int = TOP_K,
        hashes: np.ndarray | None = None,
        kind: str = "categorical",
    ) -> CategoricalProfile:
        nulls = column.null_count
        counts: dict[str, int] = {}
        if len(column) - nulls:
            table = pc.value_counts(category_strings(column.drop_null()))
            keys = table.field("values").to_pylist()
            values = table.field("counts").to_pylist()
            counts = dict(zip(keys, values, strict=False))
        hll = HyperLogLog.empty()
        if hashes is not None:
            hll.update(hashes)
        profile = cls(len(column), nulls, counts, 0, tuple(vocabulary), top_k, hll, kind)
        return profile._bounded()

    @property
    def missing(self) -> int:
        return self.nulls

    @property
    def count(self) -> int:
        return self.rows - self.nulls

    @property
    def distinct(self) -> float:
        return self.hll.estimate()

    def _bounded(self) -> CategoricalProfile:
        for key in self.vocabulary:
            self.counts.setdefault(key, 0)
        if len(self.counts) <= max(self.top_k, len(self.vocabulary)):
            return self
        kept = set(self.vocabulary)
        rest = sorted((k for k in self.counts if k not in kept), key=lambda k: (-self.counts[k], k))
        room = max(self.top_k - len(kept), 0)
        kept.update(rest[:room])
        dropped = sum(self.counts[k] for k in rest[room:])
        self.counts = {k: v for k, v in self.counts.items() if k in kept}
        self.other += dropped
        return self

    def merge(self, other: CategoricalProfile) -> CategoricalProfile:
        counts = dict(self.counts)
        for key, value in other.counts.items():
            counts[key] = counts.get(key, 0) + value
        vocabulary = self.vocabulary or other.vocabulary
        merged = CategoricalProfile(
            self.rows + other.rows,
            self.nulls + other.nulls,
            counts,
            self.other + other.other,
            vocabulary,
            max(self.top_k, other.top_k),
            self.hll.merge(other.hll),
            self.kind,
        )
        return merged._bounded()

    def probabilities(self, keys: list[str]) -> np.ndarray:
        counts = np.array([self.counts.get(k, 0) for k in keys] + [self.other], dtype=float)
        total = counts.sum()
        return counts / total if total else counts

    def to_dict(self) -> dict[str, Any]:
        from steward.profile._codec import encode_array

        return {
            "kind": self.kind,
            "rows": self.rows,
            "nulls": self.nulls,
            "counts": self.counts,
            "other": self.other,
            "vocabulary": list(self.vocabulary),
            "top_k": self.top_k,
            "hll": encode_array(self.hll.registers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoricalProfile:
        from steward.profile._codec import decode_array

        return cls(
            data["rows"],
            data["nulls"],
            {str(k): int(v) for k, v in data["counts"].items()},
            data["other"],
            tuple(data["vocabulary"]),
            data["top_k"],
            HyperLogLog(decode_array(data["hll"])),
            data["kind"],
        )


def category_strings(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Category labels as strings: ``true``/``false`` for booleans, ``str(x)`` otherwise."""
    typ = column.type
    if pa.types.is_dictionary(typ):
        column = pc.cast(column, typ.value_type)
        typ = column.type
    if pa.types.is_boolean(typ):
        return pc.if_else(column, "true", "false")
    if pa.types.is_floating(typ):
        as_int = pc.cast(column, pa.int64(), safe=False)  # NaN, inf: garbage, never equal
        whole = pc.equal(pc.cast(as_int, typ, safe=False), column)
        return pc.if_else(whole, pc.cast(as_int, pa.string()), pc.cast(column, pa.string()))
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return column
    return pc.cast(column, pa.string())
