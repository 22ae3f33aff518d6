"""The performance policy: how much worse than the reference each metric may get.

Plain data (pydantic), so plans carry it as YAML::

    performance:
      confidence: 0.95
      metrics: {accuracy: {max_drop: 0.02}, mae: {max_drop: 0.2}, brier: {enabled: false}}

Defaults live next to each metric (its registration): 0.05 absolute for bounded metrics
(accuracy, precision, recall, F1, ROC AUC, average precision, Brier, calibration error, R²)
and 10% of the reference value for error metrics (log loss, MAE, RMSE, MAPE).

>>> policy = PerformancePolicy(metrics={"mae": {"max_drop": 0.2}})
>>> policy.rule("mae")
MetricRule(max_drop=0.2, relative=True, enabled=True)
>>> policy.rule("accuracy").allowed(0.9)
0.05
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class MetricRule(BaseModel):
    """The allowed degradation of one metric: absolute, or a share of the reference value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_drop: float | None = Field(default=None, ge=0)
    relative: bool | None = None
    enabled: bool = True

    def allowed(self, reference: float) -> float:
        """The degradation allowed below (or above) a reference value."""
        drop = self.max_drop or 0.0
        return drop * abs(reference) if self.relative else drop


class PerformancePolicy(BaseModel):
    """Per-metric allowed degradation, the band's confidence and the bootstrap settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metrics: dict[str, MetricRule] = Field(default_factory=dict)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    bootstrap: int = Field(default=200, ge=20, le=100_000)
    seed: int = 0

    @field_validator("metrics")
    @classmethod
    def _registered(cls, rules: dict[str, MetricRule]) -> dict[str, MetricRule]:
        from steward.checks.performance._base import REGISTRY

        unknown = sorted(set(rules) - set(REGISTRY))
        if unknown:
            raise ValueError(
                f"unknown performance metric(s) {unknown}; registered: {sorted(REGISTRY)}"
            )
        return rules

    def rule(self, name: str) -> MetricRule:
        """The metric's rule: its registered default with this policy's changes over it."""
        from steward.checks.performance._base import get

        spec = get(name)
        default = MetricRule(max_drop=spec.max_drop, relative=spec.relative)
        override = self.metrics.get(name)
        if override is None:
            return default
        return default.model_copy(
            update={k: getattr(override, k) for k in override.model_fields_set}
        )
