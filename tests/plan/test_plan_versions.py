"""Plans are versioned in the store: idempotent apply, ordered history, audit records."""

from __future__ import annotations

from datetime import timezone

import pytest
from sqlalchemy import select

from steward._exceptions import NotFound, PlanError
from steward.plan.versions import PlanVersion, apply_plan, current_plan, get_plan, plan_history
from steward.store import Store
from steward.store.tables import AuditRow, ModelRow, PlanRow

V1 = "model: credit\nmonitor: {window: 1W}\n"
V2 = "model: credit\nmonitor: {window: 1D}\ngate: {margin: 0.02}\n"


@pytest.fixture
def credit(store: Store) -> Store:
    with store.session() as session:
        session.add(ModelRow(name="credit", created_by="ana"))
        session.add(ModelRow(name="fraud", created_by="ana"))
    return store


def test_apply_twice_is_one_version(credit: Store) -> None:
    first = apply_plan(credit, V1, actor="ana")
    again = apply_plan(credit, V1, actor="bob")
    assert again == first
    assert (first.model, first.version, first.created_by) == ("credit", 1, "ana")
    assert [v.version for v in plan_history(credit, "credit")] == [1]


def test_a_change_is_a_new_version_and_history_is_ordered(credit: Store) -> None:
    apply_plan(credit, V1, actor="ana")
    second = apply_plan(credit, V2, actor="bob")
    third = apply_plan(credit, V1, actor="ana")  # going back is a change too
    assert (second.version, third.version) == (2, 3)
    history = plan_history(credit, "credit")
    assert [(v.version, v.created_by) for v in history] == [(1, "ana"), (2, "bob"), (3, "ana")]
    assert [v.plan.monitor.window for v in history] == ["1W", "1D", "1W"]
    assert history[0].created_at <= history[1].created_at <= history[2].created_at
    assert current_plan(credit, "credit") == history[-1]


def test_stored_version_keeps_source_body_and_digest(credit: Store) -> None:
    import hashlib

    stored = apply_plan(credit, V2, actor="ana")
    assert isinstance(stored, PlanVersion)
    assert stored.source == V2
    assert stored.sha256 == hashlib.sha256(V2.encode()).hexdigest()
    assert stored.plan.gate.margin == 0.02
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timezone.utc.utcoffset(None)
    with credit.session() as session:
        row = session.scalars(select(PlanRow)).one()
    assert row.body["gate"]["margin"] == 0.02
    assert row.body["monitor"]["window"] == "1D"
    assert row.body["monitor"]["every"] == "1h"  # defaults filled in


def test_get_plan_returns_any_version(credit: Store) -> None:
    apply_plan(credit, V1, actor="ana")
    apply_plan(credit, V2, actor="ana")
    assert get_plan(credit, "credit", 1).source == V1
    assert get_plan(credit, "credit", 2).source == V2
    with pytest.raises(NotFound, match="model 'credit' has no plan version 3"):
        get_plan(credit, "credit", 3)


def test_versions_are_per_model(credit: Store) -> None:
    apply_plan(credit, V1, actor="ana")
    apply_plan(credit, V2, actor="ana")
    fraud = apply_plan(credit, "model: fraud\n", actor="ana")
    assert fraud.version == 1
    assert current_plan(credit, "fraud") == fraud
    assert current_plan(credit, "credit").version == 2


def test_model_without_plan_has_no_current_plan(credit: Store) -> None:
    assert current_plan(credit, "fraud") is None
    assert plan_history(credit, "fraud") == []


def test_unknown_model_is_not_found(credit: Store) -> None:
    with pytest.raises(NotFound, match="model 'churn' is not registered"):
        apply_plan(credit, "model: churn\n", actor="ana")
    for read in (current_plan, plan_history):
        with pytest.raises(NotFound, match="'churn'"):
            read(credit, "churn")
    with credit.session() as session:
        assert session.scalars(select(PlanRow)).all() == []


def test_model_option_must_match_the_plan(credit: Store) -> None:
    with pytest.raises(PlanError, match="the plan is for model 'credit', not 'fraud'"):
        apply_plan(credit, V1, actor="ana", model="fraud")
    assert apply_plan(credit, V1, actor="ana", model="credit").version == 1


def test_invalid_plan_is_not_stored(credit: Store) -> None:
    with pytest.raises(PlanError, match=r"plan.yaml:2:19: monitor.window: "):
        apply_plan(
            credit, "model: credit\nmonitor: {window: soon}\n", actor="a", filename="plan.yaml"
        )
    assert plan_history(credit, "credit") == []


def test_each_new_version_is_audited(credit: Store) -> None:
    apply_plan(credit, V1, actor="ana")
    apply_plan(credit, V1, actor="ana")
    apply_plan(credit, V2, actor="bob")
    with credit.session() as session:
        model_id = session.scalars(select(ModelRow.id).where(ModelRow.name == "credit")).one()
        rows = session.scalars(select(AuditRow).order_by(AuditRow.id)).all()
    digest2 = plan_history(credit, "credit")[1].sha256
    assert [(r.action, r.actor, r.model_id) for r in rows] == [
        ("plan.apply", "ana", model_id),
        ("plan.apply", "bob", model_id),
    ]
    assert rows[0].details["plan_version"] == 1
    assert "previous_version" not in rows[0].details
    assert rows[1].details == {"plan_version": 2, "sha256": digest2, "previous_version": 1}
