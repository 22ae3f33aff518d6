"""Each safe format round-trips a real small model: stored, loaded, same answers.

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


def _load(tmp_path: Path, source: Path, fmt: str, features: list[str]):
    artifacts = ArtifactStore(tmp_path / "artifacts")
    saved = artifacts.put_file(source)
    ref = ArtifactRef(saved.id, saved.sha256, fmt, False, f"{fmt} v1")
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
