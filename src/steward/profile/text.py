"""The profile of a free-text column: counts, distinct estimate and the length distribution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.profile.numeric import NumericProfile


@dataclass
class TextProfile:
    length: NumericProfile
    kind: str = "text"

    @classmethod
    def build(
        cls,
        column: pa.ChunkedArray,
        edges: np.ndarray | None,
        bins: int,
        hashes: np.ndarray | None = None,
    ) -> TextProfile:
        strings = (
            pc.cast(column, pa.large_string())
            if not pa.types.is_large_string(column.type)
            else column
        )
        lengths = pc.utf8_length(strings.drop_null()).to_numpy().astype(np.float64)
        length = NumericProfile.build(lengths, column.null_count, edges, bins, hashes)
        return cls(length)

    @property
    def rows(self) -> int:
        return self.length.rows

    @property
    def nulls(self) -> int:
        return self.length.nulls

    @property
    def missing(self) -> int:
        return self.length.nulls

    @property
    def distinct(self) -> float:
        return self.length.distinct

    def merge(self, other: TextProfile) -> TextProfile:
        return TextProfile(self.length.merge(other.length))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "length": self.length.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextProfile:
        return cls(NumericProfile.from_dict(data["length"]))
