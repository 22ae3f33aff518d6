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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, text

from steward._exceptions import NotFound
from steward.monitor.pass_checks import check_job, write_jobs
from steward.monitor.pass_handoff import alert, deliver, run_hook
from steward.monitor.pass_windows import (
    FITTED_PER_STORE,
    SERVED,
    WindowJob,
    annotate,
    discover_windows,
    drift_flags,
    due_jobs,
    failed_columns,
    model_windows,
    previous_flags,
    version_contexts,
)
from steward.monitor.windowing import period_seconds
from steward.plan.schema import MaintenancePlan
from steward.registry.versions import ModelRegistry
from steward.store import Store
from steward.store.tables import ModelRow, PlanRow, utcnow
from steward.windows import Persistence

__all__ = [
    "FITTED_PER_STORE",
    "LOCK_NAMESPACE",
    "SERVED",
    "ModelPass",
    "PassResult",
    "model_lock",
    "run_pass",
]

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


def due_models(store: Store, last_run: dict[str, datetime], now: datetime) -> list[str]:
    """The planned models whose ``monitor.every`` has passed since ``last_run[name]``."""
    from steward.plan.versions import current_plan

    due = []
    for name in _planned_models(store):
        stored = current_plan(store, name)
        if stored is None:
            continue
        every = timedelta(seconds=period_seconds(stored.plan.monitor.every))
        if name not in last_run or now - last_run[name] >= every:
            due.append(name)
    return due


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
    alert(store, model_id, name, stored.plan, jobs, now, result)
    deliver(store, stored.plan, now, result)
    result.actions = run_hook(store, registry, name, stored.plan, now, result.fired_rules)
    if result.actions:  # a rollback's alert goes out in this pass, not the next
        deliver(store, stored.plan, now, result)
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


def _check_model(
    store: Store,
    registry: ModelRegistry,
    model_id: int,
    plan: MaintenancePlan,
    now: datetime,
    result: ModelPass,
) -> list[WindowJob]:
    """Find, check and write this model's windows; returns the jobs that were written."""
    with store.session() as session:
        discover_windows(session, model_id, plan, now)
    with store.session() as session:
        windows = model_windows(session, model_id)
        jobs = due_jobs(session, windows, plan, now)
        flags = drift_flags(session, model_id)
    if not jobs:
        return []
    contexts = version_contexts(registry, jobs)
    persistence = Persistence(plan.checks.windows.k, plan.checks.windows.n)
    for job in jobs:
        job.findings = check_job(store, contexts[job.window.version_id], plan, job, now)
        series = previous_flags(windows, job.window, flags)
        job.findings = annotate(job.findings, series, persistence)
        flags[job.window.id] = failed_columns(job.findings)
    written = write_jobs(store, model_id, jobs, now)
    result.closed = sum(1 for j in written if j.window.state == "open")
    result.checked = len(written)
    result.rechecked = sum(1 for j in written if j.recheck)
    result.findings = sum(len(j.findings) for j in written)
    return written
