"""The profile of a datetime column: counts and the time range (epoch microseconds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

_NO_MIN = 2**62
_NO_MAX = -(2**62)


@dataclass
class DatetimeProfile:
    rows: int
    nulls: int
    minimum: int = _NO_MIN
    maximum: int = _NO_MAX
    kind: str = "datetime"

    @classmethod
    def build(cls, column: pa.ChunkedArray) -> DatetimeProfile:
        micros = to_micros(column)
        valid = micros.drop_null()
        if len(valid) == 0:
            return cls(len(column), micros.null_count)
        bounds = pc.min_max(valid).as_py()
        return cls(len(column), micros.null_count, bounds["min"], bounds["max"])

    @property
    def missing(self) -> int:
        return self.nulls

    def merge(self, other: DatetimeProfile) -> DatetimeProfile:
        return DatetimeProfile(
            self.rows + other.rows,
            self.nulls + other.nulls,
            min(self.minimum, other.minimum),
            max(self.maximum, other.maximum),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "nulls": self.nulls,
            "minimum": self.minimum,
            "maximum": self.maximum,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatetimeProfile:
        return cls(data["rows"], data["nulls"], data["minimum"], data["maximum"])


def to_micros(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Epoch microseconds as int64; strings are parsed, unparseable values become null."""
    typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        column = _parse_strings(column)
        typ = column.type
    if pa.types.is_date(typ):
        column = pc.cast(column, pa.timestamp("us"))
    elif pa.types.is_timestamp(typ):
        column = pc.cast(column, pa.timestamp("us", tz=typ.tz), safe=False)
    return pc.cast(column, pa.int64())


_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def _parse_strings(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO timestamps; if one value fails, each value is tried against a few common formats."""
    try:
        return pc.cast(column, pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = [pc.strptime(column, format=f, unit="us", error_is_null=True) for f in _FORMATS]
        return pc.coalesce(*parsed)
