"""Automatic rollback: a promoted champion that keeps doing worse gives way to its predecessor.

After the latest champion promotion, :func:`check_rollback` cuts the new champion's served
traffic into the plan's monitoring windows (the first one starts at the promotion) and
compares each *closed* window with the previous champion's level over the same span of
time before the promotion:

- serving error rate (rows with ``error`` set / rows served as ``champion``) above
  ``rollback.max_error_rate`` and above the previous champion's rate; or
- the labelled metric (``rollback.metric``, else the gate's, else accuracy / mae) worse
  by more than ``rollback.max_degradation`` (absolute), on at least :data:`MIN_LABELLED`
  labelled rows.

Only when the last ``rollback.windows`` closed windows are all degraded — sustained, not a
one-window dip — does it call :meth:`ModelRegistry.rollback`, audit ``rollback`` with the
evidence (per-window values, baseline, a one-sided Welch test of the pooled windows against
the baseline: statistic, p-value, sample sizes) and raise a firing ``auto-rollback`` alert
whose notifications go through the outbox to every route of the plan.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.checks.gate_metrics import METRICS, GateMetric, default_metric
from steward.monitor.alerts import raise_alert
from steward.monitor.gate import as_class, as_number
from steward.monitor.windowing import period_seconds, window_bounds
from steward.plan.schema import AlertRule, Condition, MaintenancePlan
from steward.registry.versions import AliasEvent, ModelRegistry, ModelVersion
from steward.store import Store
from steward.store.tables import (
    AuditRow,
    LabelRow,
    ModelRow,
    PredictionRow,
    utcnow,
)

ACTOR = "steward-rollback"
RULE = "auto-rollback"
MIN_LABELLED = 30  # labelled rows a window needs before its metric counts
BASELINE_WINDOWS = 4  # windows of the previous champion's traffic used as its level


@dataclass(frozen=True)
class Level:
    """One span of a champion's serving: rows, errors, labelled metric."""

    start: datetime
    end: datetime
    rows: int
    errors: int
    labelled: int
    metric: float | None
    values: list[float] = field(default_factory=list, repr=False)  # per-row metric terms

    @property
    def error_rate(self) -> float:
        return self.errors / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("values")
        data.update(start=self.start.isoformat(), end=self.end.isoformat())
        return {**data, "error_rate": self.error_rate}


@dataclass(frozen=True)
class RollbackDecision:
    """A rollback that happened: from which version to which, why, and the alert raised."""

    from_version: int
    to_version: int
    reason: str
    evidence: dict[str, Any]
    alert_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"action": "rollback", **asdict(self)}


def check_rollback(
    store: Store,
    registry: ModelRegistry,
    name: str,
    plan: MaintenancePlan,
    now: datetime | None = None,
    *,
    actor: str = ACTOR,
) -> RollbackDecision | None:
    """Roll back ``name``'s champion if it degraded for ``rollback.windows`` closed windows."""
    now = now or utcnow()
    promotion = _latest_promotion(registry, name) if plan.rollback.enabled else None
    if promotion is None:
        return None
    new, old = registry.get(name, promotion.version), registry.get(name, promotion.previous)
    spec = _metric(plan, new.task)
    windows = _closed_windows(plan, promotion.at, now)
    if len(windows) < plan.rollback.windows:
        return None
    model_id = _model_id(store, name)
    recent = [
        _level(store, model_id, new, spec, s, e) for s, e in windows[-plan.rollback.windows :]
    ]
    span = period_seconds(plan.monitor.window) * BASELINE_WINDOWS
    base = _level(store, model_id, old, spec, promotion.at - timedelta(seconds=span), promotion.at)
    verdicts = [_degraded(plan, spec, level, base) for level in recent]
    if not all(verdicts):
        return None
    evidence = _evidence(plan, spec, promotion, recent, base, verdicts)
    return _roll_back(store, registry, name, plan, model_id, evidence, now, actor)


# --- what to compare -------------------------------------------------------------------------


