"""Metrics of the predicted labels: accuracy, precision, recall, F1.

Binary precision, recall and F1 are those of the positive class; multiclass ones are macro
averages over the known classes that occur in the window as truth or prediction (a class
with an empty denominator counts 0, as scikit-learn's ``zero_division=0``). Rows whose label
the reference never saw count as errors. Accuracy, binary precision and binary recall get
Wilson bands; F1 and the macro averages get bootstrap bands from the resampled confusion.
"""

from __future__ import annotations

import numpy as np

from steward.checks.performance._bands import percentile, wilson, z_value
from steward.checks.performance._base import CLASSIFICATION, Metric, banded, metric
from steward.checks.performance._classes import ClassView


def _rates(confusion: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per known class (last axis): true positives, false positives, false negatives."""
    tp = np.diagonal(confusion, axis1=-2, axis2=-1)[..., :k]
    fp = confusion.sum(axis=-2)[..., :k] - tp
    fn = confusion.sum(axis=-1)[..., :k] - tp
    return tp, fp, fn


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def _per_class(name: str, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    if name == "precision":
        return _ratio(tp, tp + fp)
    if name == "recall":
        return _ratio(tp, tp + fn)
    return _ratio(2 * tp, 2 * tp + fp + fn)


def _macro(view: ClassView, name: str) -> Metric | None:
    k = len(view.counts.classes)
    if not view.present.any():
        return None
    value = _per_class(name, *_rates(view.confusion, k))[view.present].mean()
    draws = _per_class(name, *_rates(view.confusion_draws, k))[:, view.present].mean(axis=1)
    band = percentile(draws, view.confidence)
    return banded(value, band, int(view.confusion.sum()), "bootstrap")


def _positive_counts(view: ClassView) -> tuple[int, int, int]:
    tp, fp, fn = _rates(view.confusion, len(view.counts.classes))
    p = view.positive
    return int(tp[p]), int(fp[p]), int(fn[p])


def _proportion(successes: int, n: int, view: ClassView) -> Metric | None:
    if n == 0:
        return None
    band = wilson(successes, n, z_value(view.confidence))
    return banded(successes / n, band, n, "wilson", min_rows=1)


@metric("accuracy", CLASSIFICATION, higher_is_better=True, max_drop=0.05)
def accuracy(view: ClassView) -> Metric | None:
    """Share of labelled, predicted rows whose prediction equals the label."""
    k = len(view.counts.classes)
    correct = int(np.trace(view.confusion[:k, :k]))
    return _proportion(correct, int(view.confusion.sum()), view)


@metric("precision", CLASSIFICATION, higher_is_better=True, max_drop=0.05)
def precision(view: ClassView) -> Metric | None:
    """Positive predictive value (binary: of the positive class; multiclass: macro)."""
    if not view.binary:
        return _macro(view, "precision")
    tp, fp, _ = _positive_counts(view)
    return _proportion(tp, tp + fp, view)


@metric("recall", CLASSIFICATION, higher_is_better=True, max_drop=0.05)
def recall(view: ClassView) -> Metric | None:
    """True positive rate (binary: of the positive class; multiclass: macro)."""
    if not view.binary:
        return _macro(view, "recall")
    tp, _, fn = _positive_counts(view)
    return _proportion(tp, tp + fn, view)


@metric("f1", CLASSIFICATION, higher_is_better=True, max_drop=0.05)
def f1(view: ClassView) -> Metric | None:
    """Harmonic mean of precision and recall (binary: positive class; multiclass: macro)."""
    if not view.binary:
        return _macro(view, "f1")
    tp, fp, fn = _positive_counts(view)
    if tp + fp + fn == 0:
        return None
    p = view.positive
    draws = _per_class("f1", *_rates(view.confusion_draws, len(view.counts.classes)))[:, p]
    band = percentile(draws, view.confidence)
    return banded(2 * tp / (2 * tp + fp + fn), band, int(view.confusion.sum()), "bootstrap")
