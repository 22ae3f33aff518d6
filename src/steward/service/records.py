"""What the gateway hands the log writer: one batch of rows answered by one version.

A :class:`LogBatch` becomes prediction rows (one per input row) and, when the version
answered without error, a piece of its window profile. The profile is computed on a
*serving table*: every column of the version's schema, with the request's input columns,
the model's predictions in the schema's prediction column and its probabilities in the
score column(s) when the schema has them, and targets missing (labels arrive later). That
table has the reference's columns, so its profile merges into the window and compares with
the reference profile column by column.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import insert
from sqlalchemy.orm import Session

from steward.schema import Column, Kind, Role, Schema
from steward.store.tables import PredictionRow, utcnow

try:  # optional: a faster JSON encoder (see json_texts)
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None  # type: ignore[assignment]


@dataclass(frozen=True)
class VersionContext:
    """A version as the service serves it: ids, schema, reference profile, loaded model."""

    model: str
    model_id: int
    version: int
    version_id: int
    schema: Schema
    task: str
    classes: list[Any] | None
    reference: Any  # steward.profile.Profile
    loaded: Any  # a LoadedModel

    @property
    def label(self) -> str:
        return f"{self.model} v{self.version}"


@dataclass
class LogBatch:
    """``len(ids)`` rows of one request answered (or failed) by one version in one role."""

    context: VersionContext
    role: str  # champion | fallback | shadow
    request_id: str
    rows: Sequence[dict[str, Any]]
    ids: list[str]
    table: pa.Table | None
    outputs: list[Any] | None
    scores: list[list[float]] | None
    error: str | None
    latency_ms: float
    token_id: int | None
    window: str = "1D"
    created_at: datetime = field(default_factory=utcnow)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def window_role(self) -> str:
        """The window a batch counts in: what was served, or what a shadow said."""
        return "shadow" if self.role == "shadow" else "served"

    def to_rows(self) -> list[dict[str, Any]]:
        """One ``predictions`` insert parameter dict per row."""
        n = len(self.ids)
        outputs = self.outputs if self.outputs is not None else [None] * n
        scores = self.scores if self.scores is not None else [None] * n
        fixed = {
            "request_id": self.request_id,
            "model_id": self.context.model_id,
            "version_id": self.context.version_id,
            "role": self.role,
            "error": self.error,
            "latency_ms": self.latency_ms,
            "token_id": self.token_id,
            "created_at": self.created_at,
        }
        return [
            {
                **fixed,
                "row_index": i,
                "row_id": self.ids[i],
                "inputs": self.rows[i],
                "output": outputs[i],
                "scores": scores[i],
            }
            for i in range(n)
        ]

    def sqlite_params(self) -> list[tuple[Any, ...]]:
        """The rows as :data:`SQLITE_INSERT` parameters: JSON and times encoded once here,
        exactly as SQLAlchemy's JSON and SQLite DATETIME types store them."""
        n = len(self.ids)
        outputs = ["null"] * n if self.outputs is None else json_texts(self.outputs)
        scores = _json_each(self.scores, n)  # NULL when absent (``output`` is NOT NULL)
        created = self.created_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        ctx = self.context
        return list(
            zip(
                repeat(self.request_id),
                range(n),
                self.ids,
                repeat(ctx.model_id),
                repeat(ctx.version_id),
                repeat(self.role),
                json_texts(self.rows),
                outputs,
                scores,
                repeat(self.error),
                repeat(self.latency_ms),
                repeat(self.token_id),
                repeat(created),
            )
        )


