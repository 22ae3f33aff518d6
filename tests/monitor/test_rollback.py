"""Automatic rollback: sustained degradation after a promotion rolls back and alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from action_helpers import NAME, Setup, audits, log_rows, plan, setup
from sqlalchemy import select

from steward.monitor.rollback import _closed_windows, check_rollback
from steward.store import Store
from steward.store.tables import AlertRow, OutboxRow, SilenceRow

ROUTES = [{"name": "team", "type": "webhook", "url": "http://127.0.0.1:9/hook"}]


def _plan(**rollback: object):
    return plan(
        monitor={"window": "1h", "lateness": "0s"},
        rollback={"metric": "accuracy", "max_degradation": 0.05, "windows": 2, **rollback},
        alerts={"routes": ROUTES},
    )


def _promoted(store: Store, tmp_path: Path) -> tuple[Setup, datetime, list]:
    """v1 served at 90% accuracy before v2 was promoted; the windows after the promotion."""
    made = setup(store, tmp_path)
    made.register(seed=1)
    made.registry.promote(NAME, 2, "champion", actor="ann")
    promoted = made.registry.history(NAME)[-1].at
    _serve(made, 1, promoted - timedelta(hours=3), accuracy=0.9, n=400)
    windows = _closed_windows(_plan(), promoted, promoted + timedelta(hours=4))
    return made, promoted, windows


def _serve(
    made: Setup, version: int, at: datetime, accuracy: float, n: int = 200, errors: float = 0.0
) -> None:
    rng = np.random.default_rng(int(at.timestamp()) % 1000 + version)
    y = rng.integers(0, 2, n)
    outputs = np.where(rng.random(n) < accuracy, y, 1 - y).tolist()
    failed = [("boom" if rng.random() < errors else None) for _ in range(n)]
    log_rows(
        made.store,
        made.model_id,
        made.version_id(version),
        outputs,
        at=at,
        labels=y.tolist(),
        errors=failed,
    )


def _in(window: tuple[datetime, datetime]) -> datetime:
    return window[0] + timedelta(minutes=1)


def test_sustained_degradation_rolls_back_and_alerts(store: Store, tmp_path: Path) -> None:
    made, _, windows = _promoted(store, tmp_path)
    for window in windows[1:3]:
        _serve(made, 2, _in(window), accuracy=0.75)
    decision = check_rollback(store, made.registry, NAME, _plan(), windows[2][1])
    assert decision is not None
    assert (decision.from_version, decision.to_version) == (2, 1)
    assert made.registry.aliases(NAME) == {"champion": [1]}
    event = made.registry.history(NAME)[-1]
    assert event.action == "rollback" and "accuracy" in event.reason
    (audit,) = audits(store, "rollback")
    details = audit.details
    assert details["trigger"] == "metric" and details["metric"] == "accuracy"
    assert details["n"] == 400 and details["baseline_n"] == 400
    assert details["statistic"] < 0 and details["p_value"] < 1e-3
    assert details["baseline"]["metric"] > 0.85
    assert [w["degraded"] for w in details["windows"]] == ["accuracy", "accuracy"]
    assert all(w["metric"] < 0.82 for w in details["windows"])
    with store.session() as session:
        alert = session.scalar(select(AlertRow))
        routes = sorted(session.scalars(select(OutboxRow.route)))
        states = set(session.scalars(select(OutboxRow.state)))
    assert (alert.rule, alert.state, alert.severity) == ("auto-rollback", "firing", "critical")
    assert alert.id == decision.alert_id and alert.evidence["from_version"] == 2
    assert routes == ["log", "team"] and states == {"pending"}
    # rolled back already: nothing more to do
    assert check_rollback(store, made.registry, NAME, _plan(), windows[3][1]) is None
    assert len(audits(store, "rollback")) == 1


def test_a_one_window_dip_does_not_roll_back(store: Store, tmp_path: Path) -> None:
    made, _, windows = _promoted(store, tmp_path)
    _serve(made, 2, _in(windows[1]), accuracy=0.70)
    _serve(made, 2, _in(windows[2]), accuracy=0.90)
    assert check_rollback(store, made.registry, NAME, _plan(), windows[2][1]) is None
    assert check_rollback(store, made.registry, NAME, _plan(), windows[1][1]) is None
    assert made.registry.aliases(NAME) == {"champion": [2]}
    assert audits(store, "rollback") == []


def test_serving_errors_roll_back(store: Store, tmp_path: Path) -> None:
    made, _, windows = _promoted(store, tmp_path)
    for window in windows[1:3]:
        _serve(made, 2, _in(window), accuracy=0.9, errors=0.2)
    decision = check_rollback(store, made.registry, NAME, _plan(), windows[2][1])
    assert decision is not None and decision.evidence["trigger"] == "error_rate"
    assert all(w["error_rate"] > 0.1 for w in decision.evidence["windows"])
    assert decision.evidence["p_value"] < 1e-6 and decision.evidence["n"] == 400
    assert "error rate" in decision.reason


def test_open_windows_and_disabled_plans_wait(store: Store, tmp_path: Path) -> None:
    made, _, windows = _promoted(store, tmp_path)
    for window in windows[1:3]:
        _serve(made, 2, _in(window), accuracy=0.6)
    before_close = windows[2][1] - timedelta(minutes=5)  # the last window is still open
    assert check_rollback(store, made.registry, NAME, _plan(), before_close) is None
    assert check_rollback(store, made.registry, NAME, _plan(enabled=False), windows[2][1]) is None
    small = _plan(max_degradation=0.5)  # 0.9 → 0.6 is inside this bound
    assert check_rollback(store, made.registry, NAME, small, windows[2][1]) is None
    assert made.registry.aliases(NAME) == {"champion": [2]}


def test_a_silence_mutes_the_rollback_notification(store: Store, tmp_path: Path) -> None:
    made, promoted, windows = _promoted(store, tmp_path)
    for window in windows[1:3]:
        _serve(made, 2, _in(window), accuracy=0.7)
    with store.session() as session:
        session.add(
            SilenceRow(
                model_id=made.model_id,
                rule=None,
                starts_at=promoted - timedelta(days=1),
                ends_at=promoted + timedelta(days=1),
                created_by="ann",
            )
        )
    assert check_rollback(store, made.registry, NAME, _plan(), windows[2][1]) is not None
    with store.session() as session:
        assert set(session.scalars(select(OutboxRow.state))) == {"silenced"}


def test_no_rollback_without_an_earlier_champion(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    now = made.registry.history(NAME)[-1].at
    _serve(made, 1, now + timedelta(minutes=1), accuracy=0.1)
    assert check_rollback(store, made.registry, NAME, _plan(), now + timedelta(hours=5)) is None
