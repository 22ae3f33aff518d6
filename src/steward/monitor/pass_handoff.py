"""What a monitoring pass hands on: findings to the alert rules, the outbox to its routes, and
the fired rules to the actions hook (roll back, retrain, gate)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from steward.findings import Finding
from steward.monitor.pass_windows import WindowJob
from steward.plan.schema import MaintenancePlan
from steward.registry.versions import ModelRegistry
from steward.store import Store

if TYPE_CHECKING:
    from steward.monitor.passes import ModelPass


def alert(
    store: Store,
    model_id: int,
    name: str,
    plan: MaintenancePlan,
    jobs: list[WindowJob],
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


def deliver(store: Store, plan: MaintenancePlan, now: datetime, result: ModelPass) -> None:
    from steward.monitor.outbox import deliver_due

    routes = {route.name: route for route in plan.alerts.routes}
    result.notifications_sent += deliver_due(store, routes, now=now).sent


def run_hook(
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
