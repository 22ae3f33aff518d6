"""How challengers answered the live rows the champion served: a description, not a verdict.

For each version with shadow rows, rows are *paired* with the champion's answer to the same
row (same ``request_id`` and ``row_index``, both without error). Classifiers report the
share of paired rows with the same label; regressors the mean absolute difference and the
correlation of the two answers. Once labels exist (joined by row id), both are scored on
the labelled paired rows — accuracy (classifiers) or MAE (regressors) — with the
challenger-minus-champion delta and the counts behind it. Whether that delta is enough to
promote is the promotion gate's decision, not this module's.

>>> _agreement_classes([("a", "a"), ("a", "b")])
0.5
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from steward._exceptions import NotFound
from steward.store import Store
from steward.store.tables import LabelRow, ModelRow, PredictionRow, VersionRow

Pair = tuple[Any, Any]  # (champion output, challenger output)


def shadow_comparison(
    store: Store, registry: Any, name: str, since: datetime | None = None
) -> dict[str, Any]:
    """``{"model", "since", "challengers": [...]}``, one entry per shadowed version."""
    current = set(registry.aliases(name).get("challenger", []))
    with store.session() as session:
        model_id = _model_id(session, name)
        versions = _shadow_versions(session, model_id, since)
        entries = [
            _compare(session, model_id, row, since, row.version in current) for row in versions
        ]
    return {
        "model": name,
        "since": since.isoformat() if since is not None else None,
        "challengers": entries,
    }


def _model_id(session: Session, name: str) -> int:
    found = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
    if found is None:
        raise NotFound(f"unknown model {name!r}")
    return found


def _since(query: Any, column: Any, since: datetime | None) -> Any:
    return query if since is None else query.where(column >= since)


def _shadow_versions(session: Session, model_id: int, since: datetime | None) -> list[VersionRow]:
    query = select(PredictionRow.version_id).where(
        PredictionRow.model_id == model_id, PredictionRow.role == "shadow"
    )
    ids = select(_since(query, PredictionRow.created_at, since).distinct().subquery())
    return list(
        session.scalars(
            select(VersionRow).where(VersionRow.id.in_(ids)).order_by(VersionRow.version)
        )
    )


def _compare(
    session: Session, model_id: int, version: VersionRow, since: datetime | None, current: bool
) -> dict[str, Any]:
    totals = _shadow_totals(session, model_id, version.id, since)
    pairs = [row[:3] for row in paired_rows(session, version.id, since=since)]
    classifier = version.task == "classification" or bool(version.classes)
    entry: dict[str, Any] = {
        "version": version.version,
        "current": current,
        "task": "classification" if classifier else "regression",
        "shadow_rows": totals[0],
        "shadow_errors": totals[1],
        "paired": len(pairs),
    }
    answers = [(c, s) for c, s, _ in pairs]
    labelled = [(c, s, y) for c, s, y in pairs if y is not None]
    if classifier:
        entry["agreement"] = _agreement_classes(answers)
        entry.update(_labelled_classes(labelled))
    else:
        entry.update(_agreement_values(answers))
        entry.update(_labelled_values(labelled))
    return entry


def _shadow_totals(
    session: Session, model_id: int, version_id: int, since: datetime | None
) -> tuple[int, int]:
    query = select(func.count(), func.count(PredictionRow.error)).where(
        PredictionRow.model_id == model_id,
        PredictionRow.version_id == version_id,
        PredictionRow.role == "shadow",
    )
    total, errors = session.execute(_since(query, PredictionRow.created_at, since)).one()
    return int(total), int(errors)


def paired_rows(
    session: Session,
    challenger_id: int,
    *,
    champion_id: int | None = None,
    labelled: bool = False,
    since: datetime | None = None,
    newest: int | None = None,
) -> list[tuple[Any, Any, Any, Any, Any]]:
    """``(champion output, challenger output, label or None, champion scores, challenger
    scores)`` for every row the champion served (without error) and the challenger answered
    in shadow (without error), newest first; ``labelled`` keeps only rows with a label,
    ``champion_id`` only one champion version, ``newest`` at most that many rows. The shadow
    comparison describes these rows; the promotion gate tests them."""
    champion, shadow = aliased(PredictionRow), aliased(PredictionRow)
    label = and_(LabelRow.model_id == champion.model_id, LabelRow.row_id == champion.row_id)
    query = (
        select(champion.output, shadow.output, LabelRow.label, champion.scores, shadow.scores)
        .join(
            shadow,
            and_(
                shadow.request_id == champion.request_id,
                shadow.row_index == champion.row_index,
            ),
        )
        .where(
            shadow.version_id == challenger_id,
            shadow.role == "shadow",
            shadow.error.is_(None),
            champion.role == "champion",
            champion.error.is_(None),
        )
        .order_by(champion.created_at.desc(), champion.id.desc())
    )
    query = query.join(LabelRow, label) if labelled else query.outerjoin(LabelRow, label)
    if champion_id is not None:
        query = query.where(champion.version_id == champion_id)
    if newest is not None:
        query = query.limit(newest)
    return [tuple(row) for row in session.execute(_since(query, champion.created_at, since))]


# --- classifiers ------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    """Labels compare as the gate compares them (:func:`steward.monitor.gate.as_class`)."""
    from steward.monitor.gate import as_class

    return as_class(a) == as_class(b)


def _agreement_classes(pairs: list[Pair]) -> float | None:
    if not pairs:
        return None
    return sum(_same(c, s) for c, s in pairs) / len(pairs)


def _labelled_classes(rows: list[tuple[Any, Any, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {"metric": "accuracy", "labelled": len(rows)}
    if not rows:
        return {**result, "champion_metric": None, "challenger_metric": None, "delta": None}
    champion = sum(_same(c, y) for c, _, y in rows) / len(rows)
    challenger = sum(_same(s, y) for _, s, y in rows) / len(rows)
    return {
        **result,
        "champion_metric": champion,
        "challenger_metric": challenger,
        "delta": challenger - champion,
        "champion_correct": sum(_same(c, y) for c, _, y in rows),
        "challenger_correct": sum(_same(s, y) for _, s, y in rows),
    }


# --- regressors -------------------------------------------------------------------------


def _numbers(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _agreement_values(pairs: list[Pair]) -> dict[str, Any]:
    if not pairs:
        return {"mean_abs_difference": None, "correlation": None}
    champion = _numbers([c for c, _ in pairs])
    challenger = _numbers([s for _, s in pairs])
    keep = np.isfinite(champion) & np.isfinite(challenger)
    champion, challenger = champion[keep], challenger[keep]
    if not len(champion):
        return {"mean_abs_difference": None, "correlation": None}
    correlation = None
    if len(champion) > 1 and champion.std() > 0 and challenger.std() > 0:
        correlation = float(np.corrcoef(champion, challenger)[0, 1])
    return {
        "mean_abs_difference": float(np.mean(np.abs(champion - challenger))),
        "correlation": correlation,
    }


def _labelled_values(rows: list[tuple[Any, Any, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {"metric": "mae", "labelled": len(rows)}
    if not rows:
        return {**result, "champion_metric": None, "challenger_metric": None, "delta": None}
    champion, challenger, truth = (_numbers([r[i] for r in rows]) for i in range(3))
    keep = np.isfinite(champion) & np.isfinite(challenger) & np.isfinite(truth)
    champion_mae = float(np.mean(np.abs(champion[keep] - truth[keep]))) if keep.any() else None
    challenger_mae = float(np.mean(np.abs(challenger[keep] - truth[keep]))) if keep.any() else None
    delta = None if champion_mae is None else challenger_mae - champion_mae  # type: ignore[operator]
    return {
        **result,
        "labelled": int(keep.sum()),
        "champion_metric": champion_mae,
        "challenger_metric": challenger_mae,
        "delta": delta,
    }
