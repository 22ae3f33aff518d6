"""One monitoring pass: close finished windows, check them, store findings, alert, act.

For every model with a plan and a champion, :func:`run_pass`

1. closes the windows whose ``end + monitor.lateness`` has passed;
2. checks every window it closed (first close, or a close after late traffic re-opened it)
   with :func:`steward.monitor.window_checks.check_window`, drift marked sustained or
   transient over the window's series (``checks.windows`` k of n);
3. re-checks closed windows still within ``monitor.label_horizon`` whose count of joined
   labels (received by ``now``) differs from the count they were checked with: their
   realised metrics are updated and their findings replaced, nobody else's;
4. hands the served windows' findings to the :class:`~steward.monitor.alerts.AlertManager`
   in window order, delivers the outbox, and calls the actions hook
   (``steward.monitor.actions.run_actions``) when it exists.

Idempotent: a second pass with the same ``now`` and no new data finds nothing to do and
writes nothing. Concurrency: on PostgreSQL a pass holds ``pg_try_advisory_xact_lock`` on
the model for its whole run, and a second pass skips a model that is locked; on both
databases the results are written in one transaction that first re-reads each window and
writes only those unchanged since they were read (SQLite serialises these writers with
``BEGIN IMMEDIATE``), so a window is never checked twice for the same data.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, select, text
from sqlalchemy.orm import Session, aliased

from steward._exceptions import NotFound
from steward.findings import Finding, Verdict
from steward.monitor.window_checks import VersionContext, WindowData, check_window
from steward.monitor.window_checks import shadow_agreement as _agreement
from steward.monitor.window_profiles import profile_rows, window_table
from steward.monitor.windowing import period_seconds
from steward.plan.schema import MaintenancePlan
from steward.profile import Profile
from steward.registry.versions import ModelRegistry
from steward.store import Store
from steward.store.tables import (
    FindingRow,
    LabelRow,
    ModelRow,
    PlanRow,
    PredictionRow,
    WindowRow,
    utcnow,
)
from steward.windows import Persistence

SERVED = ("champion", "fallback")
LOCK_NAMESPACE = 0x57A7  # first key of the advisory lock; the model id is the second


@dataclass
class ModelPass:
    """What one pass did for one model."""

    model: str
    closed: int = 0
    checked: int = 0
    rechecked: int = 0  # of ``checked``: re-checks after late labels
    findings: int = 0
    alerts_fired: int = 0
    alerts_resolved: int = 0
    notifications_sent: int = 0
    fired_rules: list[str] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None  # why nothing was done: no plan, no champion, locked


@dataclass
class PassResult:
    """What one pass did, per model; ``totals`` adds the counts up."""

    now: datetime
    models: list[ModelPass]

    @property
    def totals(self) -> dict[str, int]:
        keys = ("closed", "checked", "rechecked", "findings", "alerts_fired", "alerts_resolved")
        keys += ("notifications_sent",)
        return {k: sum(getattr(m, k) for m in self.models) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "totals": self.totals,
            "models": [asdict(m) for m in self.models],
        }


@dataclass
class _Job:
    """A window to check, as read before checking (its fingerprint guards the write)."""

    window: WindowRow
    index: int
    labelled: int
    recheck: bool
    findings: list[Finding] = field(default_factory=list)
    finding_ids: list[int] = field(default_factory=list)


def run_pass(
    store: Store,
    *,
    now: datetime | None = None,
    models: list[str] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> PassResult:
    """Run one monitoring pass over ``models`` (default: every model with a plan)."""
    at = now or (clock or utcnow)()
    registry = ModelRegistry(store)
    names = models if models is not None else _planned_models(store)
    return PassResult(at, [_run_model(store, registry, name, at) for name in names])


def _planned_models(store: Store) -> list[str]:
    query = select(ModelRow.name).where(exists().where(PlanRow.model_id == ModelRow.id))
    with store.session() as session:
        return sorted(session.scalars(query))


def _run_model(store: Store, registry: ModelRegistry, name: str, now: datetime) -> ModelPass:
    from steward.plan.versions import current_plan

    result = ModelPass(name)
    stored = current_plan(store, name)
    if stored is None:
        result.skipped = "no plan"
        return result
    if not registry.resolve(name, "champion"):
        result.skipped = "no champion"
        return result
    model_id = _model_id(store, name)
    with model_lock(store, model_id) as held:
        if not held:
            result.skipped = "locked"
            return result
        jobs = _check_model(store, registry, model_id, stored.plan, now, result)
    _alert(store, model_id, name, stored.plan, jobs, now, result)
    _deliver(store, stored.plan, now, result)
    result.actions = _actions(store, registry, name, stored.plan, now, result.fired_rules)
    if result.actions:  # a rollback's alert goes out in this pass, not the next
        _deliver(store, stored.plan, now, result)
    return result


def _model_id(store: Store, name: str) -> int:
    with store.session() as session:
        found = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
    if found is None:
        raise NotFound(f"unknown model {name!r}")
    return found


@contextmanager
def model_lock(store: Store, model_id: int) -> Iterator[bool]:
    """Hold the model's pass lock (PostgreSQL: a transaction-scoped advisory lock).

    Yields whether the lock is held; a second holder gets ``False`` at once. On SQLite it
    yields ``True``: the guarded write (``BEGIN IMMEDIATE`` plus re-reading each window)
    keeps concurrent passes from checking a window twice.
    """
    if store.dialect != "postgresql":
        yield True
        return
    with store.engine.connect() as connection, connection.begin():
        query = text("SELECT pg_try_advisory_xact_lock(:namespace, :model)")
        params = {"namespace": LOCK_NAMESPACE, "model": model_id}
        yield bool(connection.execute(query, params).scalar())


# --- finding the work --------------------------------------------------------------------


def _check_model(
    store: Store,
    registry: ModelRegistry,
    model_id: int,
    plan: MaintenancePlan,
    now: datetime,
    result: ModelPass,
) -> list[_Job]:
    """Find, check and write this model's windows; returns the jobs that were written."""
    with store.session() as session:
        windows = _windows(session, model_id)
        jobs = _jobs(session, windows, plan, now)
        flags = _drift_flags(session, model_id)
    if not jobs:
        return []
    contexts = _contexts(registry, jobs)
    persistence = Persistence(plan.checks.windows.k, plan.checks.windows.n)
    for job in jobs:
        job.findings = _check(store, contexts[job.window.version_id], plan, job, now)
        series = _previous(windows, job.window, flags)
        job.findings = _annotate(job.findings, series, persistence)
        flags[job.window.id] = _failed_columns(job.findings)
    written = _write(store, model_id, jobs, now)
    result.closed = sum(1 for j in written if j.window.state == "open")
    result.checked = len(written)
    result.rechecked = sum(1 for j in written if j.recheck)
    result.findings = sum(len(j.findings) for j in written)
    return written


