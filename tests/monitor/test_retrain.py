"""Retraining: job first, real trainer, new challenger with lineage, failures recorded."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from action_helpers import (
    NAME,
    audits,
    count,
    fit_trainer,
    labelled_traffic,
    log_rows,
    plan,
    setup,
)
from sqlalchemy import select

from steward.monitor.retrain import retrain
from steward.monitor.trainers import (
    TrainedModel,
    TrainingContext,
    register_trainer,
    unregister_trainer,
)
from steward.store import Store
from steward.store.tables import ArtifactRow, JobRow, VersionRow, utcnow

ENTRY = "tests_actions.fit:train"


@pytest.fixture(autouse=True)
def trainer() -> object:
    register_trainer(ENTRY, fit_trainer)
    yield
    unregister_trainer(ENTRY)


def _plan(entry: str = ENTRY, **retrain_fields: object):
    body = {"entry_point": entry, "min_labelled": 100, "cooldown": "1D", **retrain_fields}
    return plan(retrain=body)


def _jobs(store: Store) -> list[JobRow]:
    with store.session() as session:
        return list(session.scalars(select(JobRow).order_by(JobRow.id)))


def test_retrain_registers_a_challenger_with_lineage(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    now = utcnow()
    labelled_traffic(made, 300, now - timedelta(hours=2))
    result = retrain(store, made.registry, NAME, _plan(), "alert:accuracy-low", "monitor", now)
    assert result.state == "done" and result.version == 2
    version = made.registry.get(NAME, 2)
    assert version.aliases == ("challenger",)
    assert version.lineage["parent"] == 1
    assert version.lineage["trigger"] == "alert:accuracy-low"
    assert version.lineage["job_id"] == result.job_id
    assert version.lineage["metrics"]["train_accuracy"] > 0.8
    assert version.lineage["reference"]["rows"] == 300
    assert version.lineage["training_data"] == result.details["data_fingerprint"]
    assert version.features == ["x1", "x2"] and version.task == "classification"
    (job,) = _jobs(store)
    assert (job.state, job.kind, job.version_id, job.error) == ("done", "retrain", version.id, None)
    (audit,) = audits(store, "retrain")
    assert audit.version_id == version.id and audit.actor == "monitor"
    assert audit.details["job_id"] == job.id and audit.details["rows"] == 300
    assert audit.details["parent"] == 1 and audit.details["trigger"] == "alert:accuracy-low"
    predicted = made.registry.load(NAME, 2).predict(pa.table({"x1": [3.0], "x2": [1.0]}))
    assert predicted.predictions.tolist() == [1]


def test_only_rows_inside_the_data_window_are_used(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    now = utcnow()
    labelled_traffic(made, 150, now - timedelta(days=20), seed=1)
    labelled_traffic(made, 120, now - timedelta(days=1), seed=2)
    result = retrain(store, made.registry, NAME, _plan(data_window="7D"), "manual", "ann", now)
    assert result.details["rows"] == 120


def test_a_trainer_that_raises_leaves_a_failed_job_and_no_version(
    store: Store, tmp_path: Path
) -> None:
    made = setup(store, tmp_path)
    labelled_traffic(made, 200, utcnow() - timedelta(hours=1))

    def broken(data: pa.Table, context: TrainingContext) -> TrainedModel:
        raise RuntimeError("the GPU caught fire")

    register_trainer("tests_actions.broken:train", broken)
    try:
        result = retrain(
            store, made.registry, NAME, _plan("tests_actions.broken:train"), "manual", "ann"
        )
    finally:
        unregister_trainer("tests_actions.broken:train")
    assert result.state == "failed" and "the GPU caught fire" in result.error
    assert [v.version for v in made.registry.versions(NAME)] == [1]
    (job,) = _jobs(store)
    assert job.state == "failed" and "RuntimeError: the GPU caught fire" in job.error
    assert job.finished_at is not None and "Traceback" in job.details["traceback"]
    (audit,) = audits(store, "retrain.failed")
    assert audit.details["job_id"] == job.id and "GPU" in audit.details["error"]
    assert audits(store, "retrain") == []


def test_a_trainer_returning_garbage_registers_nothing(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    labelled_traffic(made, 200, utcnow() - timedelta(hours=1))
    artifacts_before = count(store, ArtifactRow)
    files_before = sorted(p.name for p in (tmp_path / "home").rglob("*") if p.is_file())

    def junk(data: pa.Table, context: TrainingContext) -> TrainedModel:
        path = context.workdir / "model.skops"
        path.write_bytes(b"this is not a model")
        return TrainedModel(path=path, format="skops")

    def wrong_type(data: pa.Table, context: TrainingContext) -> object:
        return {"path": "model.skops"}

    for label, fn in (("junk", junk), ("wrong", wrong_type)):
        register_trainer(f"tests_actions.{label}:train", fn)
        try:
            entry = f"tests_actions.{label}:train"
            result = retrain(store, made.registry, NAME, _plan(entry), label, "ann", force=True)
        finally:
            unregister_trainer(f"tests_actions.{label}:train")
        assert result.state == "failed"
    assert "TrainedModel" in result.error
    assert count(store, VersionRow) == 1 and count(store, ArtifactRow) == artifacts_before
    files_after = sorted(p.name for p in (tmp_path / "home").rglob("*") if p.is_file())
    assert [f for f in files_after if f not in files_before and "journal" not in f] == []
    assert len(audits(store, "retrain.failed")) == 2


def test_too_few_labelled_rows_fails_with_the_reason(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    labelled_traffic(made, 40, utcnow() - timedelta(hours=1))
    result = retrain(store, made.registry, NAME, _plan(), "manual", "ann")
    assert result.state == "failed"
    assert "40 labelled rows" in result.error and "needs 100" in result.error


def test_cooldown_blocks_a_second_retrain(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    now = utcnow()
    labelled_traffic(made, 200, now - timedelta(hours=1))
    first = retrain(store, made.registry, NAME, _plan(), "manual", "ann", now)
    again = retrain(store, made.registry, NAME, _plan(), "manual", "ann", now + timedelta(hours=3))
    assert (first.state, again.state) == ("done", "skipped")
    assert again.job_id == first.job_id and "cooldown 1D" in again.details["reason"]
    later = retrain(store, made.registry, NAME, _plan(), "manual", "ann", now + timedelta(days=1))
    assert later.state == "done" and later.version == 3
    assert made.registry.aliases(NAME)["challenger"] == [2, 3]
    assert len(_jobs(store)) == 2


def test_unregistered_entry_point_imports_nothing(store: Store, tmp_path: Path) -> None:
    made = setup(store, tmp_path)
    labelled_traffic(made, 200, utcnow() - timedelta(hours=1))
    canary = tmp_path / "steward_canary_retrain.py"
    canary.write_text("raise SystemExit('imported!')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        plan_ = _plan("steward_canary_retrain:train")
        result = retrain(store, made.registry, NAME, plan_, "manual", "ann")
    finally:
        sys.path.remove(str(tmp_path))
    assert "steward_canary_retrain" not in sys.modules
    assert result.state == "failed" and "is not registered" in result.error
    assert "STEWARD_TRAINERS" in result.error
    assert count(store, VersionRow) == 1


def test_the_credit_example_trains_a_loadable_challenger(store: Store, tmp_path: Path) -> None:
    import numpy as np

    from steward.datasets import FEATURES, applicants, default_probability
    from steward.registry import ModelRegistry

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    try:
        import examples.credit_training as example
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(0)
    x = applicants(1500, rng)
    y = (rng.random(1500) < default_probability(x)).astype(int)
    reference = pa.table({**x, "defaulted": y})
    context = TrainingContext(
        NAME, "defaulted", FEATURES, "classification", [0, 1], None, "manual", 0, tmp_path, utcnow()
    )
    first = example.train(reference, context)
    registry = ModelRegistry(store)
    registry.register(NAME, first.path, reference=reference, target="defaulted", actor="ann")
    registry.promote(NAME, 1, "champion", actor="ann")
    with store.session() as session:
        model_id = session.scalar(select(VersionRow.model_id))
    rows = pa.table(x).to_pylist()
    champion = registry.get(NAME, 1).id
    at = utcnow() - timedelta(hours=1)
    log_rows(store, model_id, champion, [0] * 1500, at=at, labels=y.tolist(), inputs=rows)
    body = {"entry_point": example.ENTRY_POINT, "min_labelled": 1000}
    result = retrain(store, registry, NAME, plan(retrain=body), "manual", "ann")
    assert result.state == "done", result.error
    challenger = registry.get(NAME, 2)
    assert challenger.format == "skops" and challenger.features == FEATURES
    predicted = registry.load(NAME, 2).predict(pa.table({**applicants(50, rng)}))
    assert set(predicted.predictions.tolist()) <= {0, 1}
    assert predicted.scores.shape == (50, 2)
