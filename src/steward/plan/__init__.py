"""Maintenance plans: the validated YAML document that drives a model's monitoring."""

from steward.plan.loading import load_plan, validate_text
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
from steward.plan.versions import PlanVersion, apply_plan, current_plan, get_plan, plan_history

__all__ = [
    "AlertRule",
    "Alerts",
    "Condition",
    "Fallback",
    "Gate",
    "MaintenancePlan",
    "MonitorSchedule",
    "PlanVersion",
    "Retrain",
    "RetrainTrigger",
    "Rollback",
    "Route",
    "apply_plan",
    "current_plan",
    "get_plan",
    "load_plan",
    "plan_history",
    "validate_text",
]
