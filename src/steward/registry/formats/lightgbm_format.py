"""LightGBM models in LightGBM's own text format (``save_model``), no code on load.

The objective decides the task: ``binary``, ``multiclass`` and ``multiclassova`` classify;
everything else predicts values. Native files keep no original labels, so the classes are
``0..k-1`` (what ``LGBMClassifier`` encodes its labels to).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

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
    task_facts,
)
from steward.registry.formats._tabular import numeric_matrix

NAME = "lightgbm"
CLASSIFYING = ("binary", "multiclass", "multiclassova")


class LightGBMModel:
    """A LightGBM ``Booster`` plus its classes (see :func:`load`)."""

    def __init__(self, booster: Any, classes: list | None, features: list[str]) -> None:
        self.booster = booster
        self.format = NAME
        self.classes = classes
        self.features = features

    def predict(self, table: pa.Table) -> Prediction:
        matrix = numeric_matrix(table, self.features)
        if table.num_rows == 0:
            return empty_prediction(self.classes)
        with rejected_input(NAME):
            raw = np.asarray(self.booster.predict(matrix), dtype=np.float64)
        if self.classes is None:
            return Prediction(raw, None)
        scores = raw if raw.ndim == 2 else np.column_stack([1 - raw, raw])
        return Prediction(np.asarray(self.classes)[scores.argmax(axis=1)], scores)


def _booster(path: Path) -> Any:
    lgb = require("lightgbm", "lightgbm", NAME)
    with library_errors(NAME, path):
        return lgb.Booster(model_file=str(path))


def _objective(path: Path) -> str:
    """The objective's name from the model file's header (``objective=binary sigmoid:1``)."""
    with path.open("rb") as handle:
        for raw in handle:
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith("objective="):
                return line.removeprefix("objective=").split(" ")[0]
            if line.startswith("Tree="):
                break
    return "unknown"


def _classes(booster: Any, objective: str) -> list | None:
    if objective not in CLASSIFYING:
        return None
    count = booster.num_model_per_iteration()
    return [0, 1] if objective == "binary" else list(range(count))


def _own_names(booster: Any) -> list[str] | None:
    """The booster's feature names, unless they are LightGBM's ``Column_i`` defaults."""
    names = list(booster.feature_name())
    default = [f"Column_{i}" for i in range(len(names))]
    return None if names == default else names


def load(path: Path, features: list[str], *, trusted: bool = False) -> LoadedModel:
    """Load a LightGBM text model file."""
    booster = _booster(path)
    columns = input_columns(_own_names(booster), features, booster.num_feature())
    return LightGBMModel(booster, _classes(booster, _objective(path)), columns)


def inspect(path: Path) -> dict[str, Any]:
    """Task and classes from the objective."""
    objective = _objective(path)
    return task_facts(_classes(_booster(path), objective), regression=objective != "unknown")


FORMATS.register(NAME, ArtifactFormat(NAME, (".txt", ".lgb"), False, load, inspect))
