"""The maintenance plan: one validated document per model that drives the monitor.

Plain data (pydantic v2). Nothing in a plan is imported or executed when it is loaded: the
training entry point is a ``module:function`` string that the monitor resolves only among
trainers the owner registered (see ``steward.monitor``).

>>> plan = MaintenancePlan.model_validate({"model": "credit"})
>>> plan.gate.margin, plan.monitor.every
(0.0, '1h')
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steward.checks.plan import CheckPlan

PERIOD = re.compile(r"^\d+(s|m|h|D|W)$")
ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
Severity = Literal["info", "warning", "critical"]
Op = Literal["<", "<=", ">", ">=", "==", "!="]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _period(value: str | None) -> str | None:
    if value is not None and not PERIOD.match(value):
        raise ValueError(f"{value!r} is not a period such as 30m, 1h, 1D or 1W")
    return value


class Reference(_Strict):
    """What the current traffic is compared with: the version's registered reference."""

    source: Literal["registered"] = "registered"


class MonitorSchedule(_Strict):
    """How often the monitor runs and how traffic is cut into windows."""

    every: str = "1h"  # how often a pass runs inside ``steward serve``
    window: str = "1D"  # the length of one monitoring window
    min_rows: int = Field(default=100, ge=1)  # smaller windows are checked but `unreliable`
    lateness: str = "0s"  # how long after its end a window is closed
    label_horizon: str = "30D"  # how long late labels re-open a closed window

    _periods = field_validator("every", "window", "lateness", "label_horizon")(_period)


class Condition(_Strict):
    """When a rule is true for one window: matching findings, or a metric against a bound.

    ``check``/``column`` are shell-style patterns (``drift.*``). With ``metric`` set the
    rule compares the named metric (a finding's statistic, e.g. ``performance.accuracy``)
    with ``value`` using ``op``; otherwise it is true when at least ``min_count`` findings
    match with one of ``verdicts`` (and, with ``sustained``, only sustained ones).
    """

    check: str = "*"
    column: str | None = None
    verdicts: list[Literal["warn", "fail", "unreliable"]] = Field(default_factory=lambda: ["fail"])
    sustained: bool = False
    min_count: int = Field(default=1, ge=1)
    metric: str | None = None
    op: Op = "<"
    value: float | None = None

    @model_validator(mode="after")
    def _metric_needs_value(self) -> Condition:
        if self.metric is not None and self.value is None:
            raise ValueError("a metric condition needs a value")
        return self


class AlertRule(_Strict):
    """A Prometheus-style rule: true for ``for`` windows in a row → firing; resolves after
    ``keep_firing_for`` windows false. Findings of one model and rule are one alert unless
    ``group_by`` splits them (by ``column`` or ``check``)."""

    name: str = Field(pattern=r"^[\w.-]+$")
    when: Condition
    for_: int = Field(default=1, ge=1, alias="for")
    keep_firing_for: int = Field(default=0, ge=0)
    severity: Severity = "warning"
    group_by: list[Literal["column", "check"]] = Field(default_factory=list)
    routes: list[str] = Field(default_factory=lambda: ["log"])
    summary: str = ""


class Route(_Strict):
    """Where notifications go: ``webhook`` (JSON or Slack format), ``email`` or ``log``."""

    name: str = Field(pattern=r"^[\w.-]+$")
    type: Literal["webhook", "email", "log"]
    url: str | None = None
    format: Literal["json", "slack"] = "json"
    headers: dict[str, str] = Field(default_factory=dict)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str | None = None
    smtp_password_env: str | None = None  # the env var holding the password; never the secret
    smtp_ca_file: str | None = None  # a CA bundle for a private relay's certificate
    sender: str | None = None
    to: list[str] = Field(default_factory=list)
    timeout_s: float = Field(default=5.0, gt=0)
    max_attempts: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _complete(self) -> Route:
        if self.type == "webhook" and not self.url:
            raise ValueError(f"webhook route {self.name!r} needs a url")
        if self.type == "email" and not (self.smtp_host and self.sender and self.to):
            raise ValueError(f"email route {self.name!r} needs smtp_host, sender and to")
        if self.smtp_user and not self.smtp_password_env:
            raise ValueError(f"email route {self.name!r}: smtp_user needs smtp_password_env")
        return self


