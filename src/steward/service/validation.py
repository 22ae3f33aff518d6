"""Request rows (a list of dicts from JSON) → an Arrow table under a version's schema.

A request may hold the version's feature columns (all required) and its other input
columns (id, segment, client, timestamp, ignored; optional); target, prediction and score
columns are the model's business and are refused like unknown names. Each column accepts
the JSON types its kind takes (numbers for numeric columns, strings for categorical text
columns, booleans for boolean ones, ISO strings for datetimes); ``null`` is accepted
everywhere, and a model that cannot take a missing value says so as a 422 itself.
Every problem names its column and the first row (0-based) where it occurs.

Work is per column (one list per column, a type-set test, one ``pa.array`` call), so a
10 000-row request never loops over cells in Python except to locate an error.

>>> from steward.schema import Column, Kind, Schema
>>> schema = Schema(columns=(Column(name="age", kind=Kind.NUMERIC, dtype="int64"),))
>>> rows_to_table([{"age": 31}, {"age": None}], schema).column("age").to_pylist()
[31, None]
>>> rows_to_table([{"age": "old"}], schema)
Traceback (most recent call last):
...
steward._exceptions.InputError: column 'age': row 0 holds str ('old'); expected a number
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from steward._exceptions import InputError
from steward.schema import Column, Kind, Role, Schema

OUTPUT_ROLES = (Role.TARGET, Role.PREDICTION, Role.SCORE)
MAX_PROBLEMS = 10


class _Missing:
    """Marks a key a row does not have (unlike an explicit ``null``)."""


MISSING = _Missing()
NONE = type(None)


def input_columns(schema: Schema) -> list[Column]:
    """The columns a request may send: every schema column but target/prediction/score."""
    return [c for c in schema if c.role not in OUTPUT_ROLES]


@dataclass(frozen=True)
class _Plan:
    """What validation needs from a schema, worked out once per schema (not per request)."""

    allowed: list[Column]
    names: frozenset[str]


_PLANS: dict[int, tuple[Schema, _Plan]] = {}
_ARROW_SCHEMAS: dict[tuple[tuple[str, pa.DataType], ...], pa.Schema] = {}
_CACHE_MAX = 1024


def _plan(schema: Schema) -> _Plan:
    """The schema's plan (cached by identity: schemas are immutable and versions cached)."""
    found = _PLANS.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    allowed = input_columns(schema)
    plan = _Plan(allowed, frozenset(c.name for c in allowed))
    if len(_PLANS) >= _CACHE_MAX:
        _PLANS.clear()
    _PLANS[id(schema)] = (schema, plan)
    return plan


def _arrow_schema(fields: tuple[tuple[str, pa.DataType], ...]) -> pa.Schema:
    found = _ARROW_SCHEMAS.get(fields)
    if found is None:
        if len(_ARROW_SCHEMAS) >= _CACHE_MAX:
            _ARROW_SCHEMAS.clear()
        found = _ARROW_SCHEMAS[fields] = pa.schema(list(fields))
    return found


def rows_to_table(rows: Sequence[dict[str, Any]], schema: Schema) -> pa.Table:
    """Validate ``rows`` against ``schema`` and build the table (schema column order)."""
    if not rows:
        raise InputError("rows is empty: send at least one row")
    plan = _plan(schema)
    allowed = plan.allowed
    sent = set(rows[0]) if len(rows) == 1 else set().union(*rows)
    if not sent <= plan.names:
        _check_unknown(rows, sent, allowed)
    columns = [c for c in allowed if c.role is Role.FEATURE or c.name in sent]
    values = {c.name: [row.get(c.name, MISSING) for row in rows] for c in columns}
    _check_missing(values, columns)
    problems: list[str] = []
    planned = [_column(values[c.name], c, problems) for c in columns]
    _raise(problems)
    return _build(columns, planned)


def _raise(problems: list[str]) -> None:
    if problems:
        more = len(problems) - MAX_PROBLEMS
        tail = f"; and {more} more" if more > 0 else ""
        raise InputError("; ".join(problems[:MAX_PROBLEMS]) + tail)


Planned = tuple[list[Any] | pa.Array, pa.DataType]


