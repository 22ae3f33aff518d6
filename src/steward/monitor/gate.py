"""The promotion gate: compare each challenger with the champion on the same rows, then act.

Two sources of paired rows (the plan's ``gate.source``):

- ``shadow`` — requests the champion served (``role=champion``) that the challenger also
  answered in shadow (``role=shadow``, same ``request_id`` and ``row_index``), with a label;
- ``backtest`` — labelled rows the champion served *after* the challenger's training data
  ended (``lineage.trained_until``, so the test is out of sample), re-scored by the
  challenger through the registry's loader.

:func:`steward.checks.paired.decide` gives the verdict. A passing challenger becomes the
champion when ``auto_promote`` (if several pass, the largest improvement wins); one that is
significantly worse is retired when ``retire_rejected``; otherwise it stays a challenger.
Every outcome is audited (``gate.promote``, ``gate.reject``, ``gate.keep``) with its
evidence; an unchanged ``keep`` is audited again only after :data:`REAUDIT_AFTER`, so a
pass every few minutes does not flood the log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.checks.paired import GateDecision, decide, sequential_look
from steward.plan.schema import MaintenancePlan
from steward.registry.versions import ModelRegistry, ModelVersion
from steward.store import Store
from steward.store.tables import (
    AuditRow,
    LabelRow,
    ModelRow,
    PredictionRow,
    VersionRow,
    utcnow,
)

ACTOR = "steward-gate"
MAX_ROWS = 200_000  # newest paired rows a gate reads
REAUDIT_AFTER = timedelta(hours=24)
Paired = tuple[list[Any], list[Any], list[Any], list[Any] | None, list[Any] | None]


def evaluate_gate(
    store: Store,
    registry: ModelRegistry,
    name: str,
    plan: MaintenancePlan,
    now: datetime | None = None,
    *,
    actor: str = ACTOR,
) -> list[GateDecision]:
    """Decide on every challenger of ``name``, act on the decisions, audit them."""
    now = now or utcnow()
    challengers = registry.resolve(name, "challenger")
    champions = registry.resolve(name, "champion")
    if not challengers:
        return []
    decisions = [_judge(store, registry, name, plan, champions, c) for c in challengers]
    decisions = _one_winner(decisions, plan)
    for decision in decisions:
        _act(store, registry, name, plan, decision, now, actor)
    return decisions


# --- judging ---------------------------------------------------------------------------------


def _judge(
    store: Store,
    registry: ModelRegistry,
    name: str,
    plan: MaintenancePlan,
    champions: list[ModelVersion],
    challenger: ModelVersion,
) -> GateDecision:
    if not champions:
        return _undecided(plan, challenger, None, "there is no champion to compare with")
    champion = champions[0]
    task = champion.task if champion.task != "unknown" else challenger.task
    if task not in ("classification", "regression"):
        return _undecided(plan, challenger, champion, f"task {task!r} cannot be compared")
    if plan.gate.source == "shadow":
        rows = shadow_pairs(store, champion, challenger)
    else:
        rows = backtest_pairs(store, registry, name, champion, challenger)
    decision = _decide(task, plan, champion, challenger, rows)
    return replace(
        decision, champion_version=champion.version, challenger_version=challenger.version
    )


def _decide(
    task: str,
    plan: MaintenancePlan,
    champion: ModelVersion,
    challenger: ModelVersion,
    rows: Paired,
) -> GateDecision:
    rows, gate = _look(rows, plan)
    labels, champ, chall, champ_scores, chall_scores = rows
    norm = as_class if task == "classification" else as_number
    classes = [norm(c) for c in champion.classes] if champion.classes else None
    return decide(
        task,
        plan.gate.metric,
        np.array([norm(v) for v in labels], dtype=object if norm is as_class else float),
        np.array([norm(v) for v in champ], dtype=object if norm is as_class else float),
        np.array([norm(v) for v in chall], dtype=object if norm is as_class else float),
        _scores(champ_scores),
        _scores(_reorder(chall_scores, challenger.classes, champion.classes)),
        gate,
        classes=classes,
    )


def _look(rows: Paired, plan: MaintenancePlan) -> tuple[Paired, Any]:
    """The oldest rows of this look and its spent level (see ``sequential_look``)."""
    n = len(rows[0])
    used, alpha = sequential_look(n, plan.gate.min_samples, plan.gate.alpha)
    if n < plan.gate.min_samples:
        return rows, plan.gate
    # rows come newest first: this look's rows are the oldest ``used`` ones
    cut = tuple(None if column is None else column[n - used :] for column in rows)
    return cut, plan.gate.model_copy(update={"alpha": alpha})  # type: ignore[return-value]


def _undecided(
    plan: MaintenancePlan,
    challenger: ModelVersion,
    champion: ModelVersion | None,
    reason: str,
) -> GateDecision:
    gate = plan.gate
    return GateDecision(
        decision="insufficient",
        reason=reason,
        metric=gate.metric or "",
        method=None,
        statistic=None,
        p_value=None,
        p_value_worse=None,
        n=0,
        champion_value=None,
        challenger_value=None,
        delta=None,
        improvement=None,
        margin=gate.margin,
        alpha=gate.alpha,
        min_samples=gate.min_samples,
        champion_version=champion.version if champion else None,
        challenger_version=challenger.version,
    )


def _one_winner(decisions: list[GateDecision], plan: MaintenancePlan) -> list[GateDecision]:
    """At most one promotion per pass: the passing challenger that improves most."""
    passing = [d for d in decisions if d.decision == "promote"]
    if not passing:
        return decisions
    if not plan.gate.auto_promote:
        note = "; it passes the gate but gate.auto_promote is off"
        return [_kept(d, note) if d.decision == "promote" else d for d in decisions]
    best = max(passing, key=lambda d: d.improvement or 0.0)
    note = f"; v{best.challenger_version} improved more and was promoted"
    return [d if d is best or d.decision != "promote" else _kept(d, note) for d in decisions]


def _kept(decision: GateDecision, note: str) -> GateDecision:
    details = {**decision.details, "passed": True}
    return replace(decision, decision="keep", reason=decision.reason + note, details=details)


# --- paired rows -----------------------------------------------------------------------------


def shadow_pairs(store: Store, champion: ModelVersion, challenger: ModelVersion) -> Paired:
    """Labelled rows both answered: the champion serving, the challenger in shadow."""
    from steward.monitor.shadow import paired_rows

    with store.session() as session:
        found = paired_rows(
            session, challenger.id, champion_id=champion.id, labelled=True, newest=MAX_ROWS
        )
    rows = [(y, c, s, c_scores, s_scores) for c, s, y, c_scores, s_scores in found]
    return _columns([r for r in rows if _complete(r[0], r[1], r[2])])


def backtest_pairs(
    store: Store,
    registry: ModelRegistry,
    name: str,
    champion: ModelVersion,
    challenger: ModelVersion,
) -> Paired:
    """Labelled served rows after the challenger's training data, re-scored by it."""
    query = (
        select(LabelRow.label, PredictionRow.output, PredictionRow.scores, PredictionRow.inputs)
        .join(
            LabelRow,
            (LabelRow.model_id == PredictionRow.model_id)
            & (LabelRow.row_id == PredictionRow.row_id),
        )
        .where(
            PredictionRow.version_id == champion.id,
            PredictionRow.role == "champion",
            PredictionRow.error.is_(None),
        )
        .order_by(PredictionRow.created_at.desc(), PredictionRow.id.desc())
        .limit(MAX_ROWS)
    )
    until = challenger.lineage.get("trained_until")
    if until:
        query = query.where(PredictionRow.created_at > datetime.fromisoformat(until))
    with store.session() as session:
        rows = [r for r in session.execute(query) if _complete(r[0], r[1], True)]
    if not rows:
        return [], [], [], None, None
    predictions, scores = _rescore(registry, name, challenger, [r[3] for r in rows])
    labels, served = [r[0] for r in rows], [r[1] for r in rows]
    return labels, served, predictions, _maybe([r[2] for r in rows]), scores


