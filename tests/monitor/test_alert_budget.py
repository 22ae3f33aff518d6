"""Alert budget on simulated months, with real ``steward.compare`` reports per daily window.

A stable month must stay within the plan's ``budget_per_month``; a sustained shift that
starts on day 15 must fire within ``for`` windows of the drift becoming sustained. The
windows close one by one: each window's drift findings are marked sustained or transient
from the windows before it only (:func:`steward.monitor.rules.annotate_persistence`).
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest
from alert_helpers import add_model
from sqlalchemy import func, select

from steward import compare
from steward.findings import Finding, Verdict
from steward.monitor.alerts import AlertManager
from steward.monitor.rules import annotate_persistence
from steward.plan.schema import MaintenancePlan
from steward.store.tables import OutboxRow
from steward.windows import Persistence

DAYS, ROWS_PER_DAY, SHIFT_DAY = 30, 300, 15
PLAN = MaintenancePlan.model_validate(
    {
        "model": "credit",
        "checks": {"windows": {"k": 3, "n": 4}},
        "alerts": {
            "budget_per_month": 4,
            "rules": [
                {
                    "name": "sustained-drift",
                    "when": {"check": "drift.*", "sustained": True},
                    "for": 2,
                    "keep_firing_for": 1,
                    "severity": "critical",
                }
            ],
        },
    }
)


def stream(seed: int, shift_from: int | None = None) -> pd.DataFrame:
    """Thirty days of traffic; from ``shift_from`` on, two features move by 0.8 sd."""
    rng = np.random.default_rng(seed)
    n = DAYS * ROWS_PER_DAY
    start = pd.Timestamp("2024-02-01", tz="UTC")
    frame = pd.DataFrame({"ts": start + pd.to_timedelta(rng.uniform(0, DAYS * 86400, n), "s")})
    for i in range(6):
        frame[f"x{i}"] = rng.normal(size=n)
    frame["plan"] = rng.choice(["basic", "plus", "pro", "max"], n, p=[0.4, 0.3, 0.2, 0.1])
    if shift_from is not None:
        moved = frame["ts"] >= start + pd.Timedelta(days=shift_from)
        frame.loc[moved, ["x0", "x1"]] += 0.8
    return frame


def reference(seed: int) -> pd.DataFrame:
    return stream(seed).iloc[: 10 * ROWS_PER_DAY]


def daily_windows(current: pd.DataFrame, ref: pd.DataFrame) -> list[tuple[datetime, list[Finding]]]:
    """(window end, findings marked sustained/transient) per day, in order."""
    report = compare(ref, current, timestamp="ts", window="1D", multivariate=False, outliers=False)
    rule = Persistence(PLAN.checks.windows.k, PLAN.checks.windows.n)
    history: dict[str, list[bool]] = {}
    out = []
    for window in report.windows:
        found = [f for f in report.findings if f.window == window.index]
        out.append((_end(window.end), annotate_persistence(found, history, rule)))
        for finding in found:
            if finding.family == "drift" and finding.column:
                flags = history.setdefault(finding.column, [False] * window.index)
                flags.append(finding.verdict is Verdict.FAIL)
    return out


def _end(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def run_month(store, windows, name: str = "credit") -> tuple[AlertManager, int, list]:
    model = add_model(store, name)
    manager = AlertManager(store, clock=lambda: windows[0][0])
    changes = []
    for index, (end, findings) in enumerate(windows):
        for change in manager.process(model, "credit", PLAN, end, findings):
            changes.append((index, change))
    return manager, model, changes


def notifications(store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxRow))


@pytest.fixture(scope="module")
def stable_months() -> list[list[tuple[datetime, list[Finding]]]]:
    return [daily_windows(stream(seed), reference(100 + seed)) for seed in (1, 2, 3)]


@pytest.fixture(scope="module")
def shifted_month() -> list[tuple[datetime, list[Finding]]]:
    return daily_windows(stream(7, shift_from=SHIFT_DAY), reference(107))


def test_stable_months_stay_within_the_budget(store, stable_months):
    assert all(len(month) == DAYS for month in stable_months)
    for number, month in enumerate(stable_months):
        before = notifications(store)
        run_month(store, month, name=f"model-{number}")
        sent = notifications(store) - before
        assert sent <= PLAN.alerts.budget_per_month


def test_stable_months_do_drift_now_and_then_but_never_sustained(stable_months):
    """The budget holds because transient drift does not page, not because nothing drifts."""
    drifted = [
        f
        for month in stable_months
        for _, found in month
        for f in found
        if f.family == "drift" and f.verdict is Verdict.FAIL
    ]
    assert drifted, "three quiet months still hold a transient false alarm or two"
    assert {f.details["persistence"] for f in drifted} == {"transient"}


def test_a_sustained_shift_fires_within_for_windows_of_becoming_sustained(store, shifted_month):
    sustained_days = [
        index
        for index, (_, found) in enumerate(shifted_month)
        if any(f.details.get("persistence") == "sustained" for f in found)
    ]
    assert sustained_days, "the shift must become sustained"
    became_sustained = sustained_days[0]
    k = PLAN.checks.windows.k
    assert SHIFT_DAY <= became_sustained <= SHIFT_DAY + k - 1
    manager, model, changes = run_month(store, shifted_month)
    fired = [index for index, change in changes if change.state == "firing"]
    assert fired, "the alert must fire"
    assert fired[0] - became_sustained + 1 <= PLAN.alerts.rules[0].for_
    assert fired[0] >= SHIFT_DAY  # nothing fired before the change
    (active,) = manager.active_alerts(model)
    assert {"x0", "x1"} <= set(active.evidence["columns"])
    assert notifications(store) == 1  # one alert for both features, still firing
