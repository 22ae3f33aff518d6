"""The promotion gate on stored traffic: shadow pairs, backtests, actions and their audit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from action_helpers import NAME, audits, frame, log_rows, plan, setup, shadow_traffic
from sklearn.linear_model import LinearRegression
from sqlalchemy import select

from steward.monitor.gate import evaluate_gate, shadow_pairs
from steward.plan.schema import MaintenancePlan
from steward.registry import ModelRegistry
from steward.store import Store
from steward.store.tables import ModelRow, utcnow

EVIDENCE = ("statistic", "p_value", "n", "metrics", "deltas", "method", "decision", "reason")


def _plan(**gate: object):
    return plan(gate={"min_samples": 500, **gate})


def test_better_challenger_is_promoted_with_evidence(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path, challengers=1)
    now = utcnow()
    shadow_traffic(made, 1, 2, 1500, 0.80, 0.90, now - timedelta(hours=1))
    (decision,) = evaluate_gate(store, made.registry, NAME, _plan(), now)
    assert decision.decision == "promote" and decision.method == "mcnemar-chi2"
    # 1500 paired rows, min_samples 500: the look at 1000 rows, at level 0.05 / 4
    assert decision.n == 1000 and decision.alpha == 0.0125
    assert decision.challenger_value > decision.champion_value
    assert (decision.champion_version, decision.challenger_version) == (1, 2)
    assert made.registry.aliases(NAME) == {"champion": [2]}
    event = made.registry.history(NAME)[-1]
    assert (event.action, event.version, event.previous) == ("promote", 2, 1)
    assert "p=" in event.reason and event.actor == "steward-gate"
    (audit,) = audits(store, "gate.promote")
    assert all(audit.details[key] is not None for key in EVIDENCE)
    assert audit.details["n"] == 1000 and audit.details["p_value"] < 0.05
    assert audit.details["source"] == "shadow"
    assert audit.version_id == made.version_id(2)


def test_worse_challenger_is_retired_when_the_plan_says_so(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path, challengers=1)
    now = utcnow()
    shadow_traffic(made, 1, 2, 1000, 0.85, 0.70, now - timedelta(hours=1))
    (decision,) = evaluate_gate(store, made.registry, NAME, _plan(retire_rejected=True), now)
    assert decision.decision == "retire" and decision.worse
    assert made.registry.get(NAME, 2).status == "retired"
    assert made.registry.aliases(NAME) == {"champion": [1]}
    (audit,) = audits(store, "gate.reject")
    assert audit.details["p_value_worse"] < 1e-6 and audit.details["n"] == 1000


def test_worse_challenger_stays_without_retire_rejected(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path, challengers=1)
    now = utcnow()
    shadow_traffic(made, 1, 2, 1000, 0.85, 0.70, now - timedelta(hours=1))
    (decision,) = evaluate_gate(store, made.registry, NAME, _plan(), now)
    assert decision.decision == "keep" and decision.worse
    assert made.registry.aliases(NAME) == {"challenger": [2], "champion": [1]}
    assert len(audits(store, "gate.reject")) == 1


def test_keep_is_audited_once_until_it_changes(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path, challengers=1)
    now = utcnow()
    shadow_traffic(made, 1, 2, 200, 0.8, 0.9, now - timedelta(hours=1))
    for minutes in (0, 10, 20):
        (decision,) = evaluate_gate(
            store, made.registry, NAME, _plan(), now + timedelta(minutes=minutes)
        )
        assert decision.decision == "insufficient"
    (audit,) = audits(store, "gate.keep")
    assert audit.details["n"] == 200 and "needs 500" in audit.details["reason"]
    evaluate_gate(store, made.registry, NAME, _plan(), now + timedelta(hours=25))
    assert len(audits(store, "gate.keep")) == 2  # re-audited after a day
    shadow_traffic(made, 1, 2, 600, 0.8, 0.8, now - timedelta(minutes=30), seed=3)
    (decision,) = evaluate_gate(store, made.registry, NAME, _plan(), now + timedelta(hours=25))
    assert decision.decision == "keep" and decision.n == 500  # the first look: min_samples rows
    assert len(audits(store, "gate.keep")) == 3  # insufficient → keep is a change


def test_no_promotion_without_auto_promote(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path, challengers=1)
    now = utcnow()
    shadow_traffic(made, 1, 2, 1500, 0.80, 0.92, now - timedelta(hours=1))
    (decision,) = evaluate_gate(store, made.registry, NAME, _plan(auto_promote=False), now)
    assert decision.decision == "keep" and decision.details["passed"] is True
    assert "auto_promote is off" in decision.reason
    assert made.registry.aliases(NAME)["champion"] == [1]


def test_only_the_best_of_several_passing_challengers_wins(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path, challengers=2)
    now = utcnow()
    shadow_traffic(made, 1, 2, 1500, 0.75, 0.85, now - timedelta(hours=2), seed=1)
    shadow_traffic(made, 1, 3, 1500, 0.75, 0.95, now - timedelta(hours=1), seed=2)
    decisions = {
        d.challenger_version: d for d in evaluate_gate(store, made.registry, NAME, _plan(), now)
    }
    assert decisions[3].decision == "promote"
    assert decisions[2].decision == "keep" and "v3 improved more" in decisions[2].reason
    assert made.registry.aliases(NAME) == {"challenger": [2], "champion": [3]}


def test_shadow_pairs_only_match_same_request_rows_with_labels(
    store: Store, tmp_path: Path
) -> None:
    made = setup(store, tmp_path, challengers=1)
    at = utcnow() - timedelta(hours=1)
    champion, challenger = made.version_id(1), made.version_id(2)
    ids = log_rows(store, made.model_id, champion, [1, 0, 1], at=at, request="r1", labels=[1, 0, 0])
    log_rows(
        store,
        made.model_id,
        challenger,
        [1, 1, None],
        at=at,
        request="r1",
        role="shadow",
        row_ids=ids,
        errors=[None, None, "timeout"],
    )
    log_rows(store, made.model_id, made.version_id(1), [1], at=at, request="r2")  # no label
    pair = made.registry.get(NAME, 1), made.registry.get(NAME, 2)
    labels, served, shadow, _, _ = shadow_pairs(store, *pair)
    assert sorted(zip(labels, served, shadow, strict=True)) == [(0, 0, 1), (1, 1, 1)]


def test_backtest_rescores_the_challenger_after_its_training_data(
    store: Store, tmp_path: Path
) -> None:
    made = setup(store, tmp_path)
    now = utcnow()
    trained_until = (now - timedelta(hours=3)).isoformat()
    made.register(seed=5, lineage={"trained_until": trained_until})
    made.registry.promote(NAME, 2, "challenger", actor="ann")
    data = frame(seed=9, n=900)
    inputs = data[["x1", "x2"]].to_dict("records")
    coin = (data.index % 2).to_numpy()  # the champion answered at random
    log_rows(
        store,
        made.model_id,
        made.version_id(1),
        coin.tolist(),
        at=now - timedelta(hours=2),
        labels=data.y.tolist(),
        inputs=inputs,
    )
    old = frame(seed=10, n=300)  # served before the challenger's data ended: not used
    log_rows(
        store,
        made.model_id,
        made.version_id(1),
        old.y.tolist(),
        at=now - timedelta(hours=5),
        labels=old.y.tolist(),
        inputs=old[["x1", "x2"]].to_dict("records"),
    )
    (decision,) = evaluate_gate(store, made.registry, NAME, _plan(source="backtest"), now)
    assert decision.n == 500  # first look of the 900 rows after training
    assert decision.challenger_value > 0.8 and decision.champion_value == pytest.approx(
        0.5, abs=0.06
    )
    assert decision.decision == "promote"
    assert audits(store, "gate.promote")[0].details["source"] == "backtest"


def test_regressor_gate_uses_the_paired_test_on_errors(store: Store, tmp_path: Path) -> None:
    registry = ModelRegistry(store)
    data = frame(0)
    for version in (1, 2):
        path = tmp_path / f"reg{version}.skops"
        sio.dump(LinearRegression().fit(data[["x1"]], data.x2), path)
        registry.register("price", path, reference=data[["x1", "x2"]], target="x2", actor="ann")
    registry.promote("price", 1, "champion", actor="ann")
    registry.promote("price", 2, "challenger", actor="ann")
    with store.session() as session:
        model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == "price"))
    rng = np.random.default_rng(4)
    y = rng.normal(100, 10, 800)
    at = utcnow() - timedelta(hours=1)
    champion, challenger = registry.get("price", 1).id, registry.get("price", 2).id
    ids = log_rows(
        store,
        model_id,
        champion,
        (y + rng.normal(0, 5, 800)).tolist(),
        at=at,
        labels=y.tolist(),
        request="q",
    )
    log_rows(
        store,
        model_id,
        challenger,
        (y + rng.normal(0, 3, 800)).tolist(),
        at=at,
        role="shadow",
        request="q",
        row_ids=ids,
    )
    price_plan = MaintenancePlan.model_validate({"model": "price", "gate": {"min_samples": 500}})
    (decision,) = evaluate_gate(store, registry, "price", price_plan, utcnow())
    assert decision.method == "paired-t" and decision.metric == "mae"
    assert decision.decision == "promote" and decision.details["wilcoxon_p"] < 0.05
    assert registry.aliases("price")["champion"] == [2]