def _rescore(
    registry: ModelRegistry, name: str, challenger: ModelVersion, inputs: list[dict[str, Any]]
) -> tuple[list[Any], list[Any] | None]:
    model = registry.load(name, challenger.version)
    table = pa.table({f: pa.array([row.get(f) for row in inputs]) for f in challenger.features})
    result = model.predict(table)
    scores = result.scores.tolist() if result.scores is not None else None
    return [_plain(v) for v in result.predictions], scores


def _columns(rows: list[Any]) -> Paired:
    labels = [r[0] for r in rows]
    champ, chall = [r[1] for r in rows], [r[2] for r in rows]
    return labels, champ, chall, _maybe([r[3] for r in rows]), _maybe([r[4] for r in rows])


def _maybe(scores: list[Any]) -> list[Any] | None:
    return scores if scores and all(s is not None for s in scores) else None


def _complete(*values: Any) -> bool:
    return all(v is not None for v in values)


# --- values ----------------------------------------------------------------------------------


def as_class(value: Any) -> Any:
    """Labels and predictions compare as strings, so ``1``, ``1.0`` and ``"1"`` agree."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def as_number(value: Any) -> float:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _scores(scores: list[Any] | None) -> np.ndarray | None:
    if scores is None:
        return None
    try:
        return np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        return None


def _reorder(
    scores: list[Any] | None, own: list[Any] | None, target: list[Any] | None
) -> list[Any] | None:
    """The challenger's score columns in the champion's class order."""
    if scores is None or not own or not target or list(own) == list(target):
        return scores
    position = {str(c): i for i, c in enumerate(own)}
    if any(str(c) not in position for c in target):
        return None
    order = [position[str(c)] for c in target]
    return [[row[i] for i in order] for row in scores]


# --- acting and auditing ---------------------------------------------------------------------


def _act(
    store: Store,
    registry: ModelRegistry,
    name: str,
    plan: MaintenancePlan,
    decision: GateDecision,
    now: datetime,
    actor: str,
) -> None:
    action = _audit_action(decision)
    if decision.decision == "promote":
        reason = f"gate: {decision.reason}"
        registry.promote(name, decision.challenger_version, "champion", actor=actor, reason=reason)
    elif decision.decision == "retire":
        reason = f"gate rejected: {decision.reason}"
        registry.retire(name, decision.challenger_version, actor=actor, reason=reason)
    _audit(store, name, plan, decision, action, now, actor)


def _audit_action(decision: GateDecision) -> str:
    if decision.decision == "promote":
        return "gate.promote"
    if decision.decision == "retire" or decision.worse:
        return "gate.reject"
    return "gate.keep"


def _audit(
    store: Store,
    name: str,
    plan: MaintenancePlan,
    decision: GateDecision,
    action: str,
    now: datetime,
    actor: str,
) -> None:
    evidence = {**decision.evidence(), "source": plan.gate.source, "test": plan.gate.test}
    with store.session() as session:
        model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
        version_id = _version_id(session, model_id, decision.challenger_version)
        if action != "gate.promote" and _recent_same(
            session, model_id, version_id, action, decision, now
        ):
            return
        session.add(
            AuditRow(
                actor=actor,
                action=action,
                model_id=model_id,
                version_id=version_id,
                details=evidence,
                at=now,
            )
        )


def _version_id(session: Session, model_id: int | None, version: int | None) -> int | None:
    return session.scalar(
        select(VersionRow.id).where(VersionRow.model_id == model_id, VersionRow.version == version)
    )


def _last(session: Session, model_id: int | None, version_id: int | None) -> AuditRow | None:
    query = (
        select(AuditRow)
        .where(
            AuditRow.model_id == model_id,
            AuditRow.version_id == version_id,
            AuditRow.action.like("gate.%"),
        )
        .order_by(AuditRow.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def _recent_same(
    session: Session,
    model_id: int | None,
    version_id: int | None,
    action: str,
    decision: GateDecision,
    now: datetime,
) -> bool:
    """The same outcome was audited for this challenger less than REAUDIT_AFTER ago."""
    last = _last(session, model_id, version_id)
    if last is None or last.action != action:
        return False
    same = (last.details or {}).get("decision") == decision.decision
    return same and now - last.at < REAUDIT_AFTER
