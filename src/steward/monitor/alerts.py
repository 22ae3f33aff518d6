"""Alert state in the store: rules evaluated per closed window, silences, and the outbox.

:class:`AlertManager` runs every rule of a model's plan over one closed window's findings,
advances each alert's state machine (:func:`steward.monitor.rules.step`) and, in the same
transaction, puts one message per route into the outbox when an alert starts firing or
resolves. The outbox key ``alert:state:fired_at:route`` is unique, so one alert state is
queued once per route however often a window is processed; a window at or before the
last one an alert saw is ignored, so processing a window twice changes nothing.

While a silence covers the model (and rule), the message is recorded in the outbox as
``silenced`` and never sent; the alert's state still advances.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from steward._exceptions import InputError
from steward.findings import Finding
from steward.monitor.rules import (
    FIRING,
    PENDING,
    RESOLVED,
    AlertState,
    Evaluation,
    Transition,
    evaluate,
    step,
)
from steward.plan.schema import AlertRule, MaintenancePlan
from steward.store import Store
from steward.store.tables import AlertRow, AuditRow, OutboxRow, SilenceRow, utcnow

Clock = Callable[[], datetime]
MAX_EVIDENCE = 50  # findings listed per alert; the rest are counted


@dataclass(frozen=True)
class ActiveAlert:
    """A pending or firing alert as callers see it."""

    id: int
    rule: str
    group_key: str
    state: str
    severity: str
    pending_since: datetime | None
    fired_at: datetime | None
    summary: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class _Window:
    model_id: int
    model: str
    end: datetime
    now: datetime
    ids: dict[int, int | None]  # id(finding) → stored finding id


class AlertManager:
    """Evaluates alert rules per closed window and queues notifications in the outbox.

    >>> import tempfile, pathlib
    >>> from steward.store import Store
    >>> store = Store.open(f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 's.db'}")
    >>> AlertManager(store).active_alerts(1)
    []
    """

    def __init__(self, store: Store, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    def process(
        self,
        model_id: int,
        model_name: str,
        plan: MaintenancePlan,
        window_end: datetime,
        findings: list[Finding],
        finding_ids: list[int] | None = None,
    ) -> list[Transition]:
        """Run every rule of ``plan`` on the findings of the window ending ``window_end``."""
        ids = _ids(findings, finding_ids)
        window = _Window(model_id, model_name, window_end, self.clock(), ids)
        changes: list[Transition] = []
        with self.store.session() as session:
            silenced = _silenced_rules(session, model_id, window.now)
            for rule in plan.alerts.rules:
                muted = None in silenced or rule.name in silenced
                changes += _process_rule(session, rule, findings, window, muted)
        return changes

    def silence(
        self,
        model_id: int | None,
        rule: str | None,
        until: datetime,
        actor: str,
        reason: str = "",
        starts_at: datetime | None = None,
    ) -> int:
        """Mute notifications of ``rule`` (``None``: every rule) until ``until``; audited."""
        start = starts_at or self.clock()
        if until <= start:
            raise InputError(f"a silence must end after it starts ({start.isoformat()})")
        with self.store.session() as session:
            row = SilenceRow(
                model_id=model_id,
                rule=rule,
                starts_at=start,
                ends_at=until,
                created_by=actor,
                reason=reason,
            )
            session.add(row)
            session.flush()
            session.add(_silence_audit(row))
            return row.id

    def active_alerts(self, model_id: int) -> list[ActiveAlert]:
        """Pending and firing alerts of one model, oldest first."""
        query = (
            select(AlertRow)
            .where(AlertRow.model_id == model_id, AlertRow.state.in_([PENDING, FIRING]))
            .order_by(AlertRow.id)
        )
        with self.store.session() as session:
            return [_active(row) for row in session.scalars(query)]


# --- one rule ----------------------------------------------------------------------------


def _process_rule(
    session: Session, rule: AlertRule, findings: list[Finding], window: _Window, muted: bool
) -> list[Transition]:
    evaluations = evaluate(rule, findings, model=window.model)
    rows = _latest_rows(session, window.model_id, rule.name)
    open_keys = {key for key, row in rows.items() if row.state in (PENDING, FIRING)}
    changes = []
    for key in sorted(set(evaluations) | open_keys):
        evaluation = evaluations.get(key) or Evaluation(key, {"model": window.model}, False)
        change = _advance(session, rule, evaluation, rows.get(key), window, muted)
        if change is not None:
            changes.append(change)
    return changes


def _advance(
    session: Session,
    rule: AlertRule,
    evaluation: Evaluation,
    row: AlertRow | None,
    window: _Window,
    muted: bool,
) -> Transition | None:
    if row is not None and row.window_end is not None and window.end <= row.window_end:
        return None  # this window (or a later one) was already processed
    if row is None and not evaluation.true:
        return None
    state, change = step(_state(row), evaluation.true, window.end, rule)
    if row is None or (row.state == RESOLVED and state.state != RESOLVED):
        row = _new_row(session, rule, evaluation.key, window)
    _save(row, state, rule, evaluation, window)
    session.flush()
    if change is None:
        return None
    change = replace(change, key=evaluation.key, alert_id=row.id)
    if change.state in (FIRING, RESOLVED):
        _enqueue(session, rule, row, window, muted)
    return change


def raise_alert(
    session: Session,
    *,
    model_id: int,
    model: str,
    rule: AlertRule,
    group_key: str,
    summary: str,
    evidence: dict[str, Any],
    now: datetime,
) -> int:
    """Fire an alert that an action raised rather than a rule's evaluation (for example an
    automatic rollback), in ``session``: its messages take the same outbox path, keys,
    payload and silences as rule alerts. Returns the alert's id."""
    row = AlertRow(
        model_id=model_id,
        rule=rule.name,
        group_key=group_key,
        state=FIRING,
        severity=rule.severity,
        pending_since=now,
        fired_at=now,
        last_true_at=now,
        evaluations=1,
        summary=summary,
        evidence=evidence,
        updated_at=now,
        true_streak=1,
        false_streak=0,
        window_end=now,
    )
    session.add(row)
    session.flush()
    silenced = _silenced_rules(session, model_id, now)
    muted = None in silenced or rule.name in silenced
    _enqueue(session, rule, row, _Window(model_id, model, now, now, {}), muted)
    return row.id


