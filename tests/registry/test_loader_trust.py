"""The trust gate: formats that run code on load never run for untrusted versions.

Each artifact carries a canary: unpickling it creates a file. Untrusted, the canary must
stay absent (through ``load_model`` and ``inspect_artifact``); trusted, the same bytes do
load and the canary appears, which proves the canary is real.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
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
    import cloudpickle

    folder = tmp / "mlflow-model"
    folder.mkdir()
    flavor = {"loader_module": "mlflow.pyfunc.model", "python_model": "python_model.pkl"}
    (folder / "MLmodel").write_text(json.dumps({"flavors": {"python_function": flavor}}))
    (folder / "python_model.pkl").write_bytes(cloudpickle.dumps(model))
    return folder


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


def _has_mlflow() -> bool:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return False
    return True


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


@pytest.mark.skipif(_has_mlflow(), reason="mlflow is installed")
def test_trusted_mlflow_without_mlflow_names_the_package(tmp_path):
    artifacts, ref, _, canary = _stored(tmp_path, "mlflow", trusted=True)
    with pytest.raises(ArtifactError, match=r"credit v3: .*needs the 'mlflow' package"):
        load_model(artifacts, ref, FEATURES)
    assert not canary.exists()


@pytest.mark.skipif(not _has_mlflow(), reason="mlflow is not installed")
def test_trusted_mlflow_folder_does_load(tmp_path):
    artifacts, ref, _, canary = _stored(tmp_path, "mlflow", trusted=True)
    with contextlib.suppress(ArtifactError):  # the canary model is no PythonModel
        load_model(artifacts, ref, FEATURES)
    assert canary.exists()


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