def _build(columns: list[Column], planned: list[Planned]) -> pa.Table:
    """One Arrow call for the whole table (a call per column costs more than the data on
    one-row requests); on a conversion error, column by column to name the column."""
    pairs = list(zip(columns, planned, strict=True))
    schema = _arrow_schema(tuple((c.name, arrow_type) for c, (_, arrow_type) in pairs))
    try:
        return pa.Table.from_pydict({c.name: data for c, (data, _) in pairs}, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    problems: list[str] = []
    for column, (data, arrow_type) in pairs:
        try:
            pa.array(data, type=arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            problems.append(f"column {column.name!r}: {exc}")
    _raise(problems or ["the rows cannot be converted to the model's column types"])
    raise AssertionError("unreachable")


def _check_unknown(rows: Sequence[dict[str, Any]], sent: set[str], allowed: list[Column]) -> None:
    names = {c.name for c in allowed}
    unknown = sorted(str(k) for k in sent - names)
    if unknown:
        first = next(i for i, row in enumerate(rows) if set(row) - names)
        raise InputError(
            f"unknown column(s) {unknown} (first in row {first}); this model takes "
            f"{[c.name for c in allowed]}"
        )


def _check_missing(values: dict[str, list[Any]], columns: list[Column]) -> None:
    """Feature keys are required in every row (``null`` is a value; no key is a mistake)."""
    features = [c.name for c in columns if c.role is Role.FEATURE]
    missing = [name for name in features if _Missing in set(map(type, values[name]))]
    if missing:
        first = min(next(i for i, v in enumerate(values[n]) if v is MISSING) for n in missing)
        raise InputError(f"missing feature column(s) {missing} (first in row {first})")


def _column(values: list[Any], column: Column, problems: list[str]) -> Planned:
    """The column's values and Arrow type, or a problem (and a placeholder)."""
    types = set(map(type, values)) - {NONE}
    if _Missing in types:  # an optional column some rows leave out
        values = [None if v is MISSING else v for v in values]
        types.discard(_Missing)
    accepted, expected, arrow_type = _accepts(column, types)
    if not types <= accepted:
        index = next(i for i, v in enumerate(values) if v is not None and type(v) not in accepted)
        bad = values[index]
        problems.append(
            f"column {column.name!r}: row {index} holds {type(bad).__name__} ({_short(bad)}); "
            f"expected {expected}"
        )
        return values, pa.null()
    if column.kind is Kind.DATETIME and types:
        array = _datetimes(values, column, problems)
        return array, array.type
    return values, arrow_type or pa.null()


def _accepts(column: Column, types: set[type]) -> tuple[set[type], str, pa.DataType]:
    """(Python types accepted, what to say is expected, the Arrow type to build)."""
    dtype = column.dtype
    integer = dtype.startswith(("int", "uint"))
    if column.kind is Kind.NUMERIC or (column.kind is Kind.CATEGORICAL and _is_number(dtype)):
        arrow = pa.int64() if integer and types <= {int} else pa.float64()
        return {int, float}, "a number", arrow
    if column.kind is Kind.BOOLEAN:
        if integer:
            return {bool, int}, "a boolean or 0/1", pa.int64()
        if dtype in ("string", "large_string"):
            return {bool, str}, "a boolean or a string", pa.string() if str in types else pa.bool_()
        return {bool}, "a boolean", pa.bool_()
    if column.kind is Kind.DATETIME:
        return {str}, "an ISO 8601 date-time string", pa.timestamp("us")
    return {str}, "a string", pa.string()


def _is_number(dtype: str) -> bool:
    return dtype.startswith(("int", "uint", "double", "float", "halffloat"))


def _datetimes(values: list[Any], column: Column, problems: list[str]) -> pa.Array:
    parsed: list[datetime | None] = []
    for index, value in enumerate(values):
        try:
            parsed.append(None if value is None else datetime.fromisoformat(value))
        except ValueError:
            problems.append(
                f"column {column.name!r}: row {index} holds {_short(value)}, which is not an "
                "ISO 8601 date-time"
            )
            return pa.nulls(len(values))
    try:
        return pa.array(parsed)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # naive and aware values mixed
        problems.append(f"column {column.name!r}: {exc}")
        return pa.nulls(len(values))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_ids(ids: Sequence[Any] | None, rows: int, request_id: str) -> list[str]:
    """Row ids as strings: the given ones (same length, strings or integers) or
    ``<request_id>:<index>``."""
    if ids is None:
        return [f"{request_id}:{i}" for i in range(rows)]
    if len(ids) != rows:
        raise InputError(f"ids has {len(ids)} values but rows has {rows}; send one id per row")
    bad = next((i for i, v in enumerate(ids) if type(v) not in (str, int) or v == ""), None)
    if bad is not None:
        raise InputError(
            f"ids[{bad}] is {_short(ids[bad])}; ids must be non-empty strings or integers"
        )
    result = [str(v) for v in ids]
    too_long = next((i for i, v in enumerate(result) if len(v) > 200), None)
    if too_long is not None:
        raise InputError(f"ids[{too_long}] is longer than 200 characters")
    return result


# --- the predict body -----------------------------------------------------------------------

try:  # optional: a faster parser, same results on valid JSON
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = None

BODY_FIELDS = frozenset({"rows", "ids"})


def parse_predict_body(raw: bytes) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """``(rows, ids)`` of a predict request body, checked as its documented model says.

    One JSON parse and a few type tests: what the pydantic ``PredictRequest`` checked
    (an object with ``rows``, a non-empty list of objects, and optional ``ids``, a list;
    nothing else), without building a model of every row. Ids' own types are
    :func:`check_ids`' business. ``NaN``/``Infinity`` literals parse as before.
    """
    data = _loads(raw)
    if not isinstance(data, dict):
        raise InputError("body: expected a JSON object with 'rows' (and optionally 'ids')")
    extra = sorted(set(data) - BODY_FIELDS)
    if extra:
        raise InputError(f"body: unknown field(s) {extra}; a request has 'rows' and 'ids'")
    rows = data.get("rows")
    if not isinstance(rows, list):
        said = "missing" if rows is None else f"a {_json_type(rows)}"
        raise InputError(f"body.rows: expected a list of row objects, got {said}")
    if not rows:
        raise InputError("body.rows: rows is empty; send at least one row")
    bad = next((i for i, row in enumerate(rows) if type(row) is not dict), None)
    if bad is not None:
        raise InputError(f"body.rows.{bad}: expected an object, got a {_json_type(rows[bad])}")
    ids = data.get("ids")
    if ids is not None and not isinstance(ids, list):
        raise InputError(f"body.ids: expected a list, got a {_json_type(ids)}")
    return rows, None if ids is None else [_lax_id(v) for v in ids]


def _lax_id(value: Any) -> Any:
    """An id as the documented ``str | int`` field took it: ``true``/``false`` and whole
    floats (``7.0``) as integers; anything else as sent, for :func:`check_ids` to judge."""
    if type(value) is bool or (type(value) is float and value.is_integer()):
        return int(value)
    return value


def _loads(raw: bytes) -> Any:
    if _fast_loads is not None:
        try:
            return _fast_loads(raw)
        except ValueError:
            pass  # NaN literals, huge integers, or not JSON: the standard parser decides
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"body: not valid JSON ({exc})") from None


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", NONE: "null"}
    return names.get(type(value), "number")
