"""Checking one window of a monitoring pass, and writing the results only where the window is
unchanged since it was read (so no window is ever checked twice for the same data)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session, aliased

from steward.findings import Finding
from steward.monitor.pass_windows import SERVED, WindowJob, label_count, label_join, rows_of
from steward.monitor.window_checks import VersionContext, WindowData, check_window
from steward.monitor.window_checks import shadow_agreement as _agreement
from steward.monitor.window_profiles import profile_rows, window_table
from steward.plan.schema import MaintenancePlan
from steward.profile import Profile
from steward.store import Store
from steward.store.tables import FindingRow, LabelRow, PredictionRow, WindowRow


def check_job(
    store: Store, ctx: VersionContext, plan: MaintenancePlan, job: WindowJob, now: datetime
) -> list[Finding]:
    window = job.window
    with store.session() as session:
        predictions, labels = _read_rows(session, window, now)
        stored = session.scalar(select(WindowRow.profile).where(WindowRow.id == window.id))
        shadow = _shadow_pairs(session, window) if window.role == "shadow" else None
    rows = window_table(predictions, ctx.layout, labels)
    data = WindowData(_profile(stored, predictions, ctx), rows, job.index, job.labelled)
    found = check_window(ctx, plan, data)
    if shadow is not None:
        found += _agreement(*shadow, ctx.version.classes is not None, job.index)
    return found


def _profile(stored: bytes | None, predictions: list[dict[str, Any]], ctx: VersionContext) -> Any:
    """The window's stored profile; rebuilt from its rows when none was stored, it was laid
    out otherwise than :func:`~steward.monitor.window_profiles.profile_rows` does, or it
    misses rows (the service merges profiles shortly after commit; a crash in between
    loses the increment, never the rows)."""
    if stored is not None:
        found = Profile.from_bytes(stored)
        if found.schema.names == ctx.layout.schema.names and found.rows == len(predictions):
            return found
    return profile_rows(predictions, ctx.version.schema, ctx.reference, ctx.version.classes or [])


def _read_rows(
    session: Session, window: WindowRow, now: datetime
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The window's logged rows and, joined by row id, the labels received by ``now``."""
    query = (
        select(
            PredictionRow.inputs,
            PredictionRow.output,
            PredictionRow.scores,
            PredictionRow.row_id,
            LabelRow.label,
        )
        .outerjoin(LabelRow, label_join(now))
        .where(rows_of(window))
        .order_by(PredictionRow.id)
    )
    predictions, labels = [], {}
    for inputs, output, scores, row_id, label in session.execute(query):
        predictions.append({"inputs": inputs, "output": output, "scores": scores, "row_id": row_id})
        if label is not None:
            labels[str(row_id)] = label
    return predictions, labels


def _shadow_pairs(session: Session, window: WindowRow) -> tuple[list[Any], list[Any]]:
    """The shadow's outputs and the served outputs for the same request rows."""
    served = aliased(PredictionRow)
    query = (
        select(PredictionRow.output, served.output)
        .join(
            served,
            and_(
                served.request_id == PredictionRow.request_id,
                served.row_index == PredictionRow.row_index,
                served.model_id == PredictionRow.model_id,
                served.role.in_(SERVED),
            ),
        )
        .where(rows_of(window), PredictionRow.output.is_not(None), served.output.is_not(None))
        .order_by(PredictionRow.id)
    )
    pairs = session.execute(query).all()
    return [p[0] for p in pairs], [p[1] for p in pairs]


def write_jobs(
    store: Store, model_id: int, jobs: list[WindowJob], now: datetime
) -> list[WindowJob]:
    """Close, mark checked and replace findings, in one transaction, for unchanged windows."""
    written = []
    with store.session() as session:
        for job in jobs:
            row = session.scalar(
                select(WindowRow).where(WindowRow.id == job.window.id).with_for_update()
            )
            if row is None or not _unchanged(session, row, job, now):
                continue
            job.finding_ids = _replace_findings(session, model_id, row, job.findings, now)
            if row.state == "open":
                row.state, row.closed_at = "closed", now
            row.checked_at, row.labelled = now, job.labelled
            written.append(job)
    return written


def _unchanged(session: Session, row: WindowRow, job: WindowJob, now: datetime) -> bool:
    """Still as read before checking: same state, rows, check time, merges and labels."""
    seen = job.window
    same = (row.state, row.rows, row.checked_at, row.updated_at) == (
        seen.state,
        seen.rows,
        seen.checked_at,
        seen.updated_at,
    )
    return same and label_count(session, row, now) == job.labelled


def _replace_findings(
    session: Session, model_id: int, row: WindowRow, findings: Sequence[Finding], now: datetime
) -> list[int]:
    session.execute(delete(FindingRow).where(FindingRow.window_id == row.id))
    stored = [_finding_row(model_id, row, f, now) for f in findings]
    session.add_all(stored)
    session.flush()
    return [r.id for r in stored]


def _finding_row(model_id: int, window: WindowRow, finding: Finding, now: datetime) -> FindingRow:
    body = finding.to_dict()
    return FindingRow(
        model_id=model_id,
        version_id=window.version_id,
        window_id=window.id,
        check=finding.check,
        column=finding.column,
        verdict=finding.verdict.value,
        statistic=body["statistic"],
        p_value=body["p_value"],
        effect_size=body["effect_size"],
        body=body,
        created_at=now,
    )
