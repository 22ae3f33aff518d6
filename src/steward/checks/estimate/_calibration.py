"""Probability calibration on the reference, cross-fitted.

Scores (n × scored classes: one column, P(positive), for a binary model; one per class
for a multiclass one) become class probabilities (n × classes) by one of:

* ``isotonic`` — scikit-learn's isotonic regression, one vs rest (binary: on the positive
  class), each row then renormalised to sum to 1: any monotone shape, in steps.
* ``spline``   — one logistic regression (multinomial for multiclass) on cubic B-spline
  bases (5 quantile knots) of the score's logit (binary) or of each class score's log
  (multiclass; the scores themselves when they are not in [0, 1]): smooth, few parameters,
  Platt scaling and Dirichlet calibration as special cases, and multiclass scores are
  calibrated jointly rather than one class at a time.
* ``auto``     — whichever of the two has the lower out-of-fold log loss on the reference.
* ``none``     — the scores are taken as probabilities (clipped, rows renormalised).

:func:`cross_fit` returns, besides the map fitted on every row, the maps fitted without
each fold (their spread is a grouped-jackknife measure of the calibration's own sampling
error) and *out-of-fold* probabilities for the reference, each from a map that never saw
that row, so estimates on the reference itself are honest and ``auto`` compares fairly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import SplineTransformer

METHODS = ("auto", "isotonic", "spline", "none")
_KNOTS = 5
_EPS = 1e-6


class _Map(Protocol):
    def predict(self, x: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Calibrator:
    """Maps raw scores to class probabilities; ``positive`` is set for binary models.

    ``maps`` holds the one-vs-rest isotonic maps, ``joint`` the spline model; neither is
    set for ``"none"``.
    """

    method: str
    classes: int
    positive: int | None
    maps: tuple[_Map, ...] = ()
    joint: _JointSpline | None = None

    def predict(self, scores: np.ndarray) -> np.ndarray:
        if self.joint is not None:
            return self.joint.predict(scores)
        raw = scores
        if self.maps:
            raw = np.column_stack([m.predict(scores[:, k]) for k, m in enumerate(self.maps)])
        return self._spread(np.clip(raw, 0.0, 1.0))

    def _spread(self, raw: np.ndarray) -> np.ndarray:
        if self.positive is None:
            return _normalised(raw)
        return _binary(raw[:, 0], self.positive)


def fit(
    scores: np.ndarray, truth: np.ndarray, method: str, classes: int, positive: int | None
) -> Calibrator:
    """A calibrator of ``scores`` against the true class indices ``truth``."""
    if method == "isotonic":
        targets = _targets(truth, classes, positive)
        maps = [_isotonic(scores[:, k], targets[:, k]) for k in range(targets.shape[1])]
        return Calibrator(method, classes, positive, maps=tuple(maps))
    if method == "spline":
        joint = _JointSpline.fit(scores, truth, classes, positive)
        return Calibrator(method, classes, positive, joint=joint)
    return Calibrator("none", classes, positive)


def cross_fit(
    scores: np.ndarray,
    truth: np.ndarray,
    method: str,
    classes: int,
    positive: int | None,
    folds: int,
    rng: np.random.Generator,
) -> CrossFit:
    """Calibrators fitted on all rows and on each fold's complement, and out-of-fold
    probabilities for every row.

    With ``method="auto"`` both maps are cross-fitted on the same folds and the one with
    the lower out-of-fold log loss is kept.
    """
    fold = rng.permutation(len(scores)) % folds
    candidates = ("isotonic", "spline") if method == "auto" else (method,)
    fits = {m: _out_of_fold(scores, truth, m, classes, positive, fold, folds) for m in candidates}
    best = min(candidates, key=lambda m: _log_loss(fits[m][0], truth))
    oof, per_fold = fits[best]
    return CrossFit(fit(scores, truth, best, classes, positive), per_fold, oof)


@dataclass(frozen=True)
class CrossFit:
    """The calibrator for windows, the fold calibrators (for the jackknife), the OOF rows."""

    final: Calibrator
    folds: tuple[Calibrator, ...]
    oof: np.ndarray


def _out_of_fold(
    scores: np.ndarray,
    truth: np.ndarray,
    method: str,
    classes: int,
    positive: int | None,
    fold: np.ndarray,
    folds: int,
) -> tuple[np.ndarray, tuple[Calibrator, ...]]:
    oof = np.empty((len(scores), classes), dtype=np.float64)
    calibrators = []
    for k in range(folds):
        held = fold == k
        calibrators.append(fit(scores[~held], truth[~held], method, classes, positive))
        oof[held] = calibrators[-1].predict(scores[held])
    return oof, tuple(calibrators)


def _log_loss(probs: np.ndarray, truth: np.ndarray) -> float:
    chosen = probs[np.arange(truth.size), truth]
    return float(-np.mean(np.log(np.clip(chosen, _EPS, 1.0))))


def _targets(truth: np.ndarray, classes: int, positive: int | None) -> np.ndarray:
    if positive is not None:
        return (truth == positive).astype(np.float64)[:, None]
    return np.eye(classes)[truth]


def _isotonic(x: np.ndarray, y: np.ndarray) -> _Map:
    if np.ptp(x) == 0:
        return _Constant(float(y.mean()))
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)


@dataclass(frozen=True)
class _Constant:
    value: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.full(x.shape[0], self.value)


@dataclass(frozen=True)
class _JointSpline:
    """Logistic regression on spline bases of every scored column's link."""

    links: tuple[str, ...]
    bases: tuple[SplineTransformer | None, ...]
    model: LogisticRegression | None  # None: the training rows had a single class
    only: int
    classes: int
    positive: int | None

    @classmethod
    def fit(
        cls, scores: np.ndarray, truth: np.ndarray, classes: int, positive: int | None
    ) -> _JointSpline:
        binary = positive is not None
        links = tuple(_link_of(scores[:, k], binary) for k in range(scores.shape[1]))
        linked = [_link(scores[:, k], link) for k, link in enumerate(links)]
        bases = tuple(_basis(t) for t in linked)
        y = (truth == positive).astype(np.int64) if binary else truth
        if np.unique(y).size < 2:
            return cls(links, bases, None, int(y[0]), classes, positive)
        model = LogisticRegression(C=1e4, solver="newton-cholesky", max_iter=200).fit(
            _features(linked, bases), y
        )
        return cls(links, bases, model, 0, classes, positive)

    def predict(self, scores: np.ndarray) -> np.ndarray:
        if self.model is None:
            proba, seen = np.ones((len(scores), 1)), np.array([self.only])
        else:
            linked = [_link(scores[:, k], link) for k, link in enumerate(self.links)]
            proba = self.model.predict_proba(_features(linked, self.bases))
            seen = self.model.classes_
        out = np.zeros((len(scores), 2 if self.positive is not None else self.classes))
        out[:, seen] = proba
        return _binary(out[:, 1], self.positive) if self.positive is not None else out


