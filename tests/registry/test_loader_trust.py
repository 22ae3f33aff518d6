"""The trust gate: formats that run code on load never run for untrusted versions.

Each artifact carries a canary: unpickling it creates a file. Untrusted, the canary must
stay absent (through ``load_model`` and ``inspect_artifact``); trusted, the same bytes do
load and the canary appears, which proves the canary is real. The MLflow case is a real
pyfunc folder whose ``load_context`` writes the canary, also checked through registration,
``ModelRegistry.load`` and ``steward models verify --load``.
"""

from __future__ import annotations

import pathlib
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from steward._exceptions import ArtifactError, UntrustedArtifact
from steward.registry.loader import ArtifactRef, inspect_artifact, load_model
from steward.store.artifacts import ArtifactStore

FEATURES = ["a", "b"]
X = np.random.default_rng(3).normal(size=(40, 2))
Y = (X[:, 0] > 0).astype(int)


class Canary:
    """Unpickles as a call to ``Path.touch(path)``: any load leaves a file behind."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.touch, (self.path,))


def _model_with_canary(canary: Path):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(X, Y)
    model.steward_canary = Canary(canary)
    return model


def _pickle(model, tmp: Path) -> Path:
    (tmp / "m.pkl").write_bytes(pickle.dumps(model))
    return tmp / "m.pkl"


def _joblib(model, tmp: Path) -> Path:
    import joblib

    joblib.dump(model, tmp / "m.joblib")
    return tmp / "m.joblib"


def _cloudpickle(model, tmp: Path) -> Path:
    import cloudpickle

    (tmp / "m.cpkl").write_bytes(cloudpickle.dumps(model))
    return tmp / "m.cpkl"


def _mlflow(model, tmp: Path) -> Path:
    """A real pyfunc folder whose ``load_context`` touches the canary, around a clean model."""
    import mlflow.pyfunc

    folder = tmp / "mlflow-model"
    python_model = canary_pyfunc(model.steward_canary.path, _plain_model())
    mlflow.pyfunc.save_model(folder, python_model=python_model, pip_requirements=[])
    return folder


def _plain_model():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(X, Y)


def canary_pyfunc(canary: Path, estimator):
    """An ``mlflow.pyfunc.PythonModel`` that writes ``canary`` when MLflow loads it.

    Defined inside a function so cloudpickle stores the class by value: the folder loads
    in any process, as a user's model would.
    """
    import mlflow.pyfunc

    class CanaryModel(mlflow.pyfunc.PythonModel):
        def __init__(self) -> None:
            self.canary = str(canary)
            self.estimator = estimator

        def load_context(self, context) -> None:
            Path(self.canary).write_text("ran")

        def predict(self, context, model_input: pd.DataFrame, params=None):
            return self.estimator.predict(model_input.to_numpy())

    return CanaryModel()


WRITERS: dict[str, Callable] = {
    "pickle": _pickle,
    "joblib": _joblib,
    "cloudpickle": _cloudpickle,
    "mlflow": _mlflow,
}


def _stored(tmp_path: Path, name: str, trusted: bool):
    canary = tmp_path / "canary"
    source = WRITERS[name](_model_with_canary(canary), tmp_path)
    artifacts = ArtifactStore(tmp_path / "artifacts")
    saved = artifacts.put_file(source)
    assert not canary.exists()  # writing the artifact ran nothing
    ref = ArtifactRef(saved.id, saved.sha256, name, trusted, "credit v3")
    return artifacts, ref, source, canary


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_untrusted_code_running_artifact_never_executes(tmp_path, name):
    artifacts, ref, _, canary = _stored(tmp_path, name, trusted=False)
    with pytest.raises(UntrustedArtifact) as raised:
        load_model(artifacts, ref, FEATURES)
    assert str(raised.value).startswith(f"credit v3: {name} artifacts run code")
    assert not canary.exists()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_inspect_never_opens_code_running_artifacts(tmp_path, name):
    _, _, source, canary = _stored(tmp_path, name, trusted=False)
    assert inspect_artifact(source, name) == {"task": "unknown", "classes": None}
    assert not canary.exists()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_trust_is_checked_before_the_bytes_are_read(tmp_path, name):
    artifacts, ref, _, canary = _stored(tmp_path, name, trusted=False)
    artifacts.path(ref.artifact_id).write_bytes(b"tampered")  # would fail the SHA-256 check
    with pytest.raises(UntrustedArtifact):
        load_model(artifacts, ref, FEATURES)
    assert not canary.exists()


@pytest.mark.parametrize("name", ["pickle", "joblib", "cloudpickle"])
def test_the_same_artifact_trusted_does_load(tmp_path, name):
    artifacts, ref, _, canary = _stored(tmp_path, name, trusted=True)
    model = load_model(artifacts, ref, FEATURES)
    assert canary.exists()  # the canary is real: loading ran it
    table = pa.table({"a": X[:, 0], "b": X[:, 1]})
    prediction = model.predict(table)
    assert model.classes == [0, 1]
    assert prediction.scores.shape == (40, 2)
    assert (prediction.predictions == Y).mean() > 0.9


def test_trusted_mlflow_without_mlflow_names_the_package(tmp_path, monkeypatch):
    artifacts, ref, _, canary = _stored(tmp_path, "mlflow", trusted=True)
    for module in ("mlflow", "mlflow.pyfunc"):  # as if mlflow were not installed
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ArtifactError, match=r"credit v3: .*needs the 'mlflow' package"):
        load_model(artifacts, ref, FEATURES)
    assert not canary.exists()


def test_trusted_mlflow_folder_does_load(tmp_path):
    artifacts, ref, _, canary = _stored(tmp_path, "mlflow", trusted=True)
    model = load_model(artifacts, ref, FEATURES)
    assert canary.read_text() == "ran"  # the canary is real: MLflow ran load_context
    prediction = model.predict(pa.table({"a": X[:, 0], "b": X[:, 1]}))
    assert model.classes is None and prediction.scores is None  # a PythonModel names none
    np.testing.assert_array_equal(prediction.predictions, _plain_model().predict(X))


def test_unknown_format_is_refused_first(tmp_path):
    artifacts = ArtifactStore(tmp_path / "artifacts")
    saved = artifacts.put_bytes(b"whatever")
    ref = ArtifactRef(saved.id, saved.sha256, "h5", True, "credit v3")
    with pytest.raises(ArtifactError, match=r"credit v3: unknown model format 'h5'; known: \["):
        load_model(artifacts, ref, FEATURES)


def test_artifacts_are_named_by_store_id_only(tmp_path):
    artifacts = ArtifactStore(tmp_path / "artifacts")
    (tmp_path / "model.onnx").write_bytes(b"x")
    ref = ArtifactRef("../model.onnx", "0" * 64, "onnx", False, "credit v3")
    with pytest.raises(ArtifactError, match="not an artifact id"):
        load_model(artifacts, ref, FEATURES)


def test_untrusted_mlflow_model_never_runs_through_the_registry_or_cli(
    tmp_path, monkeypatch, capsys
):
    from steward.cli import main
    from steward.registry import ModelRegistry
    from steward.store import Store

    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("STEWARD_ACTOR", "ann")

    def steward(*args: object) -> tuple[int, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["steward", *map(str, args)])
        with pytest.raises(SystemExit) as stopped:
            main()
        return int(stopped.value.code or 0), capsys.readouterr().err

    canary = tmp_path / "canary"
    folder = _mlflow(_model_with_canary(canary), tmp_path)
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": Y}).to_csv(tmp_path / "ref.csv", index=False)
    code, err = steward(
        "models", "register", "credit", folder, "--reference", tmp_path / "ref.csv", "--target", "y"
    )
    assert code == 0, err
    code, err = steward("models", "verify", "credit", "--version", 1, "--load")
    assert code == 2 and "credit v1: mlflow artifacts run code" in err
    assert len(err.strip().splitlines()) == 1  # one clear line, no MLflow traceback
    store = Store.open(home_dir=tmp_path / "home")
    registry = ModelRegistry(store)
    assert registry.get("credit", 1).format == "mlflow"
    with pytest.raises(UntrustedArtifact, match="credit v1: mlflow artifacts run code"):
        registry.load("credit", 1)
    assert not canary.exists()

    assert steward("models", "trust", "credit", 1, "--reason", "test of the test")[0] == 0
    assert steward("models", "verify", "credit", "--load") == (0, "")
    assert canary.read_text() == "ran"  # trusted, MLflow does run it: the test is real
    canary.unlink()
    model = registry.load("credit", 1)
    assert canary.read_text() == "ran"
    assert model.features == ["a", "b"]
    store.dispose()
