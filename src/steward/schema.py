"""Column kinds and roles, inferred from reference data and overridable.

Every column has a *kind* (how its values are compared) and a *role* (what it means to the
model). Inference does what a person would: integers with a handful of distinct values are
categories, strings like ``"yes"``/``"no"`` are booleans, unique strings are ids or text.

>>> import pyarrow as pa
>>> schema = infer_schema(pa.table({"age": [31, 45, 27, 52], "churn": [0, 1, 0, 0]}),
...                       target="churn")
>>> schema["age"].kind, schema["churn"].role
(<Kind.NUMERIC: 'numeric'>, <Role.TARGET: 'target'>)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from steward._exceptions import SchemaError, UnknownColumn


class Kind(str, Enum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"


class Role(str, Enum):
    FEATURE = "feature"
    TARGET = "target"
    PREDICTION = "prediction"
    SCORE = "score"
    TIMESTAMP = "timestamp"
    ID = "id"
    SEGMENT = "segment"
    CLIENT = "client"
    IGNORED = "ignored"


class Column(BaseModel):
    """One column: its name, kind, role and the Arrow type seen in the reference."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: Kind
    role: Role = Role.FEATURE
    dtype: str = ""


class Schema(BaseModel):
    """An ordered set of columns; saved with each model version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: tuple[Column, ...]

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise UnknownColumn(f"unknown column {name!r}; the schema has {self.names}")

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.columns)

    def __iter__(self) -> Iterator[Column]:  # type: ignore[override]
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def with_role(self, *roles: Role) -> list[Column]:
        return [c for c in self.columns if c.role in roles]

    def features(self) -> list[Column]:
        return self.with_role(Role.FEATURE)

    def first(self, role: Role) -> Column | None:
        found = self.with_role(role)
        return found[0] if found else None

    def override(self, **changes: Mapping[str, Any]) -> Schema:
        """Return a copy with per-column changes: ``override(age={"kind": "categorical"})``."""
        unknown = set(changes) - set(self.names)
        if unknown:
            raise UnknownColumn(f"unknown column(s) {sorted(unknown)}; the schema has {self.names}")
        columns = [_apply(c, changes.get(c.name)) for c in self.columns]
        return Schema(columns=tuple(columns))

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [c.model_dump(mode="json") for c in self.columns]}

    def to_yaml(self, path: str | Path | None = None) -> str:
        text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise SchemaError(f"invalid schema: {_pydantic_message(exc)}") from exc


def _apply(column: Column, change: Mapping[str, Any] | None) -> Column:
    if not change:
        return column
    try:
        return Column.model_validate({**column.model_dump(), **dict(change)})
    except ValidationError as exc:
        raise SchemaError(f"column {column.name!r}: {_pydantic_message(exc)}") from exc


def _pydantic_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(parts)


# --- inference -----------------------------------------------------------------------------

_TRUE = {"true", "t", "yes", "y"}
_FALSE = {"false", "f", "no", "n"}
_ROLE_NAMES = {
    Role.TARGET: {"target", "label", "y", "y_true", "actual"},
    Role.PREDICTION: {"prediction", "pred", "y_pred", "predicted"},
    Role.SCORE: {"score", "proba", "probability", "y_score", "y_proba", "prob"},
    Role.TIMESTAMP: {"timestamp", "time", "ts", "datetime", "event_time", "date"},
    Role.ID: {"id", "uuid", "row_id", "request_id", "entity_id"},
}
_ID_PATTERN = re.compile(r"(^|_)(id|uuid|key)$", re.IGNORECASE)
MAX_CATEGORICAL_INTEGERS = 20
MAX_CATEGORICAL_STRINGS = 1000


def infer_schema(
    data: Any,
    *,
    target: str | None = None,
    prediction: str | None = None,
    score: str | list[str] | None = None,
    timestamp: str | None = None,
    id: str | None = None,
    segment: str | list[str] | None = None,
    client: str | None = None,
    ignore: list[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    sample_rows: int = 100_000,
) -> Schema:
    """Infer a schema from reference data; explicit roles and ``overrides`` win.

    Roles not given are guessed from common column names (``target``, ``prediction``,
    ``score``, ``timestamp``, ``id``…); a segment is never guessed.
    """
    from steward.io import to_arrow

    table = to_arrow(data)
    given = _given_roles(target, prediction, score, timestamp, id, segment, client, ignore)
    missing = [name for name in given if name not in table.column_names]
    if missing:
        raise UnknownColumn(f"unknown column(s) {missing}; the data has {table.column_names}")
    if table.num_rows > sample_rows:
        table = table.slice(0, sample_rows)
    taken = set(given.values())
    columns = []
    for name in table.column_names:
        column = table.column(name)
        kind = infer_kind(column, name)
        role = given.get(name) or _guess_role(name, kind, column, taken)
        if role in (Role.TIMESTAMP, Role.ID, Role.TARGET, Role.PREDICTION, Role.SCORE):
            taken.add(role)
        columns.append(Column(name=name, kind=kind, role=role, dtype=str(column.type)))
    schema = Schema(columns=tuple(columns))
    return schema.override(**overrides) if overrides else schema


def _given_roles(target, prediction, score, timestamp, id_, segment, client, ignore):
    roles: dict[str, Role] = {}
    pairs = [
        (target, Role.TARGET),
        (prediction, Role.PREDICTION),
        (score, Role.SCORE),
        (timestamp, Role.TIMESTAMP),
        (id_, Role.ID),
        (segment, Role.SEGMENT),
        (client, Role.CLIENT),
        (ignore, Role.IGNORED),
    ]
    for names, role in pairs:
        for name in [names] if isinstance(names, str) else names or []:
            roles[name] = role
    return roles


def infer_kind(column: pa.ChunkedArray, name: str = "") -> Kind:
    """The kind a person would pick for this column."""
    typ = column.type
    if pa.types.is_boolean(typ):
        return Kind.BOOLEAN
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        return Kind.DATETIME
    if pa.types.is_integer(typ):
        return _integer_kind(column)
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return Kind.NUMERIC
    if pa.types.is_dictionary(typ):
        return Kind.CATEGORICAL
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return _string_kind(column, name)
    return Kind.CATEGORICAL


def _integer_kind(column: pa.ChunkedArray) -> Kind:
    distinct = pc.count_distinct(column).as_py()
    values = column.drop_null()
    if distinct <= 2 and len(values) and set(pc.unique(values).to_pylist()) <= {0, 1}:
        return Kind.CATEGORICAL
    few = distinct <= MAX_CATEGORICAL_INTEGERS and distinct <= max(2, len(values) // 10)
    return Kind.CATEGORICAL if few else Kind.NUMERIC


def _string_kind(column: pa.ChunkedArray, name: str) -> Kind:
    values = column.drop_null()
    if len(values) == 0:
        return Kind.CATEGORICAL
    uniques = pc.unique(values)
    lowered = (
        {str(v).strip().lower() for v in uniques.to_pylist()[:10]} if len(uniques) <= 4 else set()
    )
    if lowered and lowered <= _TRUE | _FALSE and lowered & _TRUE and lowered & _FALSE:
        return Kind.BOOLEAN
    if _parses_as_number(values):
        return Kind.NUMERIC
    if _parses_as_datetime(values):
        return Kind.DATETIME
    if len(uniques) <= MAX_CATEGORICAL_STRINGS and len(uniques) <= max(10, len(values) // 2):
        return Kind.CATEGORICAL
    mean_length = pc.mean(pc.utf8_length(values)).as_py() or 0
    has_spaces = pc.any(pc.match_substring(values, " ")).as_py()
    return Kind.TEXT if has_spaces and mean_length > 20 else Kind.CATEGORICAL


def _parses_as_number(values: pa.ChunkedArray) -> bool:
    try:
        pc.cast(values.slice(0, 1000), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _parses_as_datetime(values: pa.ChunkedArray) -> bool:
    try:
        pc.cast(values.slice(0, 1000), pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _guess_role(name: str, kind: Kind, column: pa.ChunkedArray, taken: set[Any]) -> Role:
    lowered = name.lower()
    for role, names in _ROLE_NAMES.items():
        if lowered in names and role not in taken:
            if role is Role.TIMESTAMP and kind is not Kind.DATETIME:
                continue
            return role
    if kind is Kind.DATETIME and Role.TIMESTAMP not in taken:
        return Role.TIMESTAMP
    if _ID_PATTERN.search(name) and _mostly_unique(column):
        return Role.ID
    if kind is Kind.CATEGORICAL and _is_unique_string(column):
        return Role.ID
    return Role.FEATURE


def _mostly_unique(column: pa.ChunkedArray) -> bool:
    n = len(column) - column.null_count
    return n > 0 and pc.count_distinct(column).as_py() >= 0.95 * n


def _is_unique_string(column: pa.ChunkedArray) -> bool:
    typ = column.type
    string = pa.types.is_string(typ) or pa.types.is_large_string(typ)
    return string and len(column) >= 50 and _mostly_unique(column)


def load_schema(path: str | Path) -> Schema:
    """Read a schema YAML file (``columns: [{name, kind, role}]``)."""
    text = _read_text(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SchemaError(f"schema file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise SchemaError(f"schema file {path} must hold a mapping with 'columns'")
    return Schema.from_dict(data)


def load_overrides(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read per-column overrides from YAML: ``{column: {kind: ..., role: ...}}``.

    A file with a top-level ``columns`` list is read as overrides for those columns too.
    """
    text = _read_text(path)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise SchemaError(f"schema file {path} is not valid YAML: {exc}") from exc
    if isinstance(data, Mapping) and isinstance(data.get("columns"), list):
        if not all(isinstance(c, Mapping) and "name" in c for c in data["columns"]):
            raise SchemaError(f"schema file {path}: every entry of 'columns' needs a 'name'")
        return {
            str(c["name"]): {k: v for k, v in c.items() if k != "name"} for c in data["columns"]
        }
    if not isinstance(data, Mapping):
        raise SchemaError(f"schema file {path} must hold a mapping of column overrides")
    bad = [str(k) for k, v in data.items() if not isinstance(v, Mapping)]
    if bad:
        raise SchemaError(
            f"schema file {path}: the overrides of {bad} must be mappings such "
            "as {kind: categorical}"
        )
    return {str(k): dict(v) for k, v in data.items()}


def _read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError as exc:
        raise SchemaError(f"schema file not found: {path}") from exc


def align(table: pa.Table, schema: Schema) -> pa.Table:
    """Cast columns to what their kind needs (booleans from strings, numbers from strings)."""
    arrays, names = [], []
    for name in table.column_names:
        column = table.column(name)
        if name in schema:
            column = _coerce(column, schema[name].kind)
        arrays.append(column)
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def _coerce(column: pa.ChunkedArray, kind: Kind) -> pa.ChunkedArray:
    typ = column.type
    string = pa.types.is_string(typ) or pa.types.is_large_string(typ)
    if kind is Kind.BOOLEAN and string:
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        is_true = pc.is_in(lowered, value_set=pa.array(sorted(_TRUE | {"1"})))
        is_false = pc.is_in(lowered, value_set=pa.array(sorted(_FALSE | {"0"})))
        known = pc.or_(is_true, is_false)
        return pc.if_else(known, is_true, pa.scalar(None, pa.bool_()))
    return column