def _windows(session: Session, model_id: int) -> list[WindowRow]:
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


def _jobs(
    session: Session, windows: list[WindowRow], plan: MaintenancePlan, now: datetime
) -> list[_Job]:
    lateness = timedelta(seconds=period_seconds(plan.monitor.lateness))
    horizon = timedelta(seconds=period_seconds(plan.monitor.label_horizon))
    jobs = []
    for index, window in _indexed(windows):
        due = window.state == "open" and window.end + lateness <= now
        if window.state != "closed" and not due:
            continue
        labelled = _label_count(session, window, now)
        unchecked = due or window.checked_at is None
        late = window.end + horizon >= now and labelled != window.labelled
        if unchecked or late:
            jobs.append(_Job(window, index, labelled, recheck=not unchecked))
    return jobs


def _indexed(windows: list[WindowRow]) -> Iterator[tuple[int, WindowRow]]:
    """Each window with its position in its series (same version and role)."""
    seen: dict[tuple[int, str], int] = {}
    for window in windows:
        key = (window.version_id, window.role)
        seen[key] = seen.get(key, -1) + 1
        yield seen[key], window


def _rows_of(window: WindowRow) -> Any:
    """The window's logged rows: its version's answers (failed calls are not answers; the
    serving error rate reads them separately), of its role, inside ``[start, end)``."""
    roles = SERVED if window.role == "served" else ("shadow",)
    return and_(
        PredictionRow.model_id == window.model_id,
        PredictionRow.version_id == window.version_id,
        PredictionRow.role.in_(roles),
        PredictionRow.error.is_(None),
        PredictionRow.created_at >= window.start,
        PredictionRow.created_at < window.end,
    )


def _label_join(now: datetime) -> Any:
    return and_(
        LabelRow.model_id == PredictionRow.model_id,
        LabelRow.row_id == PredictionRow.row_id,
        LabelRow.received_at <= now,
    )


