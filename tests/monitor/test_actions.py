"""run_actions: alerts and schedules retrain, the gate promotes, rollback undoes; all audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from action_helpers import (
    NAME,
    Setup,
    audits,
    fit_trainer,
    labelled_traffic,
    log_rows,
    setup,
    shadow_traffic,
)
from action_helpers import plan as make_plan
from sqlalchemy import select

from steward.monitor.actions import retrain_trigger, run_actions
from steward.monitor.rollback import _closed_windows
from steward.monitor.trainers import register_trainer, unregister_trainer
from steward.store import Store
from steward.store.tables import AlertRow, FindingRow, JobRow, utcnow

ENTRY = "tests_actions.loop:train"
RULE = {"name": "accuracy-low", "when": {"metric": "performance.accuracy", "value": 0.8}}


@pytest.fixture(autouse=True)
def trainer() -> object:
    register_trainer(ENTRY, fit_trainer)
    yield
    unregister_trainer(ENTRY)


def _plan(entry: str = ENTRY, every: str | None = None):
    return make_plan(
        alerts={"rules": [RULE]},
        monitor={"window": "1h", "lateness": "0s"},
        retrain={
            "entry_point": entry,
            "trigger": {"on_alerts": ["accuracy-low"], "every": every},
            "min_labelled": 100,
            "cooldown": "1h",
        },
        gate={"min_samples": 500},
        rollback={"metric": "accuracy", "windows": 2, "max_degradation": 0.05},
    )


def _firing_alert(store: Store, made: Setup, fired_at: datetime) -> list[int]:
    with store.session() as session:
        findings = [
            FindingRow(
                model_id=made.model_id,
                check="performance.accuracy",
                verdict="fail",
                statistic=0.7,
                body={},
            )
            for _ in range(2)
        ]
        session.add_all(findings)
        session.flush()
        ids = [f.id for f in findings]
        evidence = {"findings": [{"finding_id": i, "check": "performance.accuracy"} for i in ids]}
        session.add(
            AlertRow(
                model_id=made.model_id,
                rule="accuracy-low",
                group_key="",
                state="firing",
                severity="critical",
                fired_at=fired_at,
                evidence=evidence,
            )
        )
    return ids


def test_a_firing_alert_retrains_once(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    now = utcnow()
    labelled_traffic(made, 300, now - timedelta(hours=2))
    finding_ids = _firing_alert(store, made, now - timedelta(minutes=5))
    results = run_actions(store, made.registry, NAME, _plan(), now)
    retrained = [r for r in results if r["action"] == "retrain"]
    assert retrained[0]["state"] == "done" and retrained[0]["version"] == 2
    challenger = made.registry.get(NAME, 2)
    assert challenger.aliases == ("challenger",)
    assert challenger.lineage["trigger"] == "alert:accuracy-low"
    assert challenger.lineage["parent"] == 1
    (audit,) = audits(store, "retrain")
    assert audit.details["evidence"]["finding_ids"] == finding_ids
    gate = [r for r in results if r["action"] == "gate"]
    assert gate[0]["decision"] == "insufficient" and gate[0]["n"] == 0
    # the alert keeps firing, but it fired before the job: no second retrain
    later = run_actions(store, made.registry, NAME, _plan(), now + timedelta(hours=2))
    assert [r for r in later if r["action"] == "retrain"] == []
    with store.session() as session:
        assert len(session.scalars(select(JobRow)).all()) == 1


def test_rules_passed_by_the_pass_trigger_retraining(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    now = utcnow()
    trigger, _ = retrain_trigger(store, NAME, _plan(), now, fired_rules=["accuracy-low", "other"])
    assert trigger == "alert:accuracy-low"
    assert retrain_trigger(store, NAME, _plan(), now, fired_rules=["other"]) == (None, {})
    labelled_traffic(made, 200, now - timedelta(hours=1))
    results = run_actions(store, made.registry, NAME, _plan(), now, fired_rules=["accuracy-low"])
    assert results[0]["action"] == "retrain" and results[0]["state"] == "done"


def test_the_schedule_retrains_when_due(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    now = utcnow()
    labelled_traffic(made, 200, now - timedelta(hours=1))
    assert retrain_trigger(store, NAME, _plan(every="1D"), now) == (None, {})  # just registered
    trigger, evidence = retrain_trigger(store, NAME, _plan(every="1D"), now + timedelta(days=1))
    assert trigger == "schedule:1D" and "since" in evidence
    results = run_actions(store, made.registry, NAME, _plan(every="1D"), now + timedelta(days=1))
    assert results[0]["state"] == "done"
    assert made.registry.get(NAME, 2).lineage["trigger"] == "schedule:1D"
    soon = now + timedelta(days=1, hours=5)  # the job just ran: not due again yet
    assert retrain_trigger(store, NAME, _plan(every="1D"), soon) == (None, {})


def test_a_failing_step_does_not_stop_the_others(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path, challengers=1)
    now = utcnow()
    _firing_alert(store, made, now - timedelta(minutes=1))
    results = run_actions(store, made.registry, NAME, _plan("nobody.registered:this"), now)
    retrained = next(r for r in results if r["action"] == "retrain")
    assert retrained["state"] == "failed" and "is not registered" in retrained["error"]
    assert any(r["action"] == "gate" for r in results)
    (failed,) = audits(store, "retrain.failed")
    assert failed.details["entry_point"] == "nobody.registered:this"


def test_retrain_promote_degrade_roll_back(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    start = utcnow()
    labelled_traffic(made, 300, start - timedelta(hours=3))
    _firing_alert(store, made, start - timedelta(minutes=1))
    run_actions(store, made.registry, NAME, _plan(), start)
    assert made.registry.aliases(NAME)["challenger"] == [2]
    shadow_traffic(made, 1, 2, 1200, 0.80, 0.90, start - timedelta(minutes=50))
    results = run_actions(store, made.registry, NAME, _plan(), start)
    assert [r["decision"] for r in results if r["action"] == "gate"] == ["promote"]
    assert made.registry.aliases(NAME) == {"champion": [2]}
    promoted = made.registry.history(NAME)[-1].at
    windows = _closed_windows(_plan(), promoted, promoted + timedelta(hours=4))
    for window in windows[1:3]:
        _serve(made, 2, window[0] + timedelta(minutes=1), 0.6)
    results = run_actions(store, made.registry, NAME, _plan(), windows[2][1])
    assert results[0]["action"] == "rollback" and results[0]["to_version"] == 1
    assert made.registry.aliases(NAME)["champion"] == [1]
    for action in ("retrain", "gate.promote", "rollback"):
        (row,) = audits(store, action)
        assert row.details, action
    for action in ("gate.promote", "rollback"):
        details = audits(store, action)[0].details
        assert {"statistic", "p_value", "n"} <= set(details)
        assert details["p_value"] is not None and details["n"] > 0


def _serve(made: Setup, version: int, at: datetime, accuracy: float, n: int = 200) -> None:
    rng = np.random.default_rng(version)
    y = rng.integers(0, 2, n)
    outputs = np.where(rng.random(n) < accuracy, y, 1 - y).tolist()
    version_id = made.version_id(version)
    log_rows(made.store, made.model_id, version_id, outputs, at=at, labels=y.tolist())
