"""Each format round-trips a real small model: stored, loaded, same answers.

Predictions and probabilities through the loader equal the in-memory model's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from steward._exceptions import InputError
from steward.registry.loader import ArtifactRef, load_model
from steward.store.artifacts import ArtifactStore

RNG = np.random.default_rng(11)
N = 200
FRAME = pd.DataFrame(
    {
        "age": RNG.normal(40, 12, N),
        "income": RNG.lognormal(10, 0.5, N),
        "region": RNG.choice(["north", "south", "east"], N),
    }
)
LABELS = np.where(FRAME["age"] / 40 + RNG.normal(0, 0.5, N) > 1, "bad", "good")
NUMERIC = FRAME[["age", "income"]].to_numpy()
THREE = RNG.integers(0, 3, N)
TABLE = pa.Table.from_pandas(FRAME, preserve_index=False)


def _load(tmp_path: Path, source: Path, fmt: str, features: list[str], trusted: bool = False):
    artifacts = ArtifactStore(tmp_path / "artifacts")
    saved = artifacts.put_file(source)
    ref = ArtifactRef(saved.id, saved.sha256, fmt, trusted, f"{fmt} v1")
    return load_model(artifacts, ref, features)


def _assert_same(prediction, labels, probabilities=None) -> None:
    np.testing.assert_array_equal(prediction.predictions, np.asarray(labels))
    if probabilities is None:
        assert prediction.scores is None
    else:
        np.testing.assert_allclose(prediction.scores, probabilities, rtol=1e-5)


# --- skops -----------------------------------------------------------------------------


def _pipeline(final):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer(
        [
            ("numbers", StandardScaler(), ["age", "income"]),
            ("region", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    return Pipeline([("columns", columns), ("model", final)])


def test_skops_pipeline_classifier_on_a_dataframe(tmp_path):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    model = _pipeline(LogisticRegression()).fit(FRAME, LABELS)
    sio.dump(model, tmp_path / "credit.skops")
    loaded = _load(tmp_path, tmp_path / "credit.skops", "skops", ["age", "income", "region"])
    assert loaded.classes == ["bad", "good"]
    assert loaded.features == ["age", "income", "region"]
    _assert_same(loaded.predict(TABLE), model.predict(FRAME), model.predict_proba(FRAME))


def test_skops_pipeline_regressor_reads_columns_by_name(tmp_path):
    import skops.io as sio
    from sklearn.linear_model import Ridge

    model = _pipeline(Ridge()).fit(FRAME, FRAME["age"] * 2)
    sio.dump(model, tmp_path / "ridge.skops")
    loaded = _load(tmp_path, tmp_path / "ridge.skops", "skops", ["region", "income", "age"])
    shuffled = TABLE.select(["region", "income", "age"])  # column order does not matter
    prediction = loaded.predict(shuffled)
    assert loaded.classes is None and prediction.scores is None
    np.testing.assert_allclose(prediction.predictions, model.predict(FRAME), rtol=1e-5)


def test_matrix_model_refuses_a_text_column_clearly(tmp_path):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    sio.dump(LogisticRegression().fit(NUMERIC, LABELS), tmp_path / "plain.skops")
    loaded = _load(tmp_path, tmp_path / "plain.skops", "skops", ["age", "region"])
    with pytest.raises(InputError, match="column 'region' holds text"):
        loaded.predict(TABLE)


# --- ONNX ------------------------------------------------------------------------------


@pytest.mark.parametrize("zipmap", [True, False])
def test_onnx_classifier_with_and_without_zipmap(tmp_path, zipmap):
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(NUMERIC, LABELS)
    options = {id(model): {"zipmap": zipmap}}
    onx = to_onnx(model, NUMERIC[:1].astype(np.float32), options=options)
    (tmp_path / "m.onnx").write_bytes(onx.SerializeToString())
    loaded = _load(tmp_path, tmp_path / "m.onnx", "onnx", ["age", "income"])
    assert loaded.classes == ["bad", "good"]
    inputs = NUMERIC.astype(np.float32)  # the ONNX graph computes in float32
    expected = model.predict_proba(inputs)
    _assert_same(loaded.predict(TABLE), model.predict(inputs), expected)


def test_onnx_regressor_in_double_precision(tmp_path):
    from skl2onnx import to_onnx
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(NUMERIC, FRAME["age"] * 3)
    (tmp_path / "r.onnx").write_bytes(to_onnx(model, NUMERIC[:1]).SerializeToString())
    loaded = _load(tmp_path, tmp_path / "r.onnx", "onnx", ["age", "income"])
    prediction = loaded.predict(TABLE)
    assert loaded.classes is None and prediction.scores is None
    np.testing.assert_allclose(prediction.predictions, model.predict(NUMERIC), rtol=1e-5)


def test_onnx_with_one_input_per_column(tmp_path):
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.linear_model import LogisticRegression

    model = _pipeline(LogisticRegression()).fit(FRAME, LABELS)
    types = [
        ("age", FloatTensorType([None, 1])),
        ("income", FloatTensorType([None, 1])),
        ("region", StringTensorType([None, 1])),
    ]
    onx = convert_sklearn(model, initial_types=types)
    (tmp_path / "p.onnx").write_bytes(onx.SerializeToString())
    loaded = _load(tmp_path, tmp_path / "p.onnx", "onnx", ["age", "income", "region"])
    assert loaded.features == ["age", "income", "region"]
    expected = model.predict_proba(FRAME)
    _assert_same(loaded.predict(TABLE), model.predict(FRAME), expected)


# --- XGBoost ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_xgboost_binary_classifier_fitted_on_a_dataframe(tmp_path, suffix):
    import xgboost as xgb

    frame = FRAME[["age", "income"]]
    target = (LABELS == "good").astype(int)
    model = xgb.XGBClassifier(n_estimators=20, max_depth=3).fit(frame, target)
    model.save_model(tmp_path / f"x{suffix}")
    loaded = _load(tmp_path, tmp_path / f"x{suffix}", "xgboost", ["age", "income"])
    assert loaded.classes == [0, 1] and loaded.features == ["age", "income"]
    _assert_same(loaded.predict(TABLE), model.predict(frame), model.predict_proba(frame))


@pytest.mark.parametrize("objective", ["multi:softprob", "multi:softmax"])
def test_xgboost_multiclass_fitted_on_a_matrix(tmp_path, objective):
    import xgboost as xgb

    model = xgb.XGBClassifier(n_estimators=10, objective=objective).fit(NUMERIC, THREE)
    model.save_model(tmp_path / "x.json")
    loaded = _load(tmp_path, tmp_path / "x.json", "xgboost", ["age", "income"])
    assert loaded.classes == [0, 1, 2]
    _assert_same(loaded.predict(TABLE), model.predict(NUMERIC), model.predict_proba(NUMERIC))


def test_xgboost_booster_regressor(tmp_path):
    import xgboost as xgb

    data = xgb.DMatrix(NUMERIC, label=FRAME["age"].to_numpy())
    booster = xgb.train({"objective": "reg:squarederror"}, data, num_boost_round=10)
    booster.save_model(tmp_path / "b.ubj")
    loaded = _load(tmp_path, tmp_path / "b.ubj", "xgboost", ["age", "income"])
    prediction = loaded.predict(TABLE)
    assert loaded.classes is None and prediction.scores is None
    np.testing.assert_allclose(prediction.predictions, booster.predict(data), rtol=1e-5)


# --- LightGBM --------------------------------------------------------------------------


def test_lightgbm_regressor_fitted_on_a_dataframe(tmp_path):
    import lightgbm as lgb

    frame = FRAME[["age", "income"]]
    model = lgb.LGBMRegressor(n_estimators=20, verbose=-1).fit(frame, FRAME["age"] * 2)
    model.booster_.save_model(tmp_path / "r.txt")
    loaded = _load(tmp_path, tmp_path / "r.txt", "lightgbm", ["income", "age"])
    assert loaded.features == ["age", "income"]  # the model's own column order
    prediction = loaded.predict(TABLE)
    assert loaded.classes is None and prediction.scores is None
    np.testing.assert_allclose(prediction.predictions, model.predict(frame), rtol=1e-5)


@pytest.mark.parametrize("target", [THREE, THREE == 1], ids=["multiclass", "binary"])
def test_lightgbm_classifier_fitted_on_a_matrix(tmp_path, target):
    import lightgbm as lgb

    target = target.astype(int)
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(NUMERIC, target)
    model.booster_.save_model(tmp_path / "c.lgb")
    loaded = _load(tmp_path, tmp_path / "c.lgb", "lightgbm", ["age", "income"])
    assert loaded.classes == model.classes_.tolist()
    _assert_same(loaded.predict(TABLE), model.predict(NUMERIC), model.predict_proba(NUMERIC))


# --- MLflow (trusted: pyfunc runs code) --------------------------------------------------

FEATURES3 = ["age", "income", "region"]


def _mlflow_load(tmp_path: Path, model, features: list[str], **options):
    import mlflow.sklearn

    mlflow.sklearn.save_model(model, tmp_path / "mlflow-model", pip_requirements=[], **options)
    return _load(tmp_path, tmp_path / "mlflow-model", "mlflow", features, trusted=True)


@pytest.mark.parametrize("serialization", ["skops", "cloudpickle"])
def test_mlflow_sklearn_pipeline_classifier_on_a_dataframe(tmp_path, serialization):
    from sklearn.linear_model import LogisticRegression

    model = _pipeline(LogisticRegression()).fit(FRAME, LABELS)
    options = {"serialization_format": serialization}
    loaded = _mlflow_load(tmp_path, model, ["region", "income", "age"], **options)
    assert loaded.classes == ["bad", "good"]  # read from the sklearn flavour
    assert loaded.features == FEATURES3  # the estimator's own column order
    _assert_same(loaded.predict(TABLE), model.predict(FRAME), model.predict_proba(FRAME))


def test_mlflow_classifier_saved_to_answer_probabilities(tmp_path):
    from sklearn.linear_model import LogisticRegression

    model = _pipeline(LogisticRegression()).fit(FRAME, THREE)
    options = {"pyfunc_predict_fn": "predict_proba", "serialization_format": "cloudpickle"}
    loaded = _mlflow_load(tmp_path, model, FEATURES3, **options)
    assert loaded.classes == [0, 1, 2]
    _assert_same(loaded.predict(TABLE), model.predict(FRAME), model.predict_proba(FRAME))


def test_mlflow_regressor_answers_values_only(tmp_path):
    from sklearn.linear_model import Ridge

    model = _pipeline(Ridge()).fit(FRAME, FRAME["age"] * 2)
    loaded = _mlflow_load(tmp_path, model, FEATURES3, serialization_format="cloudpickle")
    prediction = loaded.predict(TABLE)
    assert loaded.classes is None and prediction.scores is None
    np.testing.assert_allclose(prediction.predictions, model.predict(FRAME), rtol=1e-9)


@pytest.mark.filterwarnings("ignore:.*An input example was not provided")
def test_mlflow_signature_names_the_columns(tmp_path):
    import mlflow.pyfunc
    from mlflow.models import infer_signature

    signature = infer_signature(FRAME[["income", "age"]])
    mlflow.pyfunc.save_model(
        tmp_path / "m", python_model=AgeModel(), signature=signature, pip_requirements=[]
    )
    loaded = _load(tmp_path, tmp_path / "m", "mlflow", ["age", "income"], trusted=True)
    assert loaded.features == ["income", "age"]  # from the model's signature
    np.testing.assert_allclose(loaded.predict(TABLE).predictions, FRAME["age"] + 1)


def test_mlflow_model_reads_its_files_after_loading(tmp_path):
    import gc

    import mlflow.pyfunc

    (tmp_path / "offset.txt").write_text("1000")
    artifacts = {"offset": str(tmp_path / "offset.txt")}
    mlflow.pyfunc.save_model(
        tmp_path / "m", python_model=LazyModel(), artifacts=artifacts, pip_requirements=[]
    )
    loaded = _load(tmp_path, tmp_path / "m", "mlflow", ["age"], trusted=True)
    gc.collect()  # the loader's own unpacked folder is long gone
    folder = Path(loaded.folder.name)
    prediction = loaded.predict(TABLE)  # opens artifacts/offset.txt only now
    np.testing.assert_allclose(prediction.predictions, FRAME["age"] + 1000)
    assert folder.is_dir()
    del loaded, prediction
    gc.collect()
    assert not folder.exists()  # the copy goes with the model


def test_mlflow_loads_locally_and_quietly(tmp_path, monkeypatch, capfd):
    import socket

    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    model = _pipeline(LogisticRegression()).fit(FRAME, LABELS)
    mlflow.sklearn.save_model(model, tmp_path / "m", pip_requirements=[])
    with socket.create_server(("127.0.0.1", 0)) as server:  # a tracking server that listens
        server.setblocking(False)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{server.getsockname()[1]}")
        work = tmp_path / "cwd"
        work.mkdir()
        monkeypatch.chdir(work)
        capfd.readouterr()
        for _ in range(2):
            loaded = _load(tmp_path, tmp_path / "m", "mlflow", FEATURES3, trusted=True)
            _assert_same(loaded.predict(TABLE), model.predict(FRAME), model.predict_proba(FRAME))
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody called the tracking server
    assert list(work.iterdir()) == []  # no mlruns/ or mlflow.db in the working folder
    assert capfd.readouterr().out == ""


def _python_model_base():
    import mlflow.pyfunc

    return mlflow.pyfunc.PythonModel


class AgeModel(_python_model_base()):
    """Answers ``age + 1``."""

    def predict(self, context, model_input: pd.DataFrame, params=None):
        return model_input["age"].to_numpy() + 1


class LazyModel(_python_model_base()):
    """Reads its artifact file at every call, as models with lookup tables do."""

    def load_context(self, context) -> None:
        self.offset_path = context.artifacts["offset"]

    def predict(self, context, model_input: pd.DataFrame, params=None):
        offset = float(Path(self.offset_path).read_text())
        return model_input["age"].to_numpy() + offset
