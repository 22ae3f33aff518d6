"""MLflow pyfunc model folders: they run code when loaded, so trusted versions only.

A folder with an ``MLmodel`` file is stored as one zip archive and unpacked (after its
SHA-256 check) into a temporary folder. Loading copies that folder into one the loaded
model owns, because pyfunc models may read their files (``context.artifacts``) long after
loading; the copy is deleted when the model is garbage-collected.

Labels (or values) come from pyfunc ``predict``. When the flavour hands back a classifier
(``get_raw_model()`` with ``classes_``, e.g. ``mlflow.sklearn``), its classes are read and
``predict_proba`` gives the scores; a model saved with ``pyfunc_predict_fn="predict_proba"``
answers scores through pyfunc and labels through the raw model's ``predict``. A custom
``PythonModel`` answers values only: ``classes`` is ``None``.

Loading is local: the folder is passed as a plain path, so MLflow reads no tracking server,
registry or ``mlruns`` folder. MLflow's dependency-mismatch warnings are turned off: they
would repeat on every load of every version.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from steward._exceptions import ArtifactError
from steward.registry.formats._base import (
    FORMATS,
    ArtifactFormat,
    LoadedModel,
    Prediction,
    empty_prediction,
    input_columns,
    library_errors,
    rejected_input,
    require,
)
from steward.registry.formats._estimator import estimator_classes
from steward.registry.formats._tabular import data_frame, numeric_matrix

NAME = "mlflow"
MARKER = "MLmodel"
PYFUNC = "python_function"


class PyfuncModel:
    """An ``mlflow.pyfunc.PyFuncModel`` fed its input columns (a DataFrame, or a float
    matrix for a scikit-learn model fitted on one).

    ``folder`` is the model's own unpacked copy; it lives as long as this object.
    ``classifier`` is the flavour's raw model when it has classes (scores come from it).
    """

    def __init__(
        self, model: Any, features: list[str], folder: tempfile.TemporaryDirectory
    ) -> None:
        self.model = model
        self.format = NAME
        self.folder = folder
        raw = _raw_model(model)
        self.by_name = _by_name(raw)
        self.features = _input_columns(model, raw, features)
        self.classes = estimator_classes(raw)
        self.classifier = raw if self.classes is not None else None
        self.predict_fn = _pyfunc_conf(model).get("predict_fn", "predict")

    def predict(self, table: pa.Table) -> Prediction:
        frame = self._inputs(table)
        if table.num_rows == 0:
            return empty_prediction(self.classes)
        with rejected_input(NAME):
            output = np.asarray(self.model.predict(frame))
            if self.classifier is None:
                return Prediction(_one_value_per_row(output), None)
            return self._classified(frame, output)

    def _inputs(self, table: pa.Table) -> Any:
        if self.by_name:
            return data_frame(table, self.features)
        return numeric_matrix(table, self.features)

    def _classified(self, frame: Any, output: np.ndarray) -> Prediction:
        """Labels and scores of a classifier flavour, whichever one pyfunc answers."""
        raw = self.classifier
        labels = output if self.predict_fn == "predict" else np.asarray(raw.predict(frame))
        if self.predict_fn == "predict_proba":
            scores = output
        elif callable(getattr(raw, "predict_proba", None)):
            scores = np.asarray(raw.predict_proba(frame))
        else:
            return Prediction(labels.ravel(), None)
        return Prediction(labels.ravel(), scores.astype(np.float64, copy=False))


def load(path: Path, features: list[str], *, trusted: bool = False) -> LoadedModel:
    """Load an MLflow model folder through ``mlflow.pyfunc`` (trusted versions only)."""
    if not (path / MARKER).is_file():
        raise ArtifactError(f"not an MLflow model folder: no {MARKER} file at its top level")
    mlflow_pyfunc = require("mlflow.pyfunc", "mlflow", NAME)
    folder = tempfile.TemporaryDirectory(prefix="steward-mlflow-")
    try:
        copy = Path(shutil.copytree(path, Path(folder.name) / "model"))
        with library_errors(NAME, copy):
            model = mlflow_pyfunc.load_model(str(copy), suppress_warnings=True)
        return PyfuncModel(model, list(features), folder)
    except BaseException:
        folder.cleanup()
        raise


def _pyfunc_conf(model: Any) -> dict[str, Any]:
    """The ``python_function`` flavour of the model's ``MLmodel`` file."""
    return dict(model.metadata.flavors.get(PYFUNC) or {})


def _raw_model(model: Any) -> Any | None:
    """The flavour's own model (e.g. the scikit-learn estimator) when MLflow exposes it."""
    try:
        return model.get_raw_model()
    except Exception:  # custom PythonModels and many flavours expose no raw model
        return None


def _by_name(raw: Any) -> bool:
    """Pyfunc takes a DataFrame, except a scikit-learn model fitted on a bare matrix,
    which gets one (as trusted pickles do) rather than a warning on every call."""
    if raw is None or getattr(raw, "feature_names_in_", None) is not None:
        return True
    return not isinstance(getattr(raw, "n_features_in_", None), int)


def _input_columns(model: Any, raw: Any, features: list[str]) -> list[str]:
    """The model's own column names (estimator, then signature), else ``features``."""
    names = getattr(raw, "feature_names_in_", None)
    own = [str(name) for name in names] if names is not None else _signature_names(model)
    width = getattr(raw, "n_features_in_", None)
    return input_columns(own, features, width if isinstance(width, int) else None)


def _signature_names(model: Any) -> list[str] | None:
    """The input column names of the model's signature, if it was saved with one."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return None
    return [str(name) for name in schema.input_names()]


def _one_value_per_row(output: np.ndarray) -> np.ndarray:
    """Pyfunc values as a vector; several unnamed outputs per row cannot be classes."""
    if output.ndim == 2 and output.shape[1] == 1:
        return output.ravel()
    if output.ndim > 1:
        raise ArtifactError(
            f"the {NAME} model answered {output.shape[1]} values per row and names no classes; "
            "save classifiers with a flavour that keeps them (e.g. mlflow.sklearn)"
        )
    return output


FORMATS.register(NAME, ArtifactFormat(NAME, (), True, load, folder_marker=MARKER))