def _latest_promotion(registry: ModelRegistry, name: str) -> AliasEvent | None:
    champion = [e for e in registry.history(name) if e.alias == "champion"]
    if not champion or champion[-1].action != "promote" or champion[-1].previous is None:
        return None
    return champion[-1]


def _metric(plan: MaintenancePlan, task: str) -> GateMetric | None:
    if task not in ("classification", "regression"):
        return None
    name = plan.rollback.metric or plan.gate.metric or default_metric(task)
    if plan.rollback.metric == "error_rate":  # serving errors only (always checked)
        return None
    spec = METRICS.get(name)
    return spec if spec is not None and spec.task == task and spec.rows is not None else None


def _closed_windows(
    plan: MaintenancePlan, since: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """Monitoring windows from ``since`` (the first one clipped to start there) that closed."""
    lateness = timedelta(seconds=period_seconds(plan.monitor.lateness))
    length = timedelta(seconds=period_seconds(plan.monitor.window))
    start, end = since, window_bounds(since, plan.monitor.window)[1]
    windows = []
    while end + lateness <= now:
        windows.append((start, end))
        start, end = end, end + length
    return windows


def _model_id(store: Store, name: str) -> int:
    with store.session() as session:
        found = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
    assert found is not None
    return found


def _level(
    store: Store,
    model_id: int,
    version: ModelVersion,
    spec: GateMetric | None,
    start: datetime,
    end: datetime,
) -> Level:
    """What ``version`` did as champion in ``[start, end)``."""
    query = (
        select(PredictionRow.output, PredictionRow.error, LabelRow.label)
        .outerjoin(
            LabelRow,
            (LabelRow.model_id == PredictionRow.model_id)
            & (LabelRow.row_id == PredictionRow.row_id),
        )
        .where(
            PredictionRow.model_id == model_id,
            PredictionRow.version_id == version.id,
            PredictionRow.role == "champion",
            PredictionRow.created_at >= start,
            PredictionRow.created_at < end,
        )
    )
    with store.session() as session:
        rows = session.execute(query).all()
    errors = sum(1 for r in rows if r.error is not None)
    labelled = [(r.label, r.output) for r in rows if r.error is None and r.label is not None]
    values = _row_values(spec, labelled)
    metric = float(np.mean(values)) if len(values) else None
    return Level(start, end, len(rows), errors, len(values), metric, list(map(float, values)))


def _row_values(spec: GateMetric | None, pairs: list[tuple[Any, Any]]) -> np.ndarray:
    if spec is None or not pairs or spec.rows is None:
        return np.array([])
    norm = as_class if spec.task == "classification" else as_number
    kind = object if spec.task == "classification" else float
    y = np.array([norm(p[0]) for p in pairs], dtype=kind)
    pred = np.array([norm(p[1]) for p in pairs], dtype=kind)
    values = spec.rows(y, pred, None, None)
    return values[np.isfinite(values)]


# --- the verdict -----------------------------------------------------------------------------


def _degraded(
    plan: MaintenancePlan, spec: GateMetric | None, level: Level, base: Level
) -> str | None:
    """Why this window counts as degraded (``error_rate`` or the metric's name), or None."""
    bound = plan.rollback.max_error_rate
    if level.rows and level.error_rate > bound and level.error_rate > base.error_rate:
        return "error_rate"
    if spec is None or level.metric is None or base.metric is None:
        return None
    if level.labelled < MIN_LABELLED or base.labelled < MIN_LABELLED:
        return None
    sign = 1.0 if spec.higher_is_better else -1.0
    if sign * (base.metric - level.metric) > plan.rollback.max_degradation:
        return spec.name
    return None


def _evidence(
    plan: MaintenancePlan,
    spec: GateMetric | None,
    promotion: AliasEvent,
    recent: list[Level],
    base: Level,
    verdicts: list[str | None],
) -> dict[str, Any]:
    by_metric = all(v != "error_rate" for v in verdicts)
    statistic, p_value = _test(spec, recent, base, by_metric)
    return {
        "from_version": promotion.version,
        "to_version": promotion.previous,
        "promoted_at": promotion.at.isoformat(),
        "trigger": "metric" if by_metric else "error_rate",
        "metric": spec.name if spec else None,
        "max_degradation": plan.rollback.max_degradation,
        "max_error_rate": plan.rollback.max_error_rate,
        "windows_required": plan.rollback.windows,
        "windows": [
            {**lv.to_dict(), "degraded": v} for lv, v in zip(recent, verdicts, strict=True)
        ],
        "baseline": base.to_dict(),
        "statistic": statistic,
        "p_value": p_value,
        "n": sum(lv.labelled if by_metric else lv.rows for lv in recent),
        "baseline_n": base.labelled if by_metric else base.rows,
    }


def _test(
    spec: GateMetric | None, recent: list[Level], base: Level, by_metric: bool
) -> tuple[float | None, float | None]:
    """One-sided Welch test that the new champion's pooled windows are worse than the base."""
    if by_metric and spec is not None:
        new = np.concatenate([np.asarray(lv.values) for lv in recent])
        old = np.asarray(base.values)
        worse = "less" if spec.higher_is_better else "greater"
    else:
        new = np.concatenate([_flags(lv) for lv in recent])
        old, worse = _flags(base), "greater"
    if len(new) < 2 or len(old) < 2 or (np.var(new) == 0 and np.var(old) == 0):
        return None, None
    result = stats.ttest_ind(new, old, equal_var=False, alternative=worse)
    return float(result.statistic), float(result.pvalue)


def _flags(level: Level) -> np.ndarray:
    return np.r_[np.ones(level.errors), np.zeros(level.rows - level.errors)]


# --- acting ----------------------------------------------------------------------------------


def _roll_back(
    store: Store,
    registry: ModelRegistry,
    name: str,
    plan: MaintenancePlan,
    model_id: int,
    evidence: dict[str, Any],
    now: datetime,
    actor: str,
) -> RollbackDecision:
    reason = _reason(evidence)
    event = registry.rollback(name, actor=actor, reason=reason)
    with store.session() as session:
        version_id = _version_id(registry, name, event.version)
        session.add(
            AuditRow(
                actor=actor,
                action="rollback",
                model_id=model_id,
                version_id=version_id,
                details={**evidence, "reason": reason},
                at=now,
            )
        )
        alert_id = _raise_alert(session, plan, name, model_id, reason, evidence, now)
    return RollbackDecision(
        from_version=evidence["from_version"],
        to_version=event.version or evidence["to_version"],
        reason=reason,
        evidence=evidence,
        alert_id=alert_id,
    )


def _version_id(registry: ModelRegistry, name: str, version: int | None) -> int | None:
    return registry.get(name, version).id if version is not None else None


def _reason(evidence: dict[str, Any]) -> str:
    k = evidence["windows_required"]
    if evidence["trigger"] == "error_rate":
        rates = ", ".join(f"{w['error_rate']:.3f}" for w in evidence["windows"])
        what = f"serving error rate {rates} above {evidence['max_error_rate']}"
    else:
        values = ", ".join(f"{w['metric']:.4g}" for w in evidence["windows"])
        base = evidence["baseline"]["metric"]
        what = (
            f"{evidence['metric']} {values} vs {base:.4g} before the promotion "
            f"(max degradation {evidence['max_degradation']})"
        )
    return (
        f"v{evidence['from_version']} degraded for {k} window(s): {what}; "
        f"rolled back to v{evidence['to_version']}"
    )


def _raise_alert(
    session: Session,
    plan: MaintenancePlan,
    name: str,
    model_id: int,
    summary: str,
    evidence: dict[str, Any],
    now: datetime,
) -> int:
    """A firing ``auto-rollback`` alert, sent to every route of the plan and the log."""
    routes = sorted({r.name for r in plan.alerts.routes} | {"log"})
    rule = AlertRule(name=RULE, when=Condition(), severity="critical", routes=routes)
    return raise_alert(
        session,
        model_id=model_id,
        model=name,
        rule=rule,
        group_key=f"v{evidence['from_version']}",
        summary=summary,
        evidence=evidence,
        now=now,
    )
