"""Metrics of the scores: ROC AUC, average precision, calibration error, log loss, Brier.

ROC AUC, average precision and calibration error are computed per score column, one class
against the rest, from the score histograms (ties within a grid bin count half), and
macro-averaged over the columns whose class has both positives and negatives in the
window; binary models have one column, the positive class's probability. Calibration error
is the expected calibration error over equal-width bins of each column (classwise ECE for
multiclass). Their bands come from 200 multinomial resamples of each column's histograms:
percentile bands, except for ECE, whose band is the union of the percentile and the basic
(bias-reflected) band, as its upward bias is only roughly estimated. A macro average gets
the average of the columns' bands, which is conservative (a row's scores are not kept
jointly, so the columns are taken as fully dependent). Log loss (natural log, scores clipped
to ``[1e-15, 1 - 1e-15]``) and Brier score (binary: ``(p - y)²``; multiclass: the sum over
classes, as scikit-learn) are means over rows, with normal bands from their sums of squares.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from steward.checks.performance._bands import normal, percentile, union, z_value
from steward.checks.performance._base import CLASSIFICATION, Metric, banded, metric
from steward.checks.performance._classes import ClassView, OneVsRest
from steward.profile.model import CALIBRATION_BINS


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0)


def roc_auc_of(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """ROC AUC from histograms of positive and negative scores (last axis: bins)."""
    below = np.cumsum(neg, axis=-1) - neg
    wins = (pos * (below + 0.5 * neg)).sum(axis=-1)
    return _safe_divide(wins, pos.sum(axis=-1) * neg.sum(axis=-1).astype(float))


def average_precision_of(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Average precision: precision at each bin's threshold, weighted by its positives."""
    tp = np.cumsum(pos[..., ::-1], axis=-1)[..., ::-1]
    fp = np.cumsum(neg[..., ::-1], axis=-1)[..., ::-1]
    precision = np.nan_to_num(_safe_divide(tp, tp + fp))
    return _safe_divide((pos * precision).sum(axis=-1), pos.sum(axis=-1))


def calibration_error_of(pos: np.ndarray, neg: np.ndarray, col: OneVsRest) -> np.ndarray:
    """ECE of resampled fine histograms, each coarse bin's scores at their observed means."""
    shape = (*pos.shape[:-1], CALIBRATION_BINS, -1)
    p, n = pos.reshape(shape).sum(axis=-1), neg.reshape(shape).sum(axis=-1)
    pos_mean = np.nan_to_num(_safe_divide(col.positive_sums, _coarse(col.positives)))
    neg_mean = np.nan_to_num(_safe_divide(col.negative_sums, _coarse(col.negatives)))
    gap = np.abs(p - (p * pos_mean + n * neg_mean)).sum(axis=-1)
    return _safe_divide(gap, (p + n).sum(axis=-1))


def _coarse(hist: np.ndarray) -> np.ndarray:
    return hist.reshape(CALIBRATION_BINS, -1).sum(axis=-1)


def _observed_ece(col: OneVsRest) -> float:
    gap = np.abs(_coarse(col.positives) - (col.positive_sums + col.negative_sums)).sum()
    total = col.positives.sum() + col.negatives.sum()
    return float(gap / total) if total else float("nan")


Statistic = Callable[[OneVsRest, np.ndarray | None], np.ndarray | float]


def _macro(view: ClassView, statistic: Statistic, biased: bool = False) -> Metric | None:
    """Average a per-column statistic over the defined columns, and their bands.

    Averaging the bands treats the columns as perfectly dependent: the aggregates do not
    hold the joint distribution of one row's scores, and this is the conservative choice.
    """
    used = [j for j, col in enumerate(view.columns) if col.defined]
    if not used:
        return None
    values = [float(statistic(view.columns[j], None)) for j in used]
    draws = [np.asarray(statistic(view.columns[j], view.column_draws[j])) for j in used]
    band = union if biased else _percentile
    bands = np.array([band(v, d, view.confidence) for v, d in zip(values, draws, strict=True)])
    method = "bootstrap (percentile ∪ basic)" if biased else "bootstrap"
    return banded(float(np.mean(values)), tuple(bands.mean(axis=0)), view.counts.scored, method)


def _percentile(value: float, draws: np.ndarray, confidence: float) -> tuple[float, float]:
    return percentile(draws, confidence)


def _auc(col: OneVsRest, draws: np.ndarray | None) -> np.ndarray | float:
    if draws is None:
        return float(roc_auc_of(col.positives, col.negatives))
    return roc_auc_of(draws[:, 0], draws[:, 1])


def _ap(col: OneVsRest, draws: np.ndarray | None) -> np.ndarray | float:
    if draws is None:
        return float(average_precision_of(col.positives, col.negatives))
    return average_precision_of(draws[:, 0], draws[:, 1])


def _ece(col: OneVsRest, draws: np.ndarray | None) -> np.ndarray | float:
    if draws is None:
        return _observed_ece(col)
    return calibration_error_of(draws[:, 0], draws[:, 1], col)


@metric("roc_auc", CLASSIFICATION, higher_is_better=True, max_drop=0.05)
def roc_auc(view: ClassView) -> Metric | None:
    """Area under the ROC curve (multiclass: one-vs-rest, macro-averaged)."""
    return _macro(view, _auc)


@metric("average_precision", CLASSIFICATION, higher_is_better=True, max_drop=0.05)
def average_precision(view: ClassView) -> Metric | None:
    """Area under the precision–recall curve (multiclass: one-vs-rest, macro-averaged)."""
    return _macro(view, _ap)


def _mean_loss(view: ClassView, first: int, upper: float) -> Metric | None:
    n = view.counts.scored
    if n == 0:
        return None
    total, squares = view.counts.losses[first : first + 2]
    mean = total / n
    variance = (squares - n * mean * mean) / (n - 1) if n > 1 else np.nan
    band = normal(mean, variance, n, z_value(view.confidence))
    return banded(mean, band, n, "normal", (0.0, upper))


@metric("log_loss", CLASSIFICATION, higher_is_better=False, max_drop=0.10, relative=True)
def log_loss(view: ClassView) -> Metric | None:
    """Mean negative log-likelihood of the true class (natural log)."""
    return _mean_loss(view, 0, np.inf)


@metric("brier", CLASSIFICATION, higher_is_better=False, max_drop=0.05)
def brier(view: ClassView) -> Metric | None:
    """Mean squared difference between scores and the one-hot label."""
    return _mean_loss(view, 2, 1.0 if view.binary else 2.0)


@metric("calibration_error", CLASSIFICATION, higher_is_better=False, max_drop=0.05)
def calibration_error(view: ClassView) -> Metric | None:
    """Expected calibration error over 10 equal-width bins (multiclass: classwise, macro)."""
    return _macro(view, _ece, biased=True)