class Alerts(_Strict):
    rules: list[AlertRule] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    budget_per_month: int = Field(default=4, ge=0)  # notifications a quiet month may send

    @model_validator(mode="after")
    def _routes_exist(self) -> Alerts:
        known = {r.name for r in self.routes} | {"log"}
        for rule in self.rules:
            missing = [r for r in rule.routes if r not in known]
            if missing:
                raise ValueError(f"rule {rule.name!r} names unknown routes {missing}")
        for kind, items in (("rule", self.rules), ("route", self.routes)):
            names = [item.name for item in items]
            if len(names) != len(set(names)):
                raise ValueError(f"{kind} names must be unique")
        return self


class RetrainTrigger(_Strict):
    on_alerts: list[str] = Field(default_factory=list)  # rule names whose firing retrains
    every: str | None = None  # also on a schedule
    manual: bool = True

    _periods = field_validator("every")(_period)


class Retrain(_Strict):
    """Which registered trainer builds a new version from recent labelled traffic."""

    entry_point: str | None = None
    trigger: RetrainTrigger = Field(default_factory=RetrainTrigger)
    data_window: str = "14D"
    min_labelled: int = Field(default=200, ge=1)
    cooldown: str = "1D"

    @field_validator("entry_point")
    @classmethod
    def _entry_point(cls, value: str | None) -> str | None:
        if value is not None and not ENTRY_POINT.match(value):
            raise ValueError(f"{value!r} is not an entry point of the form module:function")
        return value

    _periods = field_validator("data_window", "cooldown")(_period)

    @model_validator(mode="after")
    def _triggers_need_trainer(self) -> Retrain:
        if (self.trigger.on_alerts or self.trigger.every) and self.entry_point is None:
            raise ValueError("a retraining trigger (on_alerts or every) needs an entry_point")
        return self


class Gate(_Strict):
    """When a challenger replaces the champion: better by ``margin`` on ``metric`` with a
    paired test at ``alpha`` on at least ``min_samples`` paired rows. The gate looks again
    on every pass, so it spends ``alpha`` across looks (``steward.checks.paired.sequential_look``):
    the first look, at ``min_samples`` rows, tests at ``alpha / 2``."""

    source: Literal["shadow", "backtest"] = "shadow"
    metric: str | None = None  # default: accuracy (classifiers) or mae (regressors)
    margin: float = Field(default=0.0, ge=0)
    test: Literal["auto", "mcnemar", "bootstrap", "paired_t"] = "auto"
    alpha: float = Field(default=0.05, gt=0, lt=1)
    min_samples: int = Field(default=1000, ge=10)
    auto_promote: bool = True
    retire_rejected: bool = False


class Rollback(_Strict):
    """After a promotion: roll back when ``metric`` degrades beyond ``max_degradation``
    (absolute, versus the previous champion's level) for ``windows`` windows in a row."""

    enabled: bool = True
    metric: str | None = None  # default: error_rate (serving errors) and the gate metric
    max_degradation: float = Field(default=0.05, ge=0)
    windows: int = Field(default=2, ge=1)
    max_error_rate: float = Field(default=0.05, ge=0, le=1)


class Fallback(_Strict):
    version: int | None = Field(default=None, ge=1)  # pinned; else the `fallback` alias
    timeout_ms: float = Field(default=1000, gt=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_window_s: float = Field(default=30, gt=0)
    breaker_reset_s: float = Field(default=10, gt=0)


class MaintenancePlan(_Strict):
    """Everything the monitor needs to keep one model healthy."""

    model: str = Field(min_length=1)
    description: str = ""
    reference: Reference = Field(default_factory=Reference)
    checks: CheckPlan = Field(default_factory=CheckPlan)
    monitor: MonitorSchedule = Field(default_factory=MonitorSchedule)
    alerts: Alerts = Field(default_factory=Alerts)
    retrain: Retrain = Field(default_factory=Retrain)
    gate: Gate = Field(default_factory=Gate)
    rollback: Rollback = Field(default_factory=Rollback)
    fallback: Fallback = Field(default_factory=Fallback)

    @model_validator(mode="after")
    def _triggers_name_rules(self) -> MaintenancePlan:
        rules = {rule.name for rule in self.alerts.rules}
        unknown = [name for name in self.retrain.trigger.on_alerts if name not in rules]
        if unknown:
            raise ValueError(f"retrain.trigger.on_alerts names unknown alert rules {unknown}")
        return self
