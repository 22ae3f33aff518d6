"""Format detection, clear errors around the loader, and the modules' doctests."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import numpy as np
import pytest

from steward._exceptions import ArtifactError
from steward.registry.formats import FORMATS
from steward.registry.loader import ArtifactRef, detect_format, inspect_artifact, load_model
from steward.store.artifacts import ArtifactStore


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("credit.ONNX", "onnx"),
        ("model.skops", "skops"),
        ("booster.json", "xgboost"),
        ("booster.ubj", "xgboost"),
        ("gbm.txt", "lightgbm"),
        ("gbm.lgb", "lightgbm"),
        ("model.pkl", "pickle"),
        ("model.pickle", "pickle"),
        ("model.joblib", "joblib"),
        ("model.cpkl", "cloudpickle"),
    ],
)
def test_detect_format_by_suffix(filename, expected):
    assert detect_format(Path(filename)) == expected


def test_unknown_suffix_lists_the_known_ones():
    with pytest.raises(ArtifactError, match=r"'model\.h5'.*known suffixes: \['\.cloudpickle'"):
        detect_format(Path("model.h5"))


def test_folder_is_detected_by_its_marker(tmp_path):
    (tmp_path / "MLmodel").write_text("flavors: {}\n")
    assert detect_format(tmp_path) == "mlflow"


def test_a_folder_saved_by_mlflow_is_detected(tmp_path):
    import mlflow.sklearn
    from sklearn.linear_model import LinearRegression

    x = np.arange(6.0).reshape(3, 2)
    model = LinearRegression().fit(x, x[:, 0])
    mlflow.sklearn.save_model(model, tmp_path / "m", pip_requirements=[])
    assert detect_format(tmp_path / "m") == "mlflow"
    assert inspect_artifact(tmp_path / "m", "mlflow") == {"task": "unknown", "classes": None}


def test_folder_without_a_marker_is_refused(tmp_path):
    with pytest.raises(ArtifactError, match=r"no known model format \(looked for \['MLmodel'\]\)"):
        detect_format(tmp_path)


def test_no_suffix_belongs_to_two_formats():
    suffixes = [suffix for fmt in FORMATS.values() for suffix in fmt.suffixes]
    assert len(suffixes) == len(set(suffixes))
    assert all(suffix == suffix.lower() and suffix.startswith(".") for suffix in suffixes)


def test_code_running_formats_have_no_inspector():
    for fmt in FORMATS.values():
        assert (fmt.inspect is None) == fmt.runs_code, fmt.name


def test_inspect_with_an_unknown_format():
    with pytest.raises(ArtifactError, match="unknown model format 'tflite'"):
        inspect_artifact(Path("m.tflite"), "tflite")


def test_a_matrix_model_must_match_the_number_of_features(tmp_path):
    from skl2onnx import to_onnx
    from sklearn.linear_model import LinearRegression

    x = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    onx = to_onnx(LinearRegression().fit(x, x[:, 0]), x[:1])
    artifacts = ArtifactStore(tmp_path / "artifacts")
    saved = artifacts.put_bytes(onx.SerializeToString())
    ref = ArtifactRef(saved.id, saved.sha256, "onnx", False, "price v4")
    expected = r"price v4: the model takes 3 input columns but the version lists 2 features"
    with pytest.raises(ArtifactError, match=expected):
        load_model(artifacts, ref, ["a", "b"])


def test_a_folder_format_stored_as_plain_bytes_is_refused(tmp_path):
    artifacts = ArtifactStore(tmp_path / "artifacts")
    saved = artifacts.put_bytes(b"not a zip")
    ref = ArtifactRef(saved.id, saved.sha256, "mlflow", True, "price v4")
    with pytest.raises(ArtifactError, match="price v4: the stored mlflow folder is no zip archive"):
        load_model(artifacts, ref, ["a"])


@pytest.mark.parametrize("module", ["steward.registry.loader", "steward.registry.formats"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
