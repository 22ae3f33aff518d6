"""The quality policy: one significance level, thresholds by check name, per-column overrides.

Defaults live next to each check (its descriptor's ``threshold``); the policy only holds
what the user changed, so a plan stays short. It is plain data (pydantic), so plans carry it
as YAML::

    quality:
      thresholds: {missing_rate: 0.05}
      columns:
        age: {thresholds: {out_of_range: 0.01}, skip: [constant_column]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from steward._exceptions import PlanError


def _known(names: frozenset[str], *, with_threshold: bool) -> frozenset[str]:
    from steward.checks.quality._base import REGISTRY

    for name in names:
        if name not in REGISTRY:
            raise ValueError(f"unknown quality check {name!r}; registered: {sorted(REGISTRY)}")
        if with_threshold and REGISTRY[name].threshold is None:
            raise ValueError(f"quality check {name!r} takes no threshold")
    return names


def _shares(thresholds: dict[str, float]) -> dict[str, float]:
    _known(frozenset(thresholds), with_threshold=True)
    bad = {k: v for k, v in thresholds.items() if not 0.0 <= v <= 1.0}
    if bad:
        raise ValueError(f"thresholds are shares between 0 and 1: {bad}")
    return thresholds


class _Overrides(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    thresholds: dict[str, float] = Field(default_factory=dict)
    skip: frozenset[str] = frozenset()

    @field_validator("thresholds")
    @classmethod
    def _valid_thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        return _shares(value)

    @field_validator("skip")
    @classmethod
    def _valid_skip(cls, value: frozenset[str]) -> frozenset[str]:
        return _known(value, with_threshold=False)


class ColumnQuality(_Overrides):
    """Overrides for one column: thresholds by check name, and checks to skip."""


class QualityPolicy(_Overrides):
    """Which quality checks run and the bars they use.

    ``alpha`` is the significance level every rate comparison needs before it warns or
    fails, so small windows do not raise alarms on noise; the thresholds are the relevance
    bars (shares) that turn a significant change into a failure.

    >>> policy = QualityPolicy(thresholds={"missing_rate": 0.05},
    ...                        columns={"age": {"skip": ["constant_column"]}})
    >>> policy.threshold("missing_rate"), policy.threshold("out_of_range", "age")
    (0.05, 0.001)
    >>> policy.skips("constant_column", "age"), policy.skips("constant_column", "income")
    (True, False)
    """

    alpha: float = Field(default=0.001, gt=0, lt=1)
    columns: dict[str, ColumnQuality] = Field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualityPolicy:
        """Validate plan data; errors become :class:`PlanError` naming the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise PlanError(f"invalid quality policy: {_message(exc)}") from exc

    def threshold(self, check: str, column: str | None = None) -> float | None:
        """The bar in force: the column's override, the policy's, else the check's default."""
        from steward.checks.quality._base import get

        override = self.columns.get(column) if column is not None else None
        if override is not None and check in override.thresholds:
            return override.thresholds[check]
        return self.thresholds.get(check, get(check).threshold)

    def skips(self, check: str, column: str | None = None) -> bool:
        override = self.columns.get(column) if column is not None else None
        return check in self.skip or (override is not None and check in override.skip)

    def in_force(self) -> dict[str, float | None]:
        """Every registered check's default bar after the policy's own overrides."""
        from steward.checks.quality._base import REGISTRY

        return {name: self.threshold(name) for name in sorted(REGISTRY)}


def _message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(parts)
