"""Delayed labels: stored once per (model, row id), and how much of the traffic they cover.

Re-sending the same labels is a no-op (insert-or-ignore on the unique key); a *different*
label for an id that already has one is a :class:`~steward._exceptions.Conflict` naming the
id, and nothing of that request is stored. Labels for ids with no prediction yet are kept;
the monitor joins them when the prediction appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from steward._exceptions import Conflict, InputError
from steward.monitor.windowing import EPOCH, bucket_sql, period_seconds, window_bounds
from steward.service.queries import model_id
from steward.store import Store
from steward.store.tables import LabelRow, PredictionRow, utcnow

CHUNK = 500  # rows per statement: far below every database's bind-parameter limit


@dataclass(frozen=True)
class LabelResult:
    received: int
    stored: int
    duplicates: int


def store_labels(
    store: Store,
    name: str,
    ids: Sequence[Any],
    labels: Sequence[Any],
    token_id: int | None,
    now: datetime | None = None,
) -> LabelResult:
    """Store ``labels[i]`` for row ``ids[i]`` of model ``name``, each id once."""
    if len(ids) != len(labels):
        raise InputError(f"labels: {len(labels)} labels for {len(ids)} ids; lengths must match")
    pairs = _pairs([str(i) for i in ids], labels)
    with store.session() as session:
        model = model_id(session, name)
        _check(pairs, _existing(session, model, list(pairs)))
        stored = _insert_new(session, model, pairs, token_id, now or utcnow())
        if stored < len(pairs):  # known ids, or another request stored some meanwhile
            _check(pairs, _existing(session, model, list(pairs)))
    return LabelResult(received=len(ids), stored=stored, duplicates=len(ids) - stored)


def _pairs(ids: list[str], labels: Sequence[Any]) -> dict[str, Any]:
    """``{id: label}``; one id with two different labels in one request is a conflict."""
    pairs: dict[str, Any] = {}
    for row_id, label in zip(ids, labels, strict=True):
        if row_id in pairs and not _same(pairs[row_id], label):
            raise Conflict(f"id {row_id!r} has two different labels in this request")
        pairs.setdefault(row_id, label)
    return pairs


def _same(a: Any, b: Any) -> bool:
    """JSON equality that keeps ``true`` apart from ``1``."""
    return (type(a) is bool) == (type(b) is bool) and a == b


def _existing(session: Session, model: int, ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = session.execute(
            select(LabelRow.row_id, LabelRow.label).where(
                LabelRow.model_id == model, LabelRow.row_id.in_(chunk)
            )
        )
        found.update({row_id: label for row_id, label in rows})
    return found


def _check(wanted: dict[str, Any], stored: dict[str, Any]) -> None:
    differing = [i for i, label in wanted.items() if i in stored and not _same(stored[i], label)]
    if differing:
        shown = ", ".join(repr(i) for i in differing[:5])
        more = f" and {len(differing) - 5} more" if len(differing) > 5 else ""
        noun = "id" if len(differing) == 1 else "ids"
        raise Conflict(f"{noun} {shown}{more}: a different label is already stored")


def _insert_new(
    session: Session, model: int, new: dict[str, Any], token_id: int | None, now: datetime
) -> int:
    """Insert-or-ignore every pair; the number of rows actually inserted."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    rows = [
        {"model_id": model, "row_id": i, "label": label, "received_at": now, "token_id": token_id}
        for i, label in new.items()
    ]
    stored = 0
    for start in range(0, len(rows), CHUNK):
        statement = (
            dialect.insert(LabelRow)
            .values(rows[start : start + CHUNK])
            .on_conflict_do_nothing(index_elements=["model_id", "row_id"])
            .returning(LabelRow.id)
        )
        stored += len(session.execute(statement).all())  # only inserted rows come back
    return stored


# --- coverage ---------------------------------------------------------------------------


def coverage(
    store: Store, name: str, period: str, windows: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Served predictions and labelled ones per window, newest first (windows with traffic)."""
    length = period_seconds(period)
    _, end = window_bounds(now or utcnow(), period)
    since = max(EPOCH, end - timedelta(seconds=min(length * windows, 10**10)))
    with store.session() as session:
        model = model_id(session, name)
        dialect = session.get_bind().dialect.name
        bucket = bucket_sql(PredictionRow.created_at, period, dialect).label("bucket")
        query = (
            select(bucket, func.count(PredictionRow.id), func.count(LabelRow.id))
            .outerjoin(
                LabelRow,
                and_(LabelRow.model_id == model, LabelRow.row_id == PredictionRow.row_id),
            )
            .where(
                PredictionRow.model_id == model,
                PredictionRow.role != "shadow",
                PredictionRow.error.is_(None),  # a failed champion call is not a prediction
                PredictionRow.created_at >= since,
            )
            .group_by(bucket)
            .order_by(bucket.desc())
        )
        counts = session.execute(query).all()
    return [_coverage_row(int(b), length, n, k) for b, n, k in counts]


def _coverage_row(bucket: int, length: int, predictions: int, labelled: int) -> dict[str, Any]:
    start = EPOCH + timedelta(seconds=bucket * length)
    return {
        "start": start,
        "end": start + timedelta(seconds=length),
        "predictions": predictions,
        "labelled": labelled,
        "coverage": labelled / predictions if predictions else None,
    }
