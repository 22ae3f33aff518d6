"""MLflow pyfunc model folders: they run code when loaded, so trusted versions only.

A folder with an ``MLmodel`` file is stored as one zip archive and unpacked (after its
SHA-256 check) into a temporary folder for loading. Loading needs the ``mlflow`` package;
the model answers values only (pyfunc does not say which output is which class).
"""

from __future__ import annotations

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
    library_errors,
    rejected_input,
    require,
)
from steward.registry.formats._tabular import data_frame

NAME = "mlflow"
MARKER = "MLmodel"


class PyfuncModel:
    """An ``mlflow.pyfunc.PyFuncModel`` fed a DataFrame of the version's features."""

    def __init__(self, model: Any, features: list[str]) -> None:
        self.model = model
        self.format = NAME
        self.classes: list | None = None
        self.features = features

    def predict(self, table: pa.Table) -> Prediction:
        frame = data_frame(table, self.features)
        if table.num_rows == 0:
            return empty_prediction(None)
        with rejected_input(NAME):
            output = self.model.predict(frame)
        values = np.asarray(output)
        flat = values.ndim == 2 and values.shape[1] == 1
        return Prediction(values.ravel() if flat else values, None)


def load(path: Path, features: list[str], *, trusted: bool = False) -> LoadedModel:
    """Load an MLflow model folder through ``mlflow.pyfunc`` (trusted versions only)."""
    if not (path / MARKER).is_file():
        raise ArtifactError(f"not an MLflow model folder: no {MARKER} file at its top level")
    mlflow_pyfunc = require("mlflow.pyfunc", "mlflow", NAME)
    with library_errors(NAME):
        model = mlflow_pyfunc.load_model(str(path))
    return PyfuncModel(model, list(features))


FORMATS.register(NAME, ArtifactFormat(NAME, (), True, load, folder_marker=MARKER))
