"""Retraining: recent labelled traffic → the owner's trainer → a new challenger version.

:func:`retrain` records a :class:`~steward.store.tables.JobRow` (``running``) before any
work, so a crash mid-way leaves a visible trace. It then joins the served predictions of the
plan's ``data_window`` with their labels (one row per row id, the newest answer), hands the
Arrow table to the trainer the plan names (resolved only among registered or allow-listed
trainers, see :mod:`steward.monitor.trainers`), registers the artifact as the next version
with its lineage (parent, trigger, job id, data fingerprint, metrics) and points the
``challenger`` alias at it. Any failure marks the job ``failed`` with the error and writes
a ``retrain.failed`` audit row; nothing is half-registered (the registry's registration is
one transaction, and a version that cannot become a challenger is retired at once).
A second retrain inside the plan's ``cooldown`` is skipped.
"""

from __future__ import annotations

import tempfile
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward._exceptions import InputError, TrainingError
from steward.monitor.trainers import TrainedModel, TrainingContext, resolve_trainer
from steward.monitor.windowing import period_seconds
from steward.plan.schema import MaintenancePlan
from steward.registry.versions import ModelRegistry, ModelVersion
from steward.schema import Role, Schema
from steward.store import Store
from steward.store.tables import AuditRow, JobRow, LabelRow, ModelRow, PredictionRow, utcnow

SERVED = ("champion", "fallback")
MAX_ERROR = 4000  # characters of an error kept on the job row
LABEL_JOIN = (LabelRow.model_id == PredictionRow.model_id) & (
    LabelRow.row_id == PredictionRow.row_id
)


@dataclass(frozen=True)
class JobResult:
    """How one retraining request ended: ``done``, ``failed`` or ``skipped`` (cooldown)."""

    state: str
    job_id: int | None = None
    version: int | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": "retrain",
            "state": self.state,
            "job_id": self.job_id,
            "version": self.version,
            "error": self.error,
            **self.details,
        }


@dataclass(frozen=True)
class _Job:
    id: int
    model_id: int
    name: str
    trigger: str
    actor: str
    now: datetime
    evidence: dict[str, Any]


def retrain(
    store: Store,
    registry: ModelRegistry,
    name: str,
    plan: MaintenancePlan,
    trigger: str,
    actor: str,
    now: datetime | None = None,
    *,
    evidence: dict[str, Any] | None = None,
    force: bool = False,
) -> JobResult:
    """Train a new challenger for ``name`` from recent labelled traffic; never raises for a
    failing trainer (the job and the audit log say what went wrong)."""
    now = now or utcnow()
    job = _start(store, name, plan, trigger, actor, now, evidence or {}, force)
    if isinstance(job, JobResult):
        return job
    try:
        version, details = _run(store, registry, plan, job)
    except Exception as exc:  # the trainer is foreign code: every failure is recorded
        return _fail(store, job, plan, exc)
    return _finish(store, job, plan, version, details)


# --- job bookkeeping -------------------------------------------------------------------------


def _start(
    store: Store,
    name: str,
    plan: MaintenancePlan,
    trigger: str,
    actor: str,
    now: datetime,
    evidence: dict[str, Any],
    force: bool,
) -> _Job | JobResult:
    """Insert the running job, unless the cooldown since the last one has not passed."""
    with store.session() as session:
        model = _model_row(session, name)
        last = _last_job(session, model.id)
        cooldown = timedelta(seconds=period_seconds(plan.retrain.cooldown))
        if not force and last is not None and now - last.started_at < cooldown:
            return JobResult(
                state="skipped",
                job_id=last.id,
                details={"reason": f"cooldown {plan.retrain.cooldown} since job {last.id}"},
            )
        row = JobRow(
            model_id=model.id,
            kind="retrain",
            trigger=trigger[:200],
            state="running",
            started_at=now,
            details={"entry_point": plan.retrain.entry_point, "evidence": evidence},
        )
        session.add(row)
        session.flush()
        return _Job(row.id, model.id, name, trigger, actor, now, evidence)


def _model_row(session: Session, name: str) -> ModelRow:
    query = select(ModelRow).where(ModelRow.name == name).with_for_update()
    model = session.scalar(query)
    if model is None:
        raise InputError(f"unknown model {name!r}")
    return model