def _label_count(session: Session, window: WindowRow, now: datetime) -> int:
    query = select(func.count()).select_from(PredictionRow).join(LabelRow, _label_join(now))
    return int(session.scalar(query.where(_rows_of(window))) or 0)


def _drift_flags(session: Session, model_id: int) -> dict[int, set[str]]:
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


def _previous(
    windows: list[WindowRow], current: WindowRow, flags: dict[int, set[str]]
) -> list[set[str]]:
    """Failed drift columns of the windows before ``current`` in its series, oldest first."""
    series = (current.version_id, current.role)
    return [
        flags.get(w.id, set())
        for w in windows
        if (w.version_id, w.role) == series and w.start < current.start
    ]


def _annotate(
    findings: list[Finding], previous: list[set[str]], rule: Persistence
) -> list[Finding]:
    from steward.monitor.rules import annotate_persistence

    columns = {f.column for f in findings if f.family == "drift" and f.column}
    series = {c: [c in failed for failed in previous] for c in columns}
    return annotate_persistence(findings, series, rule)


def _failed_columns(findings: list[Finding]) -> set[str]:
    return {
        f.column for f in findings if f.family == "drift" and f.column and f.verdict is Verdict.FAIL
    }


def _contexts(registry: ModelRegistry, jobs: list[_Job]) -> dict[int, VersionContext]:
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


# --- checking one window -----------------------------------------------------------------


def _check(
    store: Store, ctx: VersionContext, plan: MaintenancePlan, job: _Job, now: datetime
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
    """The window's stored profile; rebuilt from its rows when none was stored or it was
    laid out otherwise than :func:`~steward.monitor.window_profiles.profile_rows` does."""
    if stored is not None:
        found = Profile.from_bytes(stored)
        if found.schema.names == ctx.layout.schema.names:
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
        .outerjoin(LabelRow, _label_join(now))
        .where(_rows_of(window))
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
        .where(_rows_of(window), PredictionRow.output.is_not(None), served.output.is_not(None))
        .order_by(PredictionRow.id)
    )
    pairs = session.execute(query).all()
    return [p[0] for p in pairs], [p[1] for p in pairs]


# --- writing -----------------------------------------------------------------------------


def _write(store: Store, model_id: int, jobs: list[_Job], now: datetime) -> list[_Job]:
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


def _unchanged(session: Session, row: WindowRow, job: _Job, now: datetime) -> bool:
    """Still as read before checking: same state, rows, check time, merges and labels."""
    seen = job.window
    same = (row.state, row.rows, row.checked_at, row.updated_at) == (
        seen.state,
        seen.rows,
        seen.checked_at,
        seen.updated_at,
    )
    return same and _label_count(session, row, now) == job.labelled


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


# --- alerts, notifications, actions ------------------------------------------------------


def _alert(
    store: Store,
    model_id: int,
    name: str,
    plan: MaintenancePlan,
    jobs: list[_Job],
    now: datetime,
    result: ModelPass,
) -> None:
    """Served windows' findings to the alert rules, one call per window end, oldest first."""
    if not plan.alerts.rules:
        return
    from steward.monitor.alerts import AlertManager

    manager = AlertManager(store, clock=lambda: now)
    by_end: dict[datetime, tuple[list[Finding], list[int]]] = {}
    for job in sorted(jobs, key=lambda j: j.window.end):
        if job.window.role == "served":
            found, ids = by_end.setdefault(job.window.end, ([], []))
            found += job.findings
            ids += job.finding_ids
    for end, (found, ids) in by_end.items():
        for change in manager.process(model_id, name, plan, end, found, ids):
            result.alerts_resolved += change.state == "resolved"
            if change.state == "firing":
                result.alerts_fired += 1
                result.fired_rules.append(change.rule)


def _deliver(store: Store, plan: MaintenancePlan, now: datetime, result: ModelPass) -> None:
    from steward.monitor.outbox import deliver_due

    routes = {route.name: route for route in plan.alerts.routes}
    result.notifications_sent += deliver_due(store, routes, now=now).sent


def _actions(
    store: Store,
    registry: ModelRegistry,
    name: str,
    plan: MaintenancePlan,
    now: datetime,
    fired: list[str],
) -> list[dict[str, Any]]:
    """Roll back, retrain and gate (:mod:`steward.monitor.actions`), told which rules fired."""
    try:
        from steward.monitor.actions import run_actions
    except ImportError:  # built in parallel; a pass still monitors without it
        return []
    return list(run_actions(store, registry, name, plan, now, fired_rules=fired) or [])
