"""The dataset profile: one mergeable summary per column, row-level counts, and a sample.

``profile(data, schema)`` scans the rows once; ``profile(data, schema, reference=ref)`` uses
the reference's bin edges and categories so the result can be compared with and merged into
other profiles of the same reference. Profiles serialise to bytes and merge without rows.
"""

from __future__ import annotations

import json
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward._exceptions import ProfileMismatch, SchemaError
from steward.profile._codec import decode_bytes, encode_bytes
from steward.profile._hash import combine, count_duplicates, hash_column
from steward.profile._hll import HyperLogLog
from steward.profile.categorical import TOP_K, CategoricalProfile
from steward.profile.datetime import DatetimeProfile
from steward.profile.model import ModelProfile
from steward.profile.numeric import NumericProfile
from steward.profile.reservoir import CAPACITY, Reservoir
from steward.profile.text import TextProfile
from steward.schema import Kind, Role, Schema, align

MAGIC = b"STEWARD-PROFILE\x01"
BINS = 256


@dataclass
class KeyProfile:
    """An id column: counts, duplicates within each profiled batch, distinct estimate."""

    rows: int
    nulls: int
    duplicates: int
    hll: HyperLogLog = field(default_factory=HyperLogLog.empty)
    kind: str = "key"

    @classmethod
    def build(cls, column: pa.ChunkedArray, hashes: np.ndarray) -> KeyProfile:
        valid = (
            hashes[np.asarray(column.is_valid().to_numpy(zero_copy_only=False), bool)]
            if column.null_count
            else hashes
        )
        duplicates = count_duplicates(valid)
        return cls(len(column), column.null_count, duplicates, HyperLogLog.empty().update(valid))

    @property
    def missing(self) -> int:
        return self.nulls

    @property
    def distinct(self) -> float:
        return self.hll.estimate()

    def merge(self, other: KeyProfile) -> KeyProfile:
        return KeyProfile(
            self.rows + other.rows,
            self.nulls + other.nulls,
            self.duplicates + other.duplicates,
            self.hll.merge(other.hll),
        )

    def to_dict(self) -> dict[str, Any]:
        from steward.profile._codec import encode_array

        return {
            "kind": self.kind,
            "rows": self.rows,
            "nulls": self.nulls,
            "duplicates": self.duplicates,
            "hll": encode_array(self.hll.registers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeyProfile:
        from steward.profile._codec import decode_array

        return cls(
            data["rows"], data["nulls"], data["duplicates"], HyperLogLog(decode_array(data["hll"]))
        )


ColumnProfile = NumericProfile | CategoricalProfile | DatetimeProfile | TextProfile | KeyProfile
_DECODERS = {
    "numeric": NumericProfile.from_dict,
    "categorical": CategoricalProfile.from_dict,
    "boolean": CategoricalProfile.from_dict,
    "datetime": DatetimeProfile.from_dict,
    "text": TextProfile.from_dict,
    "key": KeyProfile.from_dict,
}


@dataclass(frozen=True)
class ProfileConfig:
    """Sizes of the bounded parts of a profile."""

    bins: int = BINS
    top_k: int = TOP_K
    reservoir: int = CAPACITY
    seed: int = 0
    sketches: bool = True


@dataclass
class Profile:
    """Mergeable summary of rows under a schema.

    >>> import pyarrow as pa
    >>> from steward.schema import infer_schema
    >>> data = pa.table({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    >>> p = profile(data, infer_schema(data))
    >>> p.merge(p).rows, p.columns["c"].counts["a"]
    (6, 2)
    """

    schema: Schema
    rows: int
    columns: dict[str, ColumnProfile]
    reservoir: Reservoir
    duplicate_rows: int = 0
    config: ProfileConfig = field(default_factory=ProfileConfig)
    unparsed: dict[str, int] = field(default_factory=dict)
    model: ModelProfile | None = None

    def __getitem__(self, name: str) -> ColumnProfile:
        return self.columns[name]

    def merge(self, other: Profile) -> Profile:
        if self.schema.names != other.schema.names:
            raise ProfileMismatch(
                f"cannot merge profiles of different columns: {self.schema.names} vs "
                f"{other.schema.names}"
            )
        columns = {
            name: _merge_column(name, col, other.columns[name])
            for name, col in self.columns.items()
        }
        return Profile(
            self.schema,
            self.rows + other.rows,
            columns,
            self.reservoir.merge(other.reservoir),
            self.duplicate_rows + other.duplicate_rows,
            self.config,
            {
                k: self.unparsed.get(k, 0) + other.unparsed.get(k, 0)
                for k in {*self.unparsed, *other.unparsed}
            },
            _merge_model(self.model, other.model),
        )

    def to_bytes(self) -> bytes:
        header = {
            "schema": self.schema.to_dict(),
            "rows": self.rows,
            "duplicate_rows": self.duplicate_rows,
            "unparsed": self.unparsed,
            "config": self.config.__dict__,
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
            "reservoir": encode_bytes(self.reservoir.to_bytes()),
            "model": self.model.to_dict() if self.model is not None else None,
        }
        return MAGIC + zlib.compress(json.dumps(header).encode())

    @classmethod
    def from_bytes(cls, raw: bytes) -> Profile:
        if not raw.startswith(MAGIC):
            raise ProfileMismatch("these bytes are not a Steward profile")
        try:
            header = json.loads(zlib.decompress(raw[len(MAGIC) :]))
        except (zlib.error, ValueError) as exc:
            raise ProfileMismatch(f"damaged profile bytes: {exc}") from exc
        config = ProfileConfig(**header["config"])
        return cls(
            Schema.from_dict(header["schema"]),
            header["rows"],
            {n: _DECODERS[c["kind"]](c) for n, c in header["columns"].items()},
            Reservoir.from_bytes(decode_bytes(header["reservoir"]), config.reservoir),
            header["duplicate_rows"],
            config,
            header.get("unparsed", {}),
            ModelProfile.from_dict(header["model"]) if header.get("model") else None,
        )


def _merge_model(a: ModelProfile | None, b: ModelProfile | None) -> ModelProfile | None:
    if a is None and b is None:
        return None
    if a is None or b is None:
        raise ProfileMismatch("cannot merge a profile with model aggregates and one without")
    return a.merge(b)


def _merge_column(name: str, a: ColumnProfile, b: ColumnProfile) -> ColumnProfile:
    if type(a) is not type(b):
        raise ProfileMismatch(
            f"column {name!r} has kind {a.kind} in one profile, {b.kind} in the other"
        )
    try:
        return a.merge(b)  # type: ignore[arg-type]
    except ProfileMismatch as exc:
        raise ProfileMismatch(f"column {name!r}: {exc}") from exc


def profile(
    data: Any,
    schema: Schema | None = None,
    *,
    reference: Profile | None = None,
    config: ProfileConfig | None = None,
) -> Profile:
    """Profile ``data`` (anything :func:`steward.io.to_arrow` reads) under ``schema``.

    With ``reference``, bin edges and category vocabularies come from it, so the result
    compares with and merges into other profiles of that reference.
    """
    from steward.io import to_arrow
    from steward.schema import infer_schema

    table = to_arrow(data)
    if schema is None:
        schema = reference.schema if reference is not None else infer_schema(table)
    config = config or (reference.config if reference is not None else ProfileConfig())
    missing = [
        c.name for c in schema if c.role is not Role.IGNORED and c.name not in table.column_names
    ]
    if missing:
        raise SchemaError(f"the data lacks column(s) {missing} named in the schema")
    table = table.select([c.name for c in schema if c.name in table.column_names])
    nulls_before = {name: table.column(name).null_count for name in table.column_names}
    table = align(table, schema)
    profiled = [c for c in schema if c.role is not Role.IGNORED]
    nested = [c.name for c in profiled if pa.types.is_nested(table.column(c.name).type)]
    if nested:
        raise SchemaError(
            f"column(s) {nested} hold nested values (lists, structs or maps); "
            "flatten them or give them the role 'ignored'"
        )

    def one(column):
        ref = reference.columns.get(column.name) if reference is not None else None
        data = table.column(column.name)
        hashes = hash_column(data)
        return column.name, _profile_column(data, column, ref, config, hashes), hashes

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        results = list(pool.map(one, profiled))
    columns = {name: col for name, col, _ in results}
    hashes = {name: h for name, _, h in results}
    row_hashes = combine(list(hashes.values()), table.num_rows)
    content = [c.name for c in profiled if c.role not in (Role.ID, Role.TIMESTAMP)]
    duplicates = (
        count_duplicates(combine([hashes[n] for n in content], table.num_rows)) if content else 0
    )
    sample = Reservoir.build(table.select(list(hashes)), row_hashes, config.seed, config.reservoir)
    unparsed = {name: columns[name].nulls - nulls_before[name] for name in columns}
    unparsed = {name: count for name, count in unparsed.items() if count > 0}
    model = ModelProfile.build(table, schema, reference.model if reference is not None else None)
    return Profile(schema, table.num_rows, columns, sample, duplicates, config, unparsed, model)


def _profile_column(
    column: pa.ChunkedArray,
    spec,
    ref: ColumnProfile | None,
    config: ProfileConfig,
    hashes: np.ndarray,
) -> ColumnProfile:
    if spec.role is Role.ID:
        return KeyProfile.build(column, hashes)
    if spec.kind is Kind.NUMERIC:
        values, nulls = numeric_values(column, spec.name)
        edges = ref.edges if isinstance(ref, NumericProfile) else None
        valid = hashes[_valid(column)] if column.null_count else hashes
        return NumericProfile.build(values, nulls, edges, config.bins, valid, config.sketches)
    if spec.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
        vocabulary = tuple(ref.counts) if isinstance(ref, CategoricalProfile) else ()
        valid = hashes[_valid(column)] if column.null_count else hashes
        return CategoricalProfile.build(column, vocabulary, config.top_k, valid, spec.kind.value)
    if spec.kind is Kind.DATETIME:
        return DatetimeProfile.build(column)
    edges = ref.length.edges if isinstance(ref, TextProfile) else None
    return TextProfile.build(column, edges, config.bins, hashes)


def _valid(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def numeric_values(column: pa.ChunkedArray, name: str = "") -> tuple[np.ndarray, int]:
    """Non-null values as float64 and the null count; strings that fail to parse are null."""
    typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        column = _parse_numbers(column)
    elif pa.types.is_boolean(typ):
        column = pc.cast(column, pa.int8())
    elif not (pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ)):
        raise SchemaError(f"column {name!r} of type {typ} cannot be profiled as numeric")
    values = pc.cast(column.drop_null(), pa.float64()).to_numpy()
    return np.asarray(values, dtype=np.float64), column.null_count


def _parse_numbers(column: pa.ChunkedArray) -> pa.ChunkedArray:
    trimmed = pc.utf8_trim_whitespace(column)
    numeric = pc.match_substring_regex(
        trimmed,
        r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|nan)$",
        ignore_case=True,
    )
    kept = pc.if_else(numeric, trimmed, pa.scalar(None, trimmed.type))
    return pc.cast(kept, pa.float64())