COLUMNS = (
    "request_id",
    "row_index",
    "row_id",
    "model_id",
    "version_id",
    "role",
    "inputs",
    "output",
    "scores",
    "error",
    "latency_ms",
    "token_id",
    "created_at",
)
SQLITE_INSERT = (
    f"INSERT INTO predictions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)


def insert_rows(session: Session, batches: Sequence[LogBatch]) -> int:
    """Insert every batch's rows in ``session``'s transaction; returns the row count.

    SQLite gets one ``executemany`` of pre-encoded tuples (the hot path of batched
    logging: SQLAlchemy's per-row bind processing cost more than the insert itself);
    other databases get a Core ``insert`` of dicts (batched as multi-row VALUES).
    """
    if session.get_bind().dialect.name == "sqlite":
        params = [row for batch in batches for row in batch.sqlite_params()]
        if params:
            session.connection().exec_driver_sql(SQLITE_INSERT, params)
        return len(params)
    rows = [row for batch in batches for row in batch.to_rows()]
    if rows:
        session.execute(insert(PredictionRow.__table__), rows)
    return len(rows)


def _json_each(values: Sequence[Any] | None, n: int) -> list[str | None]:
    if values is None:
        return [None] * n
    texts = json_texts(values)
    return [None if v is None else text for v, text in zip(values, texts, strict=True)]


def json_texts(values: Sequence[Any]) -> list[str]:
    """Each value as JSON text (what SQLAlchemy's JSON type would store; readers parse it).

    With ``orjson`` installed this is several times faster (the per-row encoding was the
    writer thread's largest cost on batched requests). Values it refuses (integers past
    64 bits, subclasses) take the standard encoder, and so does any value whose text holds
    ``null``: orjson writes ``NaN`` as ``null`` where ``json`` writes ``NaN``, so what is
    stored reads back the same either way.
    """
    if _orjson is None:
        return list(map(json.dumps, values))
    try:
        encoded = list(map(_orjson.dumps, values))
    except TypeError:
        return list(map(json.dumps, values))
    return [
        json.dumps(value) if b"null" in text else text.decode()
        for value, text in zip(values, encoded, strict=True)
    ]


def json_bytes(value: Any) -> bytes:
    """``value`` (JSON-safe Python data) as compact UTF-8 JSON, for a response body."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value)
        except TypeError:
            pass
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def plain_values(values: np.ndarray) -> list[Any]:
    """NumPy → JSON-safe Python values (NaN and infinities become ``None``)."""
    array = np.asarray(values)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return [None if not math.isfinite(v) else v for v in array.tolist()]
    return array.tolist()


def plain_scores(scores: np.ndarray | None) -> list[list[float]] | None:
    """An ``n × k`` probability matrix as lists (non-finite values become ``None``)."""
    if scores is None:
        return None
    array = np.asarray(scores, dtype=np.float64)
    if np.isfinite(array).all():
        return array.tolist()
    return [[v if math.isfinite(v) else None for v in row] for row in array.tolist()]


def answer_plain(loaded: Any, table: pa.Table) -> tuple[list[Any], list[list[float]] | None]:
    """Run the model and convert its answer, in one call (made in a worker thread, so the
    conversion of large answers stays off the event loop)."""
    prediction = loaded.predict(table)
    return plain_values(prediction.predictions), plain_scores(prediction.scores)


# --- serving tables (what a window profile is computed from) -----------------------------


def serving_table(batch: LogBatch) -> pa.Table:
    """Every schema column for the batch's rows: inputs, outputs, missing targets."""
    schema = batch.context.schema
    n = len(batch)
    arrays, names = [], []
    for column in schema:
        arrays.append(_serving_column(batch, column, n))
        names.append(column.name)
    return pa.Table.from_arrays(arrays, names=names)


def _serving_column(batch: LogBatch, column: Column, n: int) -> pa.Array:
    target = _arrow_type(column)
    if batch.table is not None and column.name in batch.table.column_names:
        return _cast(batch.table.column(column.name), target)
    if column.role is Role.PREDICTION and batch.outputs is not None:
        return _cast(pa.array(batch.outputs), target)
    if column.role is Role.SCORE and batch.scores is not None:
        found = _score_for(batch, column)
        if found is not None:
            return pa.array(found, type=pa.float64())
    return pa.nulls(n, type=target or pa.string())


def _score_for(batch: LogBatch, column: Column) -> list[float | None] | None:
    """The probability column matching a score column: the positive class's when the
    schema has one score column for two classes, else the class the name spells."""
    classes = [str(c) for c in (batch.context.classes or [])]
    scores = batch.scores or []
    score_columns = batch.context.schema.with_role(Role.SCORE)
    if len(score_columns) == 1 and len(classes) == 2:
        return [row[1] if row else None for row in scores]
    for prefix in ("score_", "proba_", "prob_", ""):
        if column.name.startswith(prefix) and column.name[len(prefix) :] in classes:
            j = classes.index(column.name[len(prefix) :])
            return [row[j] if row else None for row in scores]
    return None


def _arrow_type(column: Column) -> pa.DataType | None:
    dtype = column.dtype
    if column.kind is Kind.NUMERIC:
        return pa.float64()
    if column.kind in (Kind.CATEGORICAL, Kind.BOOLEAN):
        if dtype.startswith(("int", "uint")):
            return pa.int64()
        if dtype.startswith(("double", "float")):
            return pa.float64()
        if dtype == "bool":
            return pa.bool_()
        return pa.string()
    if column.kind is Kind.TEXT:
        return pa.string()
    return None  # datetimes keep the type they were built with


def _cast(values: pa.Array | pa.ChunkedArray, target: pa.DataType | None) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if target is None or values.type == target:
        return values
    if pa.types.is_string(target) and not pa.types.is_string(values.type):
        return pc.cast(values, pa.string())
    try:
        return pc.cast(values, target, safe=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pc.cast(values, pa.string()) if pa.types.is_string(target) else values