def _latest_rows(session: Session, model_id: int, rule: str) -> dict[str, AlertRow]:
    query = (
        select(AlertRow)
        .where(AlertRow.model_id == model_id, AlertRow.rule == rule)
        .order_by(AlertRow.id)
        .with_for_update()
    )
    return {row.group_key: row for row in session.scalars(query)}


def _state(row: AlertRow | None) -> AlertState | None:
    if row is None:
        return None
    return AlertState(
        state=row.state,
        true_streak=row.true_streak,
        false_streak=row.false_streak,
        pending_since=row.pending_since,
        fired_at=row.fired_at,
        resolved_at=row.resolved_at,
        last_true_at=row.last_true_at,
    )


def _new_row(session: Session, rule: AlertRule, key: str, window: _Window) -> AlertRow:
    row = AlertRow(
        model_id=window.model_id,
        rule=rule.name,
        group_key=key,
        state=PENDING,
        severity=rule.severity,
        evaluations=0,
        evidence={},
    )
    session.add(row)
    return row


def _save(
    row: AlertRow, state: AlertState, rule: AlertRule, evaluation: Evaluation, window: _Window
) -> None:
    row.state = state.state
    row.true_streak = state.true_streak
    row.false_streak = state.false_streak
    row.pending_since = state.pending_since
    row.fired_at = state.fired_at
    row.resolved_at = state.resolved_at
    row.last_true_at = state.last_true_at
    row.severity = rule.severity
    row.evaluations = (row.evaluations or 0) + 1
    row.window_end = window.end
    row.updated_at = window.now
    if evaluation.true:
        row.evidence = _evidence(evaluation, window)
        row.summary = _summary(rule, evaluation, window.model)


# --- evidence, summary, outbox -------------------------------------------------------------