def _link_of(x: np.ndarray, binary: bool) -> str:
    if x.min() < 0.0 or x.max() > 1.0:
        return "identity"
    return "logit" if binary else "log"


def _link(x: np.ndarray, link: str) -> np.ndarray:
    if link == "identity":
        return x
    p = np.clip(x, _EPS, 1.0 - _EPS)
    return np.log(p / (1.0 - p)) if link == "logit" else np.log(p)


def _basis(t: np.ndarray) -> SplineTransformer | None:
    """A cubic B-spline basis with knots at quantiles; ``None`` when too few distinct."""
    knots = np.unique(np.quantile(t, np.linspace(0, 1, _KNOTS)))
    if knots.size < 3:
        return None
    return SplineTransformer(knots=knots[:, None], degree=3, extrapolation="linear").fit(t[:, None])


def _features(linked: list[np.ndarray], bases: tuple[SplineTransformer | None, ...]) -> np.ndarray:
    parts = [
        b.transform(t[:, None]) if b is not None else t[:, None]
        for t, b in zip(linked, bases, strict=True)
    ]
    return np.column_stack(parts)


def _binary(p: np.ndarray, positive: int) -> np.ndarray:
    out = np.empty((p.size, 2))
    out[:, positive], out[:, 1 - positive] = p, 1.0 - p
    return out


def _normalised(raw: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1; a row of zeros becomes uniform."""
    total = raw.sum(axis=1, keepdims=True)
    uniform = np.full_like(raw, 1.0 / raw.shape[1])
    return np.where(total > 0, raw / np.where(total > 0, total, 1.0), uniform)
