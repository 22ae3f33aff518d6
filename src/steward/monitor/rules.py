"""Alert rules as pure functions: which groups a rule is true for, and the state machine.

:func:`evaluate` turns one closed window's findings into one :class:`Evaluation` per group
(by default one per rule and model, so ten drifting features are one alert listing ten
columns; ``group_by`` splits by column and/or check). :func:`step` advances one alert's
state by one window, Prometheus style::

    inactive ─true→ pending ─true × for→ firing ─false × (keep_firing_for + 1)→ resolved
        pending ─false→ inactive          resolved ─true→ a new instance (pending or firing)

``for`` counts consecutive true windows (``for: 1`` fires on the first true window) and a
firing alert resolves on the ``keep_firing_for + 1``-th consecutive false window.

>>> from datetime import datetime, timezone
>>> from steward.plan.schema import AlertRule, Condition
>>> rule = AlertRule(name="drift", when=Condition(check="drift.*"), **{"for": 2})
>>> day = lambda d: datetime(2024, 1, d, tzinfo=timezone.utc)
>>> state, change = step(None, True, day(1), rule)
>>> state.state, change.state
('pending', 'pending')
>>> state, change = step(state, True, day(2), rule)
>>> state.state, change.previous, change.state
('firing', 'pending', 'firing')
"""

from __future__ import annotations

import fnmatch
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from steward.findings import Finding, Verdict
from steward.plan.schema import AlertRule, Condition
from steward.windows import Persistence, sustained_at

PERSISTENCE = "persistence"  # the ``Finding.details`` key: "sustained" | "transient" | "none"
INACTIVE, PENDING, FIRING, RESOLVED = "inactive", "pending", "firing", "resolved"
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Evaluation:
    """One rule for one group in one window: true or not, and the findings that made it."""

    key: str
    group: dict[str, str]
    true: bool
    findings: tuple[Finding, ...] = ()
    value: float | None = None


@dataclass(frozen=True)
class AlertState:
    """Where one alert instance stands; streaks count consecutive windows."""

    state: str = INACTIVE
    true_streak: int = 0
    false_streak: int = 0
    pending_since: datetime | None = None
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    last_true_at: datetime | None = None


@dataclass(frozen=True)
class Transition:
    """A change of state at window end ``at``; the manager fills ``key`` and ``alert_id``."""

    rule: str
    previous: str
    state: str
    at: datetime
    key: str = ""
    alert_id: int | None = None


# --- evaluation -------------------------------------------------------------------------


def evaluate(
    rule: AlertRule, findings: Sequence[Finding], model: str = ""
) -> dict[str, Evaluation]:
    """Group key → :class:`Evaluation` for one window's findings.

    Without ``group_by`` there is always exactly one group (the model), true or false. With
    it, every group that has a finding of the rule's check/column appears, so a group whose
    findings turned ok evaluates false and its alert can resolve.
    """
    scoped = [f for f in findings if _in_scope(rule.when, f)]
    groups: dict[str, list[Finding]] = {}
    labels: dict[str, dict[str, str]] = {}
    if not rule.group_by:
        groups[group_key(model, {})] = scoped
        labels[group_key(model, {})] = {"model": model}
    for finding in scoped if rule.group_by else []:
        parts = _group_parts(rule, finding)
        key = group_key(model, parts)
        groups.setdefault(key, []).append(finding)
        labels[key] = {"model": model, **parts}
    return {key: _judge(rule.when, key, labels[key], found) for key, found in groups.items()}


def group_key(model: str, parts: Mapping[str, str]) -> str:
    """A stable text key: ``model=credit`` or ``model=credit|column=age``."""
    return "|".join([f"model={model}", *(f"{k}={v}" for k, v in sorted(parts.items()))])


def is_sustained(finding: Finding) -> bool:
    """Sustained drift per the windows (``details["persistence"]``) or the events check."""
    details = finding.details
    return details.get(PERSISTENCE) == "sustained" or details.get("kind") == "sustained"


def _group_parts(rule: AlertRule, finding: Finding) -> dict[str, str]:
    values = {"column": finding.column or "-", "check": finding.check}
    return {name: values[name] for name in rule.group_by}


def _in_scope(when: Condition, finding: Finding) -> bool:
    pattern = when.metric if when.metric is not None else when.check
    if not fnmatch.fnmatchcase(finding.check, pattern):
        return False
    if when.column is None:
        return True
    return finding.column is not None and fnmatch.fnmatchcase(finding.column, when.column)


