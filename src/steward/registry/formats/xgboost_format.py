"""XGBoost models in XGBoost's own JSON or UBJSON files (``save_model``), no code on load.

Both a ``Booster`` and the scikit-learn wrappers save this way. The objective decides the
task: ``binary:*`` and ``multi:*`` classify (classes ``0..k-1``, as XGBClassifier requires),
everything else predicts values. Probabilities match ``XGBClassifier.predict_proba``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.special import expit, softmax

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

NAME = "xgboost"


class XGBoostModel:
    """A ``Booster`` plus its objective and classes (see :func:`load`)."""

    def __init__(
        self, booster: Any, objective: str, classes: list | None, features: list[str]
    ) -> None:
        self.booster = booster
        self.objective = objective
        self.format = NAME
        self.classes = classes
        self.features = features

    def predict(self, table: pa.Table) -> Prediction:
        matrix = numeric_matrix(table, self.features)
        if table.num_rows == 0:
            return empty_prediction(self.classes)
        with rejected_input(NAME):
            if self.classes is None:
                return Prediction(self._raw(matrix, margin=False), None)
            scores = self._scores(matrix)
        if scores is None:  # binary:hinge answers 0/1 without probabilities
            labels = self._raw(matrix, margin=False).astype(int)
            return Prediction(np.asarray(self.classes)[labels], None)
        return Prediction(np.asarray(self.classes)[scores.argmax(axis=1)], scores)

    def _scores(self, matrix: np.ndarray) -> np.ndarray | None:
        if self.objective == "binary:hinge":
            return None
        if self.objective == "multi:softmax":
            return softmax(self._raw(matrix, margin=True), axis=1).astype(np.float64)
        if self.objective == "binary:logitraw":
            positive = expit(self._raw(matrix, margin=True))
        else:
            positive = self._raw(matrix, margin=False)
        if positive.ndim == 2:  # multi:softprob
            return positive.astype(np.float64)
        return np.column_stack([1 - positive, positive]).astype(np.float64)

    def _raw(self, matrix: np.ndarray, margin: bool) -> np.ndarray:
        xgb = require("xgboost", "xgboost", NAME)
        names = self.booster.feature_names
        data = xgb.DMatrix(matrix, feature_names=names)
        return self.booster.predict(
            data, output_margin=margin, iteration_range=_iterations(self.booster)
        )


def _iterations(booster: Any) -> tuple[int, int]:
    """Trees up to the best iteration when early stopping recorded one (as the wrappers do)."""
    best = booster.attr("best_iteration")
    return (0, int(best) + 1) if best is not None else (0, 0)


def _booster(path: Path) -> Any:
    xgb = require("xgboost", "xgboost", NAME)
    booster = xgb.Booster()
    with library_errors(NAME):
        booster.load_model(bytearray(path.read_bytes()))  # JSON or UBJSON, by content
    return booster


def _config(booster: Any) -> tuple[str, int]:
    """The objective's name and the number of classes (0 for binary and regression)."""
    learner = json.loads(booster.save_config())["learner"]
    return learner["objective"]["name"], int(learner["learner_model_param"]["num_class"])


def _classes(objective: str, num_class: int) -> list | None:
    if objective.startswith("binary:"):
        return [0, 1]
    if objective.startswith("multi:"):
        return list(range(num_class))
    return None


def load(path: Path, features: list[str], *, trusted: bool = False) -> LoadedModel:
    """Load an XGBoost JSON/UBJSON model file."""
    booster = _booster(path)
    objective, num_class = _config(booster)
    columns = input_columns(booster.feature_names, features, booster.num_features())
    return XGBoostModel(booster, objective, _classes(objective, num_class), columns)


def inspect(path: Path) -> dict[str, Any]:
    """Task and classes from the objective."""
    objective, num_class = _config(_booster(path))
    return task_facts(_classes(objective, num_class), regression=True)


FORMATS.register(NAME, ArtifactFormat(NAME, (".json", ".ubj"), False, load, inspect))
