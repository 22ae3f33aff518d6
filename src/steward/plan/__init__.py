"""Maintenance plans: the validated YAML document that drives a model's monitoring."""

from steward.plan.schema import (
    AlertRule,
    Alerts,
    Condition,
    Fallback,
    Gate,
    MaintenancePlan,
    MonitorSchedule,
    Retrain,
    RetrainTrigger,
    Rollback,
    Route,
)

__all__ = [
    "AlertRule",
    "Alerts",
    "Condition",
    "Fallback",
    "Gate",
    "MaintenancePlan",
    "MonitorSchedule",
    "Retrain",
    "RetrainTrigger",
    "Rollback",
    "Route",
]
