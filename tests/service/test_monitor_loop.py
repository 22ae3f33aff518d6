"""The monitor loop inside ``steward serve``: passes run on each plan's ``monitor.every``."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from conftest import served_model
from steward.monitor.passes import due_models
from steward.plan import apply_plan
from steward.store.tables import FindingRow, WindowRow, utcnow

PLAN = """\
model: credit
monitor: {every: 1s, window: 1s, lateness: 0s, min_rows: 1}
"""


def test_due_models_follow_each_plans_schedule(sqlite_store, tmp_path) -> None:
    served_model(sqlite_store, tmp_path)
    apply_plan(sqlite_store, PLAN.replace("every: 1s", "every: 1h"), actor="test")
    now = utcnow()
    assert due_models(sqlite_store, {}, now) == ["credit"]
    assert due_models(sqlite_store, {"credit": now}, now + timedelta(minutes=59)) == []
    assert due_models(sqlite_store, {"credit": now}, now + timedelta(hours=1)) == ["credit"]


def test_the_service_closes_and_checks_windows_by_itself(serve, sqlite_store, tmp_path) -> None:
    served_model(sqlite_store, tmp_path)
    apply_plan(sqlite_store, PLAN, actor="test")
    live = serve(sqlite_store, monitor_every_s=0.2)
    client = live.client(live.token("predict"))
    rows = [{"x1": 0.1 * i, "x2": -0.1 * i} for i in range(20)]
    assert client.post("/v1/models/credit/predict", json={"rows": rows}).status_code == 200
    deadline = time.monotonic() + 20
    checked = 0
    while time.monotonic() < deadline and not checked:
        time.sleep(0.3)
        with sqlite_store.session() as session:
            checked = session.scalar(
                select(func.count()).select_from(WindowRow).where(WindowRow.checked_at.is_not(None))
            )
    assert checked >= 1
    with sqlite_store.session() as session:
        assert session.scalar(select(func.count()).select_from(FindingRow)) > 0
