"""Metrics the promotion gate can compare row by row, registered by name.

A :class:`GateMetric` says whether higher is better and how to compute the metric from
labels, predictions and (for ``log_loss`` and ``brier``) class scores. Metrics that are a
mean of per-row terms (accuracy, mae, log loss…) also expose those terms (``rows``), so the
gate can run paired tests on rows; the others (f1, rmse, r2…) are compared by the paired
bootstrap only.

>>> import numpy as np
>>> METRICS.lookup("mae").value(np.array([1.0, 2.0]), np.array([2.0, 2.0]), None, None)
0.5
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from steward._exceptions import CheckError
from steward._registry import Registry

EPS = 1e-12
Array = np.ndarray
Scores = Array | None
Classes = list[Any] | None
RowsFn = Callable[[Array, Array, Scores, Classes], Array]
ValueFn = Callable[[Array, Array, Scores, Classes], float]


@dataclass(frozen=True)
class GateMetric:
    """A metric the gate can compare row by row.

    ``value(y, pred, scores, classes)`` is the metric; ``rows`` (when the metric is a mean
    of per-row terms) gives those terms, so paired tests on rows apply.
    """

    name: str
    task: str  # classification | regression
    higher_is_better: bool
    value: ValueFn
    rows: RowsFn | None = None
    needs_scores: bool = False


METRICS = Registry[GateMetric]("gate metric")


def _metric(
    name: str,
    task: str,
    higher: bool,
    rows: RowsFn | None = None,
    value: ValueFn | None = None,
    **kw: Any,
) -> GateMetric:
    """Register a gate metric; without ``value`` it is the mean of ``rows``."""

    def mean_of_rows(y: Array, pred: Array, scores: Scores, classes: Classes) -> float:
        assert rows is not None
        return float(np.mean(rows(y, pred, scores, classes)))

    return METRICS.register(name, GateMetric(name, task, higher, value or mean_of_rows, rows, **kw))


def _correct(y: Array, pred: Array, scores: Scores, classes: Classes) -> Array:
    return (y == pred).astype(float)


def _class_index(y: Array, classes: list[Any] | None) -> Array:
    if classes is None:
        raise CheckError("a score metric needs the model's classes")
    lookup = {c: i for i, c in enumerate(classes)}
    unknown = [v for v in np.unique(y) if v not in lookup]
    if unknown:
        raise CheckError(f"labels {unknown[:5]} are not among the model's classes {classes}")
    return np.array([lookup[v] for v in y])


def _log_loss_rows(y: Array, pred: Array, scores: Scores, classes: Classes) -> Array:
    assert scores is not None
    p = scores[np.arange(len(y)), _class_index(y, classes)]
    return -np.log(np.clip(p, 1e-15, 1.0))


def _brier_rows(y: Array, pred: Array, scores: Scores, classes: Classes) -> Array:
    assert scores is not None
    onehot = np.zeros_like(scores, dtype=float)
    onehot[np.arange(len(y)), _class_index(y, classes)] = 1.0
    return np.sum((scores - onehot) ** 2, axis=1)


def _f1(y: Array, pred: Array, scores: Scores, classes: Classes) -> float:
    positive = classes[-1] if classes else np.max(y)
    tp = np.sum((pred == positive) & (y == positive))
    denominator = np.sum(pred == positive) + np.sum(y == positive)
    return float(2 * tp / denominator) if denominator else 0.0


def _balanced_accuracy(y: Array, pred: Array, scores: Scores, classes: Classes) -> float:
    recalls = [np.mean(pred[y == c] == c) for c in np.unique(y)]
    return float(np.mean(recalls))


def _rmse(y: Array, pred: Array, scores: Scores, classes: Classes) -> float:
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def _r2(y: Array, pred: Array, scores: Scores, classes: Classes) -> float:
    spread = np.sum((y - y.mean()) ** 2)
    return float(1.0 - np.sum((y - pred) ** 2) / spread) if spread else 0.0


_metric("accuracy", "classification", True, _correct)
_metric("error_rate", "classification", False, lambda *a: 1.0 - _correct(*a))
_metric("f1", "classification", True, value=_f1)
_metric("balanced_accuracy", "classification", True, value=_balanced_accuracy)
_metric("log_loss", "classification", False, _log_loss_rows, needs_scores=True)
_metric("brier", "classification", False, _brier_rows, needs_scores=True)
_metric("mae", "regression", False, lambda y, p, s, c: np.abs(p - y))
_metric("mse", "regression", False, lambda y, p, s, c: (p - y) ** 2)
_metric("rmse", "regression", False, value=_rmse)
_metric(
    "mape", "regression", False, lambda y, p, s, c: np.abs(p - y) / np.maximum(np.abs(y), 1e-12)
)
_metric("r2", "regression", True, value=_r2)


def default_metric(task: str) -> str:
    """The gate's metric when the plan names none: accuracy or mae."""
    return "mae" if task == "regression" else "accuracy"
