"""Which windows a monitoring pass checks: the ones due to close, and closed ones whose labels
changed; with the drift history of their series and the fitted context of their version."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steward.findings import Finding, Verdict
from steward.monitor.window_checks import VersionContext
from steward.monitor.windowing import bucket_sql, bucket_start, period_seconds
from steward.plan.schema import MaintenancePlan
from steward.registry.versions import ModelRegistry
from steward.store import Store
from steward.store.tables import FindingRow, LabelRow, ModelRow, PredictionRow, WindowRow
from steward.windows import Persistence

SERVED = ("champion", "fallback")


@dataclass
class WindowJob:
    """A window to check, as read before checking (its fingerprint guards the write)."""

    window: WindowRow
    index: int
    labelled: int
    recheck: bool
    findings: list[Finding] = field(default_factory=list)
    finding_ids: list[int] = field(default_factory=list)


def discover_windows(session: Session, model_id: int, plan: MaintenancePlan, now: datetime) -> int:
    """Create the window rows that logged traffic should have but does not.

    The service creates a window's row when it merges the first batch's profile, shortly
    after the rows are committed; a crash in between, with no later traffic in that window,
    would leave rows no window covers. Recent traffic (the last two windows and the
    lateness) is matched against the window rows here; missing ones are created without a
    profile, which the check then builds from the rows. Returns how many were created.
    """
    period = plan.monitor.window
    length = timedelta(seconds=period_seconds(period))
    since = now - 2 * length - timedelta(seconds=period_seconds(plan.monitor.lateness))
    bucket = bucket_sql(PredictionRow.created_at, period, session.get_bind().dialect.name)
    role = case((PredictionRow.role == "shadow", "shadow"), else_="served")
    logged = session.execute(
        select(PredictionRow.version_id, role, bucket, func.count())
        .where(
            PredictionRow.model_id == model_id,
            PredictionRow.error.is_(None),
            PredictionRow.created_at >= since,
            PredictionRow.created_at < now,
        )
        .group_by(PredictionRow.version_id, role, bucket)
    ).all()
    known = set(
        session.execute(
            select(WindowRow.version_id, WindowRow.role, WindowRow.start).where(
                WindowRow.model_id == model_id, WindowRow.end > since
            )
        ).all()
    )
    created = 0
    for version_id, kind, index, rows in logged:
        start = bucket_start(int(index), period)
        if (version_id, kind, start) in known:
            continue
        row = WindowRow(
            model_id=model_id,
            version_id=version_id,
            role=kind,
            start=start,
            end=start + length,
            rows=rows,
        )
        try:
            with session.begin_nested():  # the service may create it at the same moment
                session.add(row)
            created += 1
        except IntegrityError:
            pass
    return created


def model_windows(session: Session, model_id: int) -> list[WindowRow]:
    """Every window of the model, oldest first, detached (profiles loaded on demand)."""
    from sqlalchemy.orm import defer

    query = (
        select(WindowRow)
        .options(defer(WindowRow.profile))
        .where(WindowRow.model_id == model_id)
        .order_by(WindowRow.start, WindowRow.role, WindowRow.version_id)
    )
    rows = list(session.scalars(query))
    session.expunge_all()
    return rows


def due_jobs(
    session: Session, windows: list[WindowRow], plan: MaintenancePlan, now: datetime
) -> list[WindowJob]:
    lateness = timedelta(seconds=period_seconds(plan.monitor.lateness))
    horizon = timedelta(seconds=period_seconds(plan.monitor.label_horizon))
    jobs = []
    for index, window in _indexed(windows):
        due = window.state == "open" and window.end + lateness <= now
        if window.state != "closed" and not due:
            continue
        labelled = label_count(session, window, now)
        unchecked = due or window.checked_at is None
        late = window.end + horizon >= now and labelled != window.labelled
        if unchecked or late:
            jobs.append(WindowJob(window, index, labelled, recheck=not unchecked))
    return jobs


def _indexed(windows: list[WindowRow]) -> Iterator[tuple[int, WindowRow]]:
    """Each window with its position in its series (same version and role)."""
    seen: dict[tuple[int, str], int] = {}
    for window in windows:
        key = (window.version_id, window.role)
        seen[key] = seen.get(key, -1) + 1
        yield seen[key], window


def rows_of(window: WindowRow) -> Any:
    """The window's logged rows: its version's, of its role, inside ``[start, end)``."""
    roles = SERVED if window.role == "served" else ("shadow",)
    return and_(
        PredictionRow.model_id == window.model_id,
        PredictionRow.version_id == window.version_id,
        PredictionRow.role.in_(roles),
        PredictionRow.error.is_(None),  # failed calls are not answers (error rate reads them)
        PredictionRow.created_at >= window.start,
        PredictionRow.created_at < window.end,
    )


def label_join(now: datetime) -> Any:
    return and_(
        LabelRow.model_id == PredictionRow.model_id,
        LabelRow.row_id == PredictionRow.row_id,
        LabelRow.received_at <= now,
    )


def label_count(session: Session, window: WindowRow, now: datetime) -> int:
    query = select(func.count()).select_from(PredictionRow).join(LabelRow, label_join(now))
    return int(session.scalar(query.where(rows_of(window))) or 0)


def drift_flags(session: Session, model_id: int) -> dict[int, set[str]]:
    """Per checked window, the columns whose drift finding failed."""
    query = select(FindingRow.window_id, FindingRow.column).where(
        FindingRow.model_id == model_id,
        FindingRow.check.like("drift.%"),
        FindingRow.verdict == Verdict.FAIL.value,
        FindingRow.column.is_not(None),
    )
    flags: dict[int, set[str]] = {}
    for window_id, column in session.execute(query):
        flags.setdefault(window_id, set()).add(column)
    return flags


def previous_flags(
    windows: list[WindowRow], current: WindowRow, flags: dict[int, set[str]]
) -> list[set[str]]:
    """Failed drift columns of the windows before ``current`` in its series, oldest first."""
    series = (current.version_id, current.role)
    return [
        flags.get(w.id, set())
        for w in windows
        if (w.version_id, w.role) == series and w.start < current.start
    ]


def annotate(findings: list[Finding], previous: list[set[str]], rule: Persistence) -> list[Finding]:
    from steward.monitor.rules import annotate_persistence

    columns = {f.column for f in findings if f.family == "drift" and f.column}
    series = {c: [c in failed for failed in previous] for c in columns}
    return annotate_persistence(findings, series, rule)


def failed_columns(findings: list[Finding]) -> set[str]:
    return {
        f.column for f in findings if f.family == "drift" and f.column and f.verdict is Verdict.FAIL
    }


def version_contexts(registry: ModelRegistry, jobs: list[WindowJob]) -> dict[int, VersionContext]:
    """One context per version that has work; versions are immutable, so what is fitted on
    a version's reference (estimator, outlier detectors, scored reference) is kept for
    later passes of this store (a few versions per store, least recently used dropped)."""
    needed = {job.window.version_id for job in jobs}
    by_id: dict[int, VersionContext] = {}
    model = _model_name(registry, jobs[0].window.model_id)
    cache = _FITTED.setdefault(registry.store, OrderedDict())
    for version in registry.versions(model):
        if version.id not in needed:
            continue
        key = (version.id, version.trusted)
        if key not in cache:
            cache[key] = VersionContext.build(registry, version)
        cache.move_to_end(key)
        by_id[version.id] = cache[key]
        while len(cache) > FITTED_PER_STORE:
            cache.popitem(last=False)
    return by_id


FITTED_PER_STORE = 8


_FITTED: weakref.WeakKeyDictionary[Store, OrderedDict[tuple[int, bool], VersionContext]] = (
    weakref.WeakKeyDictionary()
)


def _model_name(registry: ModelRegistry, model_id: int) -> str:
    with registry.store.session() as session:
        return session.scalar(select(ModelRow.name).where(ModelRow.id == model_id)) or ""