def _judge(when: Condition, key: str, group: dict[str, str], found: list[Finding]) -> Evaluation:
    if when.metric is not None:
        return _judge_metric(when, key, group, found)
    matched = tuple(f for f in found if _matches(when, f))
    return Evaluation(key, group, len(matched) >= when.min_count, matched, float(len(matched)))


def _matches(when: Condition, finding: Finding) -> bool:
    if finding.verdict.value not in when.verdicts:
        return False
    return is_sustained(finding) if when.sustained else True


def _judge_metric(
    when: Condition, key: str, group: dict[str, str], found: list[Finding]
) -> Evaluation:
    measured = [f for f in found if f.statistic is not None]
    compare = _OPS[when.op]
    bound = float(when.value) if when.value is not None else 0.0
    hits = tuple(f for f in measured if compare(float(f.statistic or 0.0), bound))
    shown = hits[0] if hits else (measured[0] if measured else None)
    value = shown.statistic if shown is not None else None
    return Evaluation(key, group, bool(hits), hits, value)


# --- the state machine ------------------------------------------------------------------


def step(
    state: AlertState | None, true: bool, at: datetime, rule: AlertRule
) -> tuple[AlertState, Transition | None]:
    """Advance one alert by one window ending ``at``; the transition is ``None`` if unchanged."""
    current = state or AlertState()
    if current.state in (INACTIVE, RESOLVED):
        nxt = _start(current, at, rule) if true else current
    elif current.state == PENDING:
        nxt = _pending(current, true, at, rule)
    else:
        nxt = _firing(current, true, at, rule)
    if nxt.state == current.state:
        return nxt, None
    return nxt, Transition(rule.name, current.state, nxt.state, at)


def _start(current: AlertState, at: datetime, rule: AlertRule) -> AlertState:
    fresh = AlertState(PENDING, true_streak=1, pending_since=at, last_true_at=at)
    return _maybe_fire(fresh, at, rule)


def _pending(current: AlertState, true: bool, at: datetime, rule: AlertRule) -> AlertState:
    if not true:
        return AlertState(INACTIVE)
    grown = replace(current, true_streak=current.true_streak + 1, last_true_at=at)
    return _maybe_fire(grown, at, rule)


def _maybe_fire(state: AlertState, at: datetime, rule: AlertRule) -> AlertState:
    if state.true_streak >= rule.for_:
        return replace(state, state=FIRING, fired_at=at, false_streak=0)
    return state


def _firing(current: AlertState, true: bool, at: datetime, rule: AlertRule) -> AlertState:
    if true:
        return replace(
            current, true_streak=current.true_streak + 1, false_streak=0, last_true_at=at
        )
    quiet = replace(current, true_streak=0, false_streak=current.false_streak + 1)
    if quiet.false_streak > rule.keep_firing_for:
        return replace(quiet, state=RESOLVED, resolved_at=at)
    return quiet


# --- persistence for online windows -----------------------------------------------------


def annotate_persistence(
    findings: Sequence[Finding],
    previous: Mapping[str, Sequence[bool]],
    rule: Persistence | None = None,
) -> list[Finding]:
    """Mark this window's drift findings ``sustained``/``transient``/``none`` per column.

    ``previous`` holds each column's drift flags (failed or not) for the windows before
    this one, oldest first; the verdict uses the same ``k`` of ``n`` rule as
    :func:`steward.windows.classify`, looking only backwards, so it is valid as windows
    close one by one.
    """
    persistence = rule or Persistence()
    flags = _window_flags(findings)
    labels = {
        column: _label([*previous.get(column, []), drifted], persistence)
        for column, drifted in flags.items()
    }
    return [_with_label(f, labels) for f in findings]


def _window_flags(findings: Sequence[Finding]) -> dict[str, bool]:
    flags: dict[str, bool] = {}
    for finding in findings:
        if finding.family == "drift" and finding.column:
            failed = finding.verdict is Verdict.FAIL
            flags[finding.column] = flags.get(finding.column, False) or failed
    return flags


def _label(series: list[bool], rule: Persistence) -> str:
    if not series[-1]:
        return "none"
    return "sustained" if bool(sustained_at(series, rule)[-1]) else "transient"


def _with_label(finding: Finding, labels: Mapping[str, str]) -> Finding:
    if finding.family != "drift" or finding.column not in labels:
        return finding
    return replace(finding, details={**finding.details, PERSISTENCE: labels[finding.column]})
