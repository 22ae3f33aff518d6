"""A scikit-learn-style estimator (anything with ``predict``) as a :class:`LoadedModel`.

skops files and trusted pickles both deserialise to such objects. Models fitted on a
DataFrame (``feature_names_in_``) get a DataFrame of their own columns; the others get a
float matrix in the version's feature order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from steward._exceptions import ArtifactError
from steward.registry.formats._base import (
    Prediction,
    empty_prediction,
    input_columns,
    rejected_input,
    task_facts,
)
from steward.registry.formats._tabular import data_frame, numeric_matrix


class EstimatorModel:
    """An estimator plus the facts the loader read from it (see :func:`wrap_estimator`)."""

    def __init__(
        self,
        estimator: Any,
        format: str,
        classes: list | None,
        features: list[str],
        by_name: bool,
    ) -> None:
        self.estimator = estimator
        self.format = format
        self.classes = classes
        self.features = features
        self.by_name = by_name

    def predict(self, table: pa.Table) -> Prediction:
        inputs = self._inputs(table)
        if table.num_rows == 0:
            return empty_prediction(self.classes)
        with rejected_input(self.format):
            labels = np.asarray(self.estimator.predict(inputs))
            scores = self._scores(inputs)
        return Prediction(labels, scores)

    def _inputs(self, table: pa.Table) -> Any:
        if self.by_name:
            return data_frame(table, self.features)
        return numeric_matrix(table, self.features)

    def _scores(self, inputs: Any) -> np.ndarray | None:
        if self.classes is None or not hasattr(self.estimator, "predict_proba"):
            return None
        return np.asarray(self.estimator.predict_proba(inputs), dtype=np.float64)


def wrap_estimator(estimator: Any, format: str, features: list[str]) -> EstimatorModel:
    """Check ``estimator`` can predict and read its classes and input columns."""
    if not callable(getattr(estimator, "predict", None)):
        raise ArtifactError(
            f"the {format} artifact holds a {type(estimator).__name__}, which has no predict method"
        )
    own = _names(estimator)
    width = getattr(estimator, "n_features_in_", None)
    columns = input_columns(own, features, width if isinstance(width, int) else None)
    return EstimatorModel(estimator, format, estimator_classes(estimator), columns, bool(own))


def estimator_classes(estimator: Any) -> list | None:
    """The classes of a classifier (plain Python values), ``None`` otherwise."""
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return None
    return np.asarray(classes).tolist()


def estimator_facts(estimator: Any) -> dict[str, Any]:
    """``{"task", "classes"}`` for an estimator, for ``inspect``."""
    return task_facts(estimator_classes(estimator), _is_regressor(estimator))


def _is_regressor(estimator: Any) -> bool:
    from sklearn.base import is_regressor

    try:
        return bool(is_regressor(estimator))
    except AttributeError:  # not a scikit-learn estimator: no tags to read
        return False


def _names(estimator: Any) -> list[str] | None:
    names = getattr(estimator, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]