def _evidence(evaluation: Evaluation, window: _Window) -> dict[str, Any]:
    found = evaluation.findings
    listed = [_finding_brief(f, window.ids.get(id(f))) for f in found[:MAX_EVIDENCE]]
    return {
        "group": evaluation.group,
        "window_end": window.end.isoformat(),
        "value": evaluation.value,
        "columns": sorted({f.column for f in found if f.column}),
        "checks": sorted({f.check for f in found}),
        "findings": listed,
        "more": max(0, len(found) - MAX_EVIDENCE),
    }


def _finding_brief(finding: Finding, finding_id: int | None) -> dict[str, Any]:
    data = finding.to_dict()
    keys = ("check", "column", "verdict", "statistic", "p_value", "effect_size", "message")
    return {**{k: data[k] for k in keys}, "finding_id": finding_id}


def _summary(rule: AlertRule, evaluation: Evaluation, model: str) -> str:
    columns = sorted({f.column for f in evaluation.findings if f.column})
    fields = {
        "model": model,
        "rule": rule.name,
        "count": len(evaluation.findings),
        "columns": ", ".join(columns),
        "value": evaluation.value,
    }
    if rule.summary:
        return rule.summary.format_map(_Blank(fields))
    where = f" on {fields['columns']}" if columns else ""
    return f"{rule.name} on model {model}: {len(evaluation.findings)} finding(s){where}"


class _Blank(dict[str, Any]):
    """Unknown ``{names}`` in a rule's summary stay as written instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _enqueue(
    session: Session,
    rule: AlertRule,
    row: AlertRow,
    window: _Window,
    muted: bool,
) -> None:
    fired = row.fired_at.isoformat() if row.fired_at else ""
    for route in rule.routes:
        key = f"{row.id}:{row.state}:{fired}:{route}"
        if session.scalar(select(OutboxRow.id).where(OutboxRow.key == key)) is not None:
            continue
        session.add(
            OutboxRow(
                key=key,
                alert_id=row.id,
                route=route,
                payload=_payload(key, rule, row, window),
                state="silenced" if muted else "pending",
                attempts=0,
                next_attempt_at=window.now,
                created_at=window.now,
                last_error="silenced" if muted else None,
            )
        )


def _payload(key: str, rule: AlertRule, row: AlertRow, window: _Window) -> dict[str, Any]:
    group = (row.evidence or {}).get("group") or {"model": window.model}
    return {
        "id": key,
        "status": row.state,
        "model": window.model,
        "rule": rule.name,
        "severity": rule.severity,
        "summary": row.summary,
        "group": group,
        "fired_at": row.fired_at.isoformat() if row.fired_at else None,
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
        "evidence": row.evidence,
        "alert_id": row.id,
    }


# --- silences ----------------------------------------------------------------------------


def _silenced_rules(session: Session, model_id: int, now: datetime) -> set[str | None]:
    """Rules muted now for this model; ``None`` in the set means every rule."""
    query = select(SilenceRow.rule).where(
        or_(SilenceRow.model_id == model_id, SilenceRow.model_id.is_(None)),
        SilenceRow.starts_at <= now,
        SilenceRow.ends_at > now,
    )
    return set(session.scalars(query))


def _silence_audit(row: SilenceRow) -> AuditRow:
    return AuditRow(
        actor=row.created_by,
        action="alert.silence",
        model_id=row.model_id,
        details={
            "silence_id": row.id,
            "rule": row.rule,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
            "reason": row.reason,
        },
    )


# --- small helpers -------------------------------------------------------------------------


def _ids(findings: Sequence[Finding], finding_ids: Sequence[int] | None) -> dict[int, int | None]:
    if finding_ids is None:
        return {}
    if len(finding_ids) != len(findings):
        raise InputError(f"{len(finding_ids)} finding ids for {len(findings)} findings")
    return {id(f): fid for f, fid in zip(findings, finding_ids, strict=True)}


def _active(row: AlertRow) -> ActiveAlert:
    return ActiveAlert(
        id=row.id,
        rule=row.rule,
        group_key=row.group_key,
        state=row.state,
        severity=row.severity,
        pending_since=row.pending_since,
        fired_at=row.fired_at,
        summary=row.summary,
        evidence=row.evidence,
    )
