"""Store reads behind the read API: models, windows, findings and alerts, one page at a time.

Each function takes the page's ``after`` key (from the cursor) and fetches ``limit + 1``
rows, so the caller knows whether a next page exists without counting.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward._exceptions import NotFound
from steward.store.tables import (
    AlertRow,
    AliasRow,
    FindingRow,
    ModelRow,
    VersionRow,
    WindowRow,
)


def model_id(session: Session, name: str) -> int:
    """The id of model ``name``; :class:`NotFound` if no such model."""
    found = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
    if found is None:
        raise NotFound(f"unknown model {name!r}")
    return found


def model_summaries(
    session: Session, after: str | None, limit: int, only: tuple[str, ...] | None
) -> list[dict[str, Any]]:
    """Models by name after ``after`` (only those in ``only`` when given)."""
    query = select(ModelRow).order_by(ModelRow.name).limit(limit + 1)
    if after is not None:
        query = query.where(ModelRow.name > after)
    if only is not None:
        query = query.where(ModelRow.name.in_(only))
    return [model_summary(session, row) for row in session.scalars(query)]


def model_summary(session: Session, row: ModelRow) -> dict[str, Any]:
    versions = session.scalar(
        select(func.count()).select_from(VersionRow).where(VersionRow.model_id == row.id)
    )
    return {
        "name": row.name,
        "description": row.description,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "versions": versions or 0,
        "aliases": aliases(session, row.id),
    }


def aliases(session: Session, model: int) -> dict[str, list[int]]:
    """``{alias: [version numbers]}`` of one model."""
    rows = session.execute(
        select(AliasRow.alias, VersionRow.version)
        .join(VersionRow, VersionRow.id == AliasRow.version_id)
        .where(AliasRow.model_id == model)
        .order_by(AliasRow.alias, VersionRow.version)
    )
    result: dict[str, list[int]] = {}
    for alias, version in rows:
        result.setdefault(alias, []).append(version)
    return result


def version_numbers(session: Session, model: int) -> dict[int, int]:
    return dict(
        session.execute(
            select(VersionRow.id, VersionRow.version).where(VersionRow.model_id == model)
        ).all()
    )


def windows(
    session: Session, model: int, after: int | None, limit: int, role: str | None
) -> list[dict[str, Any]]:
    """Window rows, newest first, without their profile bytes."""
    columns = [c for c in WindowRow.__table__.columns if c.name != "profile"]
    query = select(*columns).where(WindowRow.model_id == model)
    if role is not None:
        query = query.where(WindowRow.role == role)
    if after is not None:
        query = query.where(WindowRow.id < after)
    numbers = version_numbers(session, model)
    rows = session.execute(query.order_by(WindowRow.id.desc()).limit(limit + 1)).mappings()
    return [{**row, "version": numbers.get(row["version_id"])} for row in rows]


def findings(
    session: Session, model: int, window: int, after: int | None, limit: int
) -> list[dict[str, Any]]:
    """Findings of one window of ``model`` (404 if the window is another model's)."""
    owner = session.scalar(select(WindowRow.model_id).where(WindowRow.id == window))
    if owner != model:
        raise NotFound(f"no window {window} for this model")
    query = select(FindingRow).where(FindingRow.model_id == model, FindingRow.window_id == window)
    if after is not None:
        query = query.where(FindingRow.id > after)
    numbers = version_numbers(session, model)
    rows = session.scalars(query.order_by(FindingRow.id).limit(limit + 1))
    return [_finding(row, numbers) for row in rows]


def _finding(row: FindingRow, numbers: dict[int, int]) -> dict[str, Any]:
    return {
        "id": row.id,
        "window_id": row.window_id,
        "version": numbers.get(row.version_id) if row.version_id else None,
        "check": row.check,
        "column": row.column,
        "verdict": row.verdict,
        "statistic": _finite(row.statistic),
        "p_value": _finite(row.p_value),
        "effect_size": _finite(row.effect_size),
        "body": row.body,
        "created_at": row.created_at,
    }


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: such statistics are shown as null."""
    return value if value is not None and math.isfinite(value) else None


def alerts(
    session: Session, model: int, after: int | None, limit: int, state: str | None
) -> list[dict[str, Any]]:
    """Alerts of ``model``, newest first, optionally in one state."""
    query = select(AlertRow).where(AlertRow.model_id == model)
    if state is not None:
        query = query.where(AlertRow.state == state)
    if after is not None:
        query = query.where(AlertRow.id < after)
    rows = session.scalars(query.order_by(AlertRow.id.desc()).limit(limit + 1))
    return [{c.name: getattr(row, c.name) for c in AlertRow.__table__.columns} for row in rows]
