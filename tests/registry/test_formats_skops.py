"""The skops allow-list: scikit-learn, NumPy, SciPy, builtins and collections types load;
anything else needs a trusted version or the ``STEWARD_SKOPS_TRUSTED`` list."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from steward._exceptions import UntrustedArtifact
from steward.registry.formats.skops_format import TRUSTED_ENV, refused_types
from steward.registry.loader import ArtifactRef, inspect_artifact, load_model
from steward.store.artifacts import ArtifactStore

FEATURES = ["a", "b"]
X = np.random.default_rng(5).normal(size=(60, 2))
Y = (X[:, 0] - X[:, 1] > 0).astype(int)
TABLE = pa.table({"a": X[:, 0], "b": X[:, 1]})
CUSTOM = f"{__name__}.Doubler"


class Doubler(TransformerMixin, BaseEstimator):
    """A user's own transformer: not on the allow-list."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X) * 2.0


def _stored(tmp_path, model, trusted: bool):
    import skops.io as sio

    sio.dump(model, tmp_path / "m.skops")
    artifacts = ArtifactStore(tmp_path / "artifacts")
    saved = artifacts.put_file(tmp_path / "m.skops")
    ref = ArtifactRef(saved.id, saved.sha256, "skops", trusted, "churn v2")
    return artifacts, ref


@pytest.fixture(autouse=True)
def _no_extra_trusted_types(monkeypatch):
    monkeypatch.delenv(TRUSTED_ENV, raising=False)


def _custom_pipeline():
    return make_pipeline(Doubler(), LogisticRegression()).fit(X, Y)


def test_a_custom_type_is_refused_untrusted_and_named(tmp_path):
    artifacts, ref = _stored(tmp_path, _custom_pipeline(), trusted=False)
    with pytest.raises(UntrustedArtifact) as raised:
        load_model(artifacts, ref, FEATURES)
    assert str(raised.value).startswith("churn v2: the skops file contains types outside")
    assert CUSTOM in str(raised.value)


def test_the_same_file_loads_when_the_version_is_trusted(tmp_path):
    model = _custom_pipeline()
    artifacts, ref = _stored(tmp_path, model, trusted=True)
    loaded = load_model(artifacts, ref, FEATURES)
    prediction = loaded.predict(TABLE)
    np.testing.assert_array_equal(prediction.predictions, model.predict(X))
    np.testing.assert_allclose(prediction.scores, model.predict_proba(X), rtol=1e-5)


def test_the_environment_list_trusts_named_types(tmp_path, monkeypatch):
    monkeypatch.setenv(TRUSTED_ENV, f"some.other.Type, {CUSTOM}")
    model = _custom_pipeline()
    artifacts, ref = _stored(tmp_path, model, trusted=False)
    loaded = load_model(artifacts, ref, FEATURES)
    np.testing.assert_array_equal(loaded.predict(TABLE).predictions, model.predict(X))


def test_builtins_that_run_code_stay_refused(tmp_path):
    model = make_pipeline(FunctionTransformer(eval), LogisticRegression())
    artifacts, ref = _stored(tmp_path, model, trusted=False)
    with pytest.raises(UntrustedArtifact, match=r"builtins\.eval"):
        load_model(artifacts, ref, FEATURES)


def test_allow_list_prefixes():
    names = ["sklearn.x.Y", "numpy.dtype", "scipy.sparse.csr_matrix", "collections.OrderedDict"]
    assert refused_types([*names, "builtins.slice", "builtins.exec", "os.system"]) == [
        "builtins.exec",
        "os.system",
    ]


def test_inspect_does_not_open_a_file_with_custom_types(tmp_path):
    import skops.io as sio

    sio.dump(_custom_pipeline(), tmp_path / "m.skops")
    assert inspect_artifact(tmp_path / "m.skops", "skops") == {"task": "unknown", "classes": None}


def test_inspect_reads_an_allowed_regressor(tmp_path):
    import skops.io as sio
    from sklearn.linear_model import Ridge

    sio.dump(make_pipeline(Ridge()).fit(X, X[:, 0]), tmp_path / "r.skops")
    facts = inspect_artifact(tmp_path / "r.skops", "skops")
    assert facts == {"task": "regression", "classes": None}
