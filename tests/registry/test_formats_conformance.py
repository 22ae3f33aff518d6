"""Every registered model format over one matrix: load, predict, edge cases, tampering.

A format registered in ``FORMATS`` without a case here fails
:func:`test_every_registered_format_has_a_case`.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from steward._exceptions import ArtifactError, InputError, IntegrityError, UnknownColumn
from steward.registry.formats import FORMATS
from steward.registry.loader import ArtifactRef, detect_format, inspect_artifact, load_model
from steward.store.artifacts import ArtifactStore

FEATURES = ["a", "b", "c"]
RNG = np.random.default_rng(7)
X = RNG.normal(size=(120, 3))
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int)
Y_VALUE = 2 * X[:, 0] - X[:, 2]


@dataclass(frozen=True)
class Case:
    path: Path  # the artifact as a user holds it (file, or folder for MLflow)
    task: str  # what inspect_artifact should answer


def _logistic():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(X, Y_CLASS)


def _skops(tmp: Path) -> Case:
    import skops.io as sio

    sio.dump(_logistic(), tmp / "model.skops")
    return Case(tmp / "model.skops", "classification")


def _onnx(tmp: Path) -> Case:
    from skl2onnx import to_onnx

    model = to_onnx(_logistic(), X[:1].astype(np.float32))
    (tmp / "model.onnx").write_bytes(model.SerializeToString())
    return Case(tmp / "model.onnx", "classification")


def _xgboost(tmp: Path) -> Case:
    import xgboost as xgb

    xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(X, Y_CLASS).save_model(tmp / "m.json")
    return Case(tmp / "m.json", "classification")


def _lightgbm(tmp: Path) -> Case:
    import lightgbm as lgb

    model = lgb.LGBMRegressor(n_estimators=5, min_child_samples=5, verbose=-1).fit(X, Y_VALUE)
    model.booster_.save_model(tmp / "model.txt")
    return Case(tmp / "model.txt", "regression")


def _pickle(tmp: Path) -> Case:
    (tmp / "model.pkl").write_bytes(pickle.dumps(_logistic()))
    return Case(tmp / "model.pkl", "unknown")


def _joblib(tmp: Path) -> Case:
    import joblib

    joblib.dump(_logistic(), tmp / "model.joblib")
    return Case(tmp / "model.joblib", "unknown")


def _cloudpickle(tmp: Path) -> Case:
    import cloudpickle

    (tmp / "model.cpkl").write_bytes(cloudpickle.dumps(_logistic()))
    return Case(tmp / "model.cpkl", "unknown")


def _mlflow(tmp: Path) -> Case:
    import mlflow.sklearn

    folder = tmp / "mlflow-model"
    mlflow.sklearn.save_model(_logistic(), folder, pip_requirements=[])  # no env inference
    return Case(folder, "unknown")  # loading an MLflow folder runs code: never inspected


CASES: dict[str, Callable[[Path], Case]] = {
    "skops": _skops,
    "onnx": _onnx,
    "xgboost": _xgboost,
    "lightgbm": _lightgbm,
    "pickle": _pickle,
    "joblib": _joblib,
    "cloudpickle": _cloudpickle,
    "mlflow": _mlflow,
}


def _stored(tmp: Path, name: str, source: Path) -> tuple[ArtifactStore, ArtifactRef]:
    artifacts = ArtifactStore(tmp / "artifacts")
    saved = artifacts.put_file(source)
    trusted = FORMATS[name].runs_code  # the trust gate has its own tests
    return artifacts, ArtifactRef(saved.id, saved.sha256, name, trusted, f"{name} v1")


def _table(rows: int) -> pa.Table:
    data = RNG.normal(size=(rows, 3))
    columns = {name: data[:, i] for i, name in enumerate(FEATURES)}
    return pa.table({**columns, "note": ["x"] * rows})  # extra columns are ignored


def _loaded(tmp_path: Path, name: str):
    case = CASES[name](tmp_path)
    artifacts, ref = _stored(tmp_path, name, case.path)
    return load_model(artifacts, ref, FEATURES)


def test_every_registered_format_has_a_case():
    assert sorted(FORMATS) == sorted(CASES), "add a case for each registered format"


@pytest.mark.parametrize("name", sorted(CASES))
def test_detect_format_names_the_case(tmp_path, name):
    assert detect_format(CASES[name](tmp_path).path) == name


@pytest.mark.parametrize("name", sorted(CASES))
def test_inspect_reports_the_task(tmp_path, name):
    case = CASES[name](tmp_path)
    facts = inspect_artifact(case.path, name)
    assert facts["task"] == case.task
    if case.task == "classification":
        assert facts["classes"] == [0, 1]
    else:
        assert facts["classes"] is None


@pytest.mark.parametrize("name", sorted(CASES))
def test_predicts_shapes_and_probabilities(tmp_path, name):
    model = _loaded(tmp_path, name)
    table = _table(25)
    first, second = model.predict(table), model.predict(table)
    assert model.format == name
    assert model.features == FEATURES
    assert first.predictions.shape == (25,)
    np.testing.assert_array_equal(first.predictions, second.predictions)  # deterministic
    if model.classes is None:
        assert first.scores is None
    else:
        assert model.classes == [0, 1]
        assert first.scores.shape == (25, 2)
        np.testing.assert_allclose(first.scores.sum(axis=1), 1.0, rtol=1e-5)
        assert set(first.predictions.tolist()) <= {0, 1}


@pytest.mark.parametrize("name", sorted(CASES))
def test_empty_and_one_row_tables(tmp_path, name):
    model = _loaded(tmp_path, name)
    empty, one = model.predict(_table(0)), model.predict(_table(1))
    assert empty.predictions.shape == (0,)
    assert one.predictions.shape == (1,)
    if model.classes is not None:
        assert empty.scores.shape == (0, 2)
        assert one.scores.shape == (1, 2)


@pytest.mark.parametrize("name", sorted(CASES))
def test_missing_feature_column_is_named(tmp_path, name):
    model = _loaded(tmp_path, name)
    with pytest.raises(UnknownColumn, match="'b'"):
        model.predict(_table(3).drop_columns(["b"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_changed_bytes_are_refused(tmp_path, name):
    case = CASES[name](tmp_path)
    artifacts, ref = _stored(tmp_path, name, case.path)
    stored = artifacts.path(ref.artifact_id)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=f"^{name} v1: artifact .* changed since registration"):
        load_model(artifacts, ref, FEATURES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_wrong_format_gives_a_clear_artifact_error(tmp_path, name):
    source = tmp_path / "notes.txt"
    source.write_text("these are meeting notes, not a model\n")
    artifacts, ref = _stored(tmp_path, name, source)
    with pytest.raises(ArtifactError) as raised:
        load_model(artifacts, ref, FEATURES)
    message = str(raised.value)
    assert message.startswith(f"{name} v1: ")
    assert "\n" not in message and "Stack trace" not in message


@pytest.mark.parametrize("name", sorted(CASES))
def test_missing_and_infinite_values_answer_or_fail_clearly(tmp_path, name):
    model = _loaded(tmp_path, name)
    table = pa.table({"a": [np.nan, np.inf, None], "b": [1.0, 2.0, 3.0], "c": [0.0, 0.0, 0.0]})
    try:
        prediction = model.predict(table)
    except InputError as exc:
        assert str(exc).startswith(f"the {name} model rejected the input: ")
    else:
        assert prediction.predictions.shape == (3,)
