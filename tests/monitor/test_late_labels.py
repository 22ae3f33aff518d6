"""Labels that arrive after a window was checked update that window, and only that one."""

from __future__ import annotations

from pathlib import Path

import pytest
from monitor_helpers import add_labels, build, day, eight_days
from sklearn.metrics import accuracy_score
from sqlalchemy import select

from steward.monitor import run_pass
from steward.store.tables import FindingRow, WindowRow


def _by_window(store) -> dict[int, list[tuple]]:
    with store.session() as session:
        rows = session.scalars(select(FindingRow).order_by(FindingRow.id))
        result: dict[int, list[tuple]] = {}
        for r in rows:
            result.setdefault(r.window_id, []).append((r.id, r.check, r.column, r.statistic))
        return result


def _accuracy(store, window_id: int) -> float:
    with store.session() as session:
        query = select(FindingRow.statistic).where(
            FindingRow.window_id == window_id, FindingRow.check == "performance.accuracy"
        )
        return session.scalar(query)


def test_late_labels_update_only_their_window(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    eight_days(world)
    for i in range(8):
        add_labels(world, i, slice(0, 150), day(i + 1.5))
    run_pass(store, now=day(9))
    before = _by_window(store)
    target = world.window_ids[2]
    truth = world.frames[2].y.to_numpy()
    first = accuracy_score(truth[:150], world.predictions(2)[:150])
    assert _accuracy(store, target) == pytest.approx(first, abs=1e-12)

    add_labels(world, 2, slice(150, 300), day(9.5))
    result = run_pass(store, now=day(10))
    assert (result.totals["checked"], result.totals["rechecked"]) == (1, 1)
    assert result.totals["closed"] == 0
    after = _by_window(store)
    assert {k: v for k, v in after.items() if k != target} == {
        k: v for k, v in before.items() if k != target
    }
    assert {r[0] for r in after[target]}.isdisjoint({r[0] for r in before[target]})
    full = accuracy_score(truth, world.predictions(2))
    assert _accuracy(store, target) == pytest.approx(full, abs=1e-12)
    with store.session() as session:
        window = session.get(WindowRow, target)
        assert (window.labelled, window.checked_at) == (300, day(10))
    assert run_pass(store, now=day(10)).totals["checked"] == 0


def test_labels_not_yet_received_at_now_are_not_counted(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    eight_days(world)
    add_labels(world, 0, slice(0, 150), day(1.5))
    add_labels(world, 0, slice(150, 300), day(20))
    run_pass(store, now=day(9))
    with store.session() as session:
        assert session.get(WindowRow, world.window_ids[0]).labelled == 150
    assert run_pass(store, now=day(9)).totals["checked"] == 0
    assert run_pass(store, now=day(21)).totals["rechecked"] == 1


def test_labels_past_the_horizon_do_not_reopen(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    eight_days(world)
    run_pass(store, now=day(9))
    add_labels(world, 0, slice(0, 300), day(40))
    result = run_pass(store, now=day(41))  # window 0 ended on day 1: 40 days > 30D
    assert result.totals["rechecked"] == 0
