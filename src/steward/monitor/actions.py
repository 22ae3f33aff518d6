"""The monitor's automated actions, in order of urgency: roll back, retrain, gate.

:func:`run_actions` runs at the end of every monitoring pass of one model:

1. **rollback** — a recently promoted champion that degraded for the plan's number of
   windows gives way to its predecessor (:mod:`steward.monitor.rollback`);
2. **retrain** — when an alert rule named in ``retrain.trigger.on_alerts`` fired (passed in
   ``fired_rules``, or a firing alert of that rule that started after the last retraining
   job), or when ``retrain.trigger.every`` has passed since the last job (or, with no job
   yet, since the newest version was registered) (:mod:`steward.monitor.retrain`);
3. **gate** — every challenger is compared with the champion (:mod:`steward.monitor.gate`).

Each step's failure is reported in its result and never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from steward.monitor.gate import evaluate_gate
from steward.monitor.retrain import retrain
from steward.monitor.rollback import check_rollback
from steward.monitor.windowing import period_seconds
from steward.plan.schema import MaintenancePlan
from steward.registry.versions import ModelRegistry
from steward.store import Store
from steward.store.tables import AlertRow, JobRow, ModelRow, VersionRow, utcnow

ACTOR = "steward-monitor"
log = logging.getLogger(__name__)


def run_actions(
    store: Store,
    registry: ModelRegistry,
    name: str,
    plan: MaintenancePlan,
    now: datetime | None = None,
    fired_rules: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Roll back, retrain and gate ``name`` as its plan says; one dict per action taken."""
    now = now or utcnow()
    results: list[dict[str, Any]] = []
    results += _step("rollback", _rollback, store, registry, name, plan, now)
    results += _step("retrain", _retrain, store, registry, name, plan, now, fired_rules)
    results += _step("gate", _gate, store, registry, name, plan, now)
    return results


def _step(action: str, fn: Any, *args: Any) -> list[dict[str, Any]]:
    try:
        return fn(*args)
    except Exception as exc:  # one failing action must not stop the pass
        log.exception("%s failed for model %s", action, args[2])
        return [{"action": action, "state": "failed", "error": f"{type(exc).__name__}: {exc}"}]


def _rollback(
    store: Store, registry: ModelRegistry, name: str, plan: MaintenancePlan, now: datetime
) -> list[dict[str, Any]]:
    decision = check_rollback(store, registry, name, plan, now)
    return [decision.to_dict()] if decision is not None else []


def _gate(
    store: Store, registry: ModelRegistry, name: str, plan: MaintenancePlan, now: datetime
) -> list[dict[str, Any]]:
    return [
        {"action": "gate", **d.evidence()} for d in evaluate_gate(store, registry, name, plan, now)
    ]


def _retrain(
    store: Store,
    registry: ModelRegistry,
    name: str,
    plan: MaintenancePlan,
    now: datetime,
    fired_rules: Sequence[str],
) -> list[dict[str, Any]]:
    if plan.retrain.entry_point is None:
        return []
    trigger, evidence = retrain_trigger(store, name, plan, now, fired_rules)
    if trigger is None:
        return []
    result = retrain(store, registry, name, plan, trigger, ACTOR, now, evidence=evidence)
    return [result.to_dict()]


def retrain_trigger(
    store: Store,
    name: str,
    plan: MaintenancePlan,
    now: datetime,
    fired_rules: Sequence[str] = (),
) -> tuple[str | None, dict[str, Any]]:
    """Why ``name`` should retrain now (``alert:<rule>`` or ``schedule:<every>``), with the
    firing alerts and their finding ids as evidence; ``(None, {})`` when it should not."""
    wanted = set(plan.retrain.trigger.on_alerts)
    with store.session() as session:
        model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
        last = session.scalar(_last_job(model_id))
        done = session.scalar(_last_job(model_id).where(JobRow.state == "done"))
        # a failed retrain (too few labels, a broken trainer) does not use up the alert:
        # it is tried again once the cooldown has passed, while the alert still fires
        alerts = _firing(session, model_id, wanted, done.started_at if done else None)
        newest = _newest_version_at(session, model_id)
    rules = sorted((wanted & set(fired_rules)) | {a.rule for a in alerts})
    if rules:
        return f"alert:{','.join(rules)}", _alert_evidence(alerts)
    every = plan.retrain.trigger.every
    since = last.started_at if last else newest
    if every and since and now - since >= timedelta(seconds=period_seconds(every)):
        return f"schedule:{every}", {"since": since.isoformat()}
    return None, {}


def _last_job(model_id: int | None) -> Select[tuple[JobRow]]:
    return (
        select(JobRow)
        .where(JobRow.model_id == model_id, JobRow.kind == "retrain")
        .order_by(JobRow.started_at.desc(), JobRow.id.desc())
        .limit(1)
    )


def _firing(
    session: Session, model_id: int | None, rules: set[str], after: datetime | None
) -> list[AlertRow]:
    if not rules:
        return []
    query = select(AlertRow).where(
        AlertRow.model_id == model_id, AlertRow.state == "firing", AlertRow.rule.in_(rules)
    )
    if after is not None:
        query = query.where(AlertRow.fired_at > after)
    return list(session.scalars(query.order_by(AlertRow.id)))


def _newest_version_at(session: Session, model_id: int | None) -> datetime | None:
    query = select(func.max(VersionRow.created_at)).where(VersionRow.model_id == model_id)
    return session.scalar(query)


def _alert_evidence(alerts: list[AlertRow]) -> dict[str, Any]:
    findings = [
        f.get("finding_id")
        for alert in alerts
        for f in (alert.evidence or {}).get("findings", [])
        if f.get("finding_id") is not None
    ]
    return {"alert_ids": [a.id for a in alerts], "finding_ids": findings}