def _last_job(session: Session, model_id: int) -> JobRow | None:
    query = (
        select(JobRow)
        .where(JobRow.model_id == model_id, JobRow.kind == "retrain")
        .order_by(JobRow.started_at.desc(), JobRow.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def _fail(store: Store, job: _Job, plan: MaintenancePlan, exc: BaseException) -> JobResult:
    error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    trace = "".join(traceback.format_exception(exc))[-MAX_ERROR:]
    with store.session() as session:
        row = session.get(JobRow, job.id)
        assert row is not None
        row.state, row.error, row.finished_at = "failed", error, utcnow()
        row.details = {**(row.details or {}), "traceback": trace}
        session.add(_audit(job, "retrain.failed", None, {"error": error}, plan))
    return JobResult(state="failed", job_id=job.id, error=error)


def _finish(
    store: Store, job: _Job, plan: MaintenancePlan, version: ModelVersion, details: dict[str, Any]
) -> JobResult:
    with store.session() as session:
        row = session.get(JobRow, job.id)
        assert row is not None
        row.state, row.finished_at, row.version_id = "done", utcnow(), version.id
        row.details = {**(row.details or {}), **details}
        session.add(_audit(job, "retrain", version.id, details, plan))
    return JobResult(state="done", job_id=job.id, version=version.version, details=details)


def _audit(
    job: _Job, action: str, version_id: int | None, facts: dict[str, Any], plan: MaintenancePlan
) -> AuditRow:
    details = {
        "job_id": job.id,
        "trigger": job.trigger,
        "entry_point": plan.retrain.entry_point,
        **facts,
        "evidence": job.evidence,
    }
    return AuditRow(
        actor=job.actor,
        action=action,
        model_id=job.model_id,
        version_id=version_id,
        details=details,
        at=job.now,
    )


# --- the work --------------------------------------------------------------------------------


def _run(
    store: Store, registry: ModelRegistry, plan: MaintenancePlan, job: _Job
) -> tuple[ModelVersion, dict[str, Any]]:
    if plan.retrain.entry_point is None:
        raise TrainingError(f"the plan of {job.name!r} names no retrain.entry_point")
    fn = resolve_trainer(plan.retrain.entry_point)
    parent = _parent(registry, job.name)
    target = _target_name(parent)
    data, span = labelled_data(store, job.model_id, plan, job.now, parent, target)
    if data.num_rows < plan.retrain.min_labelled:
        raise TrainingError(
            f"{data.num_rows} labelled rows in the last {plan.retrain.data_window}, "
            f"retraining needs {plan.retrain.min_labelled}"
        )
    with tempfile.TemporaryDirectory(prefix="steward-train-") as workdir:
        context = _context(job, parent, target, data, Path(workdir))
        trained = _checked(fn(data, context), Path(workdir))
        version = _register(registry, job, plan, parent, target, data, trained, span)
    details = {
        "version": version.version,
        "parent": parent.version if parent else None,
        "rows": data.num_rows,
        "data_fingerprint": version.lineage.get("training_data"),
        "metrics": trained.metrics,
    }
    return version, details


def _parent(registry: ModelRegistry, name: str) -> ModelVersion | None:
    champions = registry.resolve(name, "champion")
    if champions:
        return champions[0]
    versions = registry.versions(name)
    return versions[-1] if versions else None


def _target_name(parent: ModelVersion | None) -> str:
    column = parent.schema.first(Role.TARGET) if parent else None
    return column.name if column is not None else "target"


def _context(
    job: _Job, parent: ModelVersion | None, target: str, data: pa.Table, workdir: Path
) -> TrainingContext:
    return TrainingContext(
        model=job.name,
        target=target,
        features=[c for c in data.column_names if c != target],
        task=parent.task if parent else "unknown",
        classes=parent.classes if parent else None,
        parent_version=parent.version if parent else None,
        trigger=job.trigger,
        job_id=job.id,
        workdir=workdir,
        now=job.now,
    )


def _checked(result: Any, workdir: Path) -> TrainedModel:
    """Refuse anything but a :class:`TrainedModel` naming an artifact that exists."""
    if not isinstance(result, TrainedModel):
        raise TrainingError(f"the trainer returned {type(result).__name__}, not a TrainedModel")
    if not Path(result.path).exists():
        raise TrainingError(f"the trainer's artifact {result.path} does not exist")
    metrics = dict(result.metrics or {})
    bad = [k for k, v in metrics.items() if not isinstance(v, (int, float)) or isinstance(v, bool)]
    if bad:
        raise TrainingError(f"trainer metrics must be numbers; {bad} are not")
    return TrainedModel(path=Path(result.path), format=result.format, metrics=metrics)


def _register(
    registry: ModelRegistry,
    job: _Job,
    plan: MaintenancePlan,
    parent: ModelVersion | None,
    target: str,
    data: pa.Table,
    trained: TrainedModel,
    span: dict[str, str | None],
) -> ModelVersion:
    lineage = {
        "parent": parent.version if parent else None,
        "trigger": job.trigger,
        "job_id": job.id,
        "entry_point": plan.retrain.entry_point,
        "metrics": {k: float(v) for k, v in trained.metrics.items()},
        "data_window": plan.retrain.data_window,
        **span,
    }
    version = registry.register(
        job.name,
        trained.path,
        reference=data,
        actor=job.actor,
        format=trained.format,
        schema=_schema(parent, data, target),
        target=target,
        lineage=lineage,
        description=f"retrained by job {job.id} ({job.trigger})",
    )
    reason = f"retrained by job {job.id} ({job.trigger})"
    try:
        registry.promote(job.name, version.version, "challenger", actor=job.actor, reason=reason)
    except Exception:
        registry.retire(job.name, version.version, actor=job.actor, reason="not made challenger")
        raise
    return registry.get(job.name, version.version)


def _schema(parent: ModelVersion | None, data: pa.Table, target: str) -> Schema | None:
    """The parent's columns (kinds and roles) restricted to the training table, if it has
    them all; otherwise None, and the registry infers a schema from the data."""
    if parent is None or not all(name in parent.schema for name in data.column_names):
        return None
    return Schema(columns=tuple(parent.schema[name] for name in data.column_names))


# --- the training data -----------------------------------------------------------------------


def labelled_data(
    store: Store,
    model_id: int,
    plan: MaintenancePlan,
    now: datetime,
    parent: ModelVersion | None,
    target: str,
) -> tuple[pa.Table, dict[str, str | None]]:
    """Served rows of the last ``data_window`` joined with their labels, one per row id
    (the newest answer), as feature columns plus ``target``; and the time span they cover."""
    since = now - timedelta(seconds=period_seconds(plan.retrain.data_window))
    rows = _served_labelled(store, model_id, since, now)
    features = parent.features if parent else sorted({k for r in rows for k in r[0]})
    columns = {f: pa.array([r[0].get(f) for r in rows]) for f in features}
    columns[target] = pa.array([r[1] for r in rows])
    times = [r[2] for r in rows]
    span = {
        "trained_from": min(times).isoformat() if times else None,
        "trained_until": max(times).isoformat() if times else None,
    }
    return pa.table(columns), span


def _served_labelled(
    store: Store, model_id: int, since: datetime, until: datetime
) -> list[tuple[dict[str, Any], Any, datetime]]:
    query = (
        select(PredictionRow.row_id, PredictionRow.inputs, LabelRow.label, PredictionRow.created_at)
        .join(
            LabelRow,
            (LabelRow.model_id == PredictionRow.model_id)
            & (LabelRow.row_id == PredictionRow.row_id),
        )
        .where(
            PredictionRow.model_id == model_id,
            PredictionRow.role.in_(SERVED),
            PredictionRow.created_at >= since,
            PredictionRow.created_at <= until,
        )
        .order_by(PredictionRow.created_at, PredictionRow.id)
    )
    newest: dict[str, tuple[dict[str, Any], Any, datetime]] = {}
    with store.session() as session:
        for row_id, inputs, label, created in session.execute(query):
            if label is not None:
                newest[row_id] = (inputs or {}, label, created)
    return sorted(newest.values(), key=lambda item: item[2])
