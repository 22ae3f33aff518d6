"""Group commit on a real store (SQLite file and PostgreSQL): every acknowledged row is
stored once, groups share commits, a bad request fails alone, windows get profiles."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import slow_models as sm
from sqlalchemy import func, select

from steward._exceptions import Unavailable
from steward.profile import Profile
from steward.registry import ModelRegistry
from steward.service.logwriter import LogWriter
from steward.service.metrics import ServiceMetrics
from steward.service.records import LogBatch, VersionContext
from steward.store.tables import ModelRow, PredictionRow, WindowRow


@pytest.fixture
def context(store: Any, tmp_path: Path) -> VersionContext:
    registry = ModelRegistry(store)
    number = sm.register(registry, "credit", sm.dump_logistic(tmp_path))
    version = registry.get("credit", number)
    with store.session() as session:
        model_id = session.scalar(select(ModelRow.id))
    return VersionContext(
        model="credit",
        model_id=model_id,
        version=number,
        version_id=version.id,
        schema=version.schema,
        task=version.task,
        classes=[0, 1],
        reference=registry.reference_profile("credit", number),
        loaded=None,
    )


def _batch(context: VersionContext, request_id: str, n: int = 2) -> LogBatch:
    rows = [{"x1": float(i), "x2": 0.5} for i in range(n)]
    return LogBatch(
        context=context,
        role="champion",
        request_id=request_id,
        rows=rows,
        ids=[f"{request_id}:{i}" for i in range(n)],
        table=pa.Table.from_pylist(rows),
        outputs=[i % 2 for i in range(n)],
        scores=[[0.3, 0.7]] * n,
        error=None,
        latency_ms=1.5,
        token_id=None,
        window="1h",
    )


def _count(store: Any) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(PredictionRow))


def test_concurrent_requests_share_commits_and_are_all_stored(
    store: Any, context: VersionContext
) -> None:
    metrics = ServiceMetrics()
    writer = LogWriter(store, max_batch=5000, max_wait_ms=2, metrics=metrics)
    writer.start()
    futures, lock = [], threading.Lock()

    def client(k: int) -> None:
        for j in range(25):
            future = writer.submit([_batch(context, f"c{k}-{j}", 3)])
            with lock:
                futures.append(future)
            future.result(10)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(f.done() and f.exception() is None for f in futures)
    assert _count(store) == 8 * 25 * 3
    commits = metrics.commit_seconds.collect()[0].samples
    count = next(s.value for s in commits if s.name.endswith("_count"))
    assert count < 8 * 25  # requests shared commits
    assert metrics.logged_rows._value.get() == 600
    assert metrics.log_queue_depth._value.get() == 0
    assert writer.stop(10)


def test_max_batch_bounds_a_commit(store: Any, context: VersionContext) -> None:
    metrics = ServiceMetrics()
    writer = LogWriter(store, max_batch=10, max_wait_ms=50, metrics=metrics)
    writer.start()
    futures = [writer.submit([_batch(context, f"r{k}", 4)]) for k in range(5)]
    for future in futures:
        future.result(10)
    samples = metrics.commit_seconds.collect()[0].samples
    assert next(s.value for s in samples if s.name.endswith("_count")) >= 3  # 4+4, 4+4, 4
    assert _count(store) == 20
    writer.stop(10)


def test_a_failing_request_fails_alone(store: Any, context: VersionContext) -> None:
    writer = LogWriter(store, max_wait_ms=50)
    writer.start()
    broken = VersionContext(**{**context.__dict__, "version_id": 999_999})  # no such version
    good = [writer.submit([_batch(context, f"g{k}")]) for k in range(3)]
    bad = writer.submit([_batch(broken, "bad")])
    more = writer.submit([_batch(context, "g3")])
    for future in [*good, more]:
        assert future.result(10) is None
    with pytest.raises(Unavailable, match="could not be logged"):
        bad.result(10)
    assert _count(store) == 8
    writer.stop(10)


def test_stop_drains_the_queue_and_flushes_window_profiles(
    store: Any, context: VersionContext
) -> None:
    writer = LogWriter(store, max_batch=50, profile_flush_s=60)
    writer.start()
    futures = [writer.submit([_batch(context, f"r{k}", 5)]) for k in range(40)]
    assert writer.stop(30)
    assert all(f.done() and f.exception() is None for f in futures)
    assert _count(store) == 200
    with store.session() as session:
        window = session.scalars(select(WindowRow)).one()
    assert (window.role, window.rows, window.version_id) == ("served", 200, context.version_id)
    assert (window.end - window.start).total_seconds() == 3600
    profile = Profile.from_bytes(window.profile)
    assert profile.rows == 200 and profile["x1"].maximum == 4.0
    with pytest.raises(Unavailable):
        writer.submit([_batch(context, "late")]).result(1)


def test_rows_read_back_as_written(store: Any, context: VersionContext) -> None:
    writer = LogWriter(store)
    writer.start()
    batch = _batch(context, "rb", 2)
    batch.outputs, batch.error = None, "RuntimeError: boom"
    writer.submit([batch]).result(10)
    writer.stop(10)
    with store.session() as session:
        rows = session.scalars(select(PredictionRow).order_by(PredictionRow.row_index)).all()
    assert [(r.row_id, r.inputs, r.output, r.scores, r.error) for r in rows] == [
        ("rb:0", {"x1": 0.0, "x2": 0.5}, None, [0.3, 0.7], "RuntimeError: boom"),
        ("rb:1", {"x1": 1.0, "x2": 0.5}, None, [0.3, 0.7], "RuntimeError: boom"),
    ]
    assert rows[0].created_at.tzinfo is not None
    assert abs((rows[0].created_at - batch.created_at).total_seconds()) < 1e-3
