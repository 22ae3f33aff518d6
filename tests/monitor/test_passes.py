"""The monitoring pass over a registered model's logged windows (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from monitor_helpers import FEATURES, add_labels, build, day, dump, eight_days, log_window
from sklearn.metrics import accuracy_score
from sqlalchemy import func, select

from steward.compare import compare
from steward.monitor import run_pass
from steward.store.tables import AlertRow, FindingRow, OutboxRow, WindowRow


def _findings(store, window_id: int) -> list[FindingRow]:
    with store.session() as session:
        query = select(FindingRow).where(FindingRow.window_id == window_id)
        return list(session.scalars(query.order_by(FindingRow.id)))


def _one(rows: list[FindingRow], check: str, column: str | None = None) -> FindingRow:
    found = [r for r in rows if r.check == check and (column is None or r.column == column)]
    assert len(found) == 1, (check, column, [r.check for r in rows])
    return found[0]


def _reported(report, column: str):
    return next(f for f in report.findings if f.check == "drift.ks" and f.column == column)


def test_drift_matches_compare_and_turns_sustained(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    eight_days(world)
    result = run_pass(store, now=day(9))
    assert result.totals["closed"] == 8 and result.totals["checked"] == 8
    reference = world.registry.reference_data("credit", 1).to_pandas()
    persistence = []
    for i in range(8):
        rows = _findings(store, world.window_ids[i])
        report = compare(reference, world.frames[i][FEATURES], target="y")
        for column in FEATURES:
            mine = _one(rows, "drift.ks", column)
            theirs = _reported(report, column)
            assert mine.statistic == pytest.approx(theirs.statistic, abs=1e-9)
            assert mine.p_value == pytest.approx(theirs.p_value, rel=1e-9, abs=1e-12)
            assert mine.effect_size == pytest.approx(theirs.effect_size, abs=1e-9)
            assert mine.verdict == theirs.verdict.value
        x1 = _one(rows, "drift.ks", "x1")
        assert (x1.verdict == "fail") is (i >= 4)
        persistence.append(x1.body["details"]["persistence"])
    # k=2 of n=3: the first drifting window is transient, the next ones sustained
    assert persistence == ["none"] * 4 + ["transient", "sustained", "sustained", "sustained"]


def test_realised_accuracy_is_sklearns_on_the_joined_labels(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    eight_days(world)
    for i in range(8):
        add_labels(world, i, slice(0, 200), day(i + 1.5))
    run_pass(store, now=day(9))
    for i in range(8):
        rows = _findings(store, world.window_ids[i])
        truth = world.frames[i].y.to_numpy()[:200]
        expected = accuracy_score(truth, world.predictions(i)[:200])
        accuracy = _one(rows, "performance.accuracy")
        assert accuracy.statistic == pytest.approx(expected, abs=1e-12)
        coverage = _one(rows, "performance.label_coverage")
        assert coverage.statistic == pytest.approx(200 / 300)
        assert not [r for r in rows if r.check.startswith("estimate.")]  # 200 >= min_rows
    with store.session() as session:
        assert session.scalar(select(func.min(WindowRow.labelled))) == 200


def test_estimates_when_labels_are_missing(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    log_window(world, 0, world_frame(0))
    add_labels(world, 0, slice(0, 20), day(0.5))  # 20 < min_rows: estimate
    run_pass(store, now=day(2))
    rows = _findings(store, world.window_ids[0])
    estimate = _one(rows, "estimate.accuracy")
    assert estimate.body["details"]["method"] == "cbpe"
    assert 0.5 < estimate.statistic < 1.0
    assert _one(rows, "performance.label_coverage").statistic == pytest.approx(20 / 300)


def world_frame(seed: int, n: int = 300):
    from monitor_helpers import data

    return data(200 + seed, n)


def test_small_windows_are_unreliable(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    log_window(world, 0, world_frame(1, n=40))
    run_pass(store, now=day(2))
    rows = _findings(store, world.window_ids[0])
    note = _one(rows, "window.min_rows")
    assert (note.verdict, note.statistic) == ("unreliable", 40.0)
    assert not [r for r in rows if r.verdict in ("warn", "fail")]


def test_windows_close_after_their_lateness(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    eight_days(world)
    first = run_pass(store, now=day(8) + (day(1) - day(0)) / 48)  # 30 min after the last end
    assert first.totals["closed"] == 7
    with store.session() as session:
        last = session.get(WindowRow, world.window_ids[7])
        assert (last.state, last.checked_at) == ("open", None)
    second = run_pass(store, now=day(8) + (day(1) - day(0)) / 24)  # lateness 1h reached
    assert (second.totals["closed"], second.totals["checked"]) == (1, 1)


def test_a_second_pass_writes_nothing(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    eight_days(world)
    for i in range(8):
        add_labels(world, i, slice(0, 150), day(i + 1.2))
    first = run_pass(store, now=day(9))
    assert first.totals["alerts_fired"] == 1
    before = dump(store)
    second = run_pass(store, now=day(9))
    assert dump(store) == before
    assert second.totals == dict.fromkeys(second.totals, 0)


def test_sustained_drift_fires_an_alert_and_notifies(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    eight_days(world)
    result = run_pass(store, now=day(9))
    assert (result.totals["alerts_fired"], result.totals["notifications_sent"]) == (1, 1)
    with store.session() as session:
        alert = session.scalars(select(AlertRow)).one()
        assert (alert.rule, alert.state) == ("sustained-drift", "firing")
        assert alert.fired_at == day(6)  # the end of window 5, the first sustained one
        outbox = session.scalars(select(OutboxRow)).one()
        assert (outbox.route, outbox.state) == ("log", "sent")
    assert world.window_ids


def test_concurrent_passes_check_each_window_once(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    eight_days(world)
    results = []
    barrier = threading.Barrier(2)

    def one_pass() -> None:
        barrier.wait()
        results.append(run_pass(store, now=day(9)))

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 2
    assert sum(r.totals["checked"] for r in results) == 8
    assert sum(r.totals["alerts_fired"] for r in results) == 1
    for window_id in world.window_ids.values():
        rows = _findings(store, window_id)
        keys = [(r.check, r.column) for r in rows]
        assert len(keys) == len(set(keys)) > 0


def test_models_without_plan_or_champion_are_skipped(store, tmp_path: Path) -> None:
    world = build(store, tmp_path)
    world.registry.demote("credit", 1, "champion", actor="t")
    result = run_pass(store, now=day(9), models=["credit"])
    assert result.models[0].skipped == "no champion"


def test_a_pass_skips_a_model_another_pass_holds(store, tmp_path: Path) -> None:
    from steward.monitor.passes import model_lock

    world = build(store, tmp_path)
    eight_days(world)
    with model_lock(store, world.model_id) as held:
        assert held
        if store.dialect == "postgresql":
            with model_lock(store, world.model_id) as second:
                assert second is False
            skipped = run_pass(store, now=day(9))
            assert skipped.models[0].skipped == "locked"
            assert skipped.totals["checked"] == 0
    assert run_pass(store, now=day(9)).totals["checked"] == 8


def test_a_profile_in_another_layout_is_rebuilt_from_rows(store, tmp_path: Path) -> None:
    from steward.profile import profile

    world = build(store, tmp_path)
    eight_days(world)
    version = world.registry.get("credit", 1)
    reference = world.registry.reference_profile("credit", 1)
    frame = world.frames[5].assign(y=None)
    other = profile(frame, version.schema, reference=reference).to_bytes()
    with store.session() as session:
        session.get(WindowRow, world.window_ids[5]).profile = other
    run_pass(store, now=day(9))
    x1 = _one(_findings(store, world.window_ids[5]), "drift.ks", "x1")
    reference_rows = world.registry.reference_data("credit", 1).to_pandas()
    theirs = _reported(compare(reference_rows, world.frames[5][FEATURES]), "x1")
    assert x1.p_value == pytest.approx(theirs.p_value, rel=1e-9, abs=1e-12)


def test_windows_lost_in_a_crash_are_rebuilt_from_their_rows(store, tmp_path: Path) -> None:
    """The service merges profiles shortly after commit; a crash in between loses the
    window row or part of its profile, never the rows. The pass checks all the rows."""
    from monitor_helpers import data

    from steward.monitor.window_profiles import profile_rows
    from steward.store.tables import PredictionRow

    world = build(store, tmp_path)
    frames = [data(seed, 300, shift=1.0 if seed == 2 else 0.0) for seed in range(3)]
    ids = [log_window(world, i, frame) for i, frame in enumerate(frames)]
    version = world.registry.get("credit", 1)
    reference = world.registry.reference_profile("credit", 1)
    with store.session() as session:
        session.delete(session.get(WindowRow, ids[2]))  # day 2: no window row at all
        first = session.scalars(  # day 1: the profile holds only the first 100 rows
            select(PredictionRow)
            .where(PredictionRow.created_at < day(1) + (day(2) - day(1)) / 3)
            .where(PredictionRow.created_at >= day(1))
        ).all()
        partial = profile_rows(list(first), version.schema, reference, version.classes)
        session.get(WindowRow, ids[1]).profile = partial.to_bytes()
    result = run_pass(store, now=day(3.1))  # after the plan's 1h lateness
    assert result.totals["checked"] == 3
    with store.session() as session:
        windows = session.scalars(select(WindowRow).order_by(WindowRow.start)).all()
    assert [(w.start, w.rows, w.state) for w in windows] == [
        (day(i), 300, "closed") for i in range(3)
    ]
    for i in (1, 2):
        rows = _findings(store, windows[i].id)
        report = compare(world.registry.reference_data("credit", 1).to_pandas(), frames[i])
        mine, theirs = _one(rows, "drift.ks", "x1"), _reported(report, "x1")
        assert mine.statistic == pytest.approx(theirs.statistic, abs=1e-9)
    assert _one(_findings(store, windows[2].id), "drift.ks", "x1").verdict == "fail"
    assert run_pass(store, now=day(3.1)).totals["checked"] == 0  # and nothing twice
