"""CBPE: a classifier's performance estimated from its scores, without labels.

Confidence-based performance estimation (as in NannyML): calibrate the model's scores on a
labelled reference so they are honest probabilities, then on a window without labels take
each metric's *expected* value when every row's class is drawn from its calibrated
probability (see ``_classification``). The estimate holds as long as P(y | score) is the
reference's: covariate shift is fine, concept shift is not — which is why each window is
also checked for rows outside the reference's support and, where some labels have
arrived, for disagreement between the estimate and the realised metric on those rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from steward._exceptions import InputError
from steward.checks.estimate import _classification as metrics
from steward.checks.estimate._calibration import METHODS, Calibrator, cross_fit
from steward.checks.estimate._classification import Rows
from steward.checks.estimate._columns import finite, floats, labels, require, table_of
from steward.checks.estimate._common import (
    check_folds,
    feature_columns,
    jackknife_variance,
    joint_p_value,
    require_fitted,
    target_column,
    thread_limit,
    widened_band,
)
from steward.checks.estimate._labels import MISSING, UNKNOWN, Classes, find_classes
from steward.checks.estimate._metrics import CLASSIFICATION_METRICS, Metric, resolve
from steward.checks.estimate._policy import EstimatePolicy
from steward.checks.estimate._support import Support, check_support, fit_support
from steward.checks.estimate._verdict import Estimate, Labelled, WindowFacts, findings
from steward.findings import Finding
from steward.schema import Kind, Role, Schema

TEST_DRAWS = 1000  # label sets drawn to test the labelled rows (p-values down to 0.001)


class CBPE:
    """Estimate ROC AUC, accuracy, precision, recall and F1 of a classifier without labels.

    ``fit`` calibrates the scores on the labelled reference (``calibration``: ``"auto"``
    picks, by out-of-fold log loss, between ``"isotonic"`` — one vs rest, rows then
    renormalised — and ``"spline"`` — a logistic regression on spline bases of the scores,
    joint for multiclass; ``"none"`` trusts the scores; see ``_calibration``), cross-fitted
    over ``folds`` so the reference's own estimates (``reference_estimates_``) are honest.
    ``estimate`` turns a window's calibrated probabilities into the expected confusion
    matrix, hence accuracy, precision, recall and F1 (binary: the positive class;
    multiclass: macro over the reference's classes), and ROC AUC with the calibrated
    probabilities as expected labels over the raw scores' ranking (``_classification``).

    The band (``lower``/``upper``): ``draws`` label sets are drawn for the window's rows
    from their calibrated probabilities (vectorised) and the metric's 2.5 % and 97.5 %
    quantiles over them taken — the spread the *realised* metric would have on this window
    if the estimate were right — then widened by the calibration's own sampling error (the
    grouped jackknife over the calibrators fitted without each fold).

    Where some of the window's rows have labels, the estimate and the realised metric on
    exactly those rows go into ``details`` side by side, and they are tested together: the
    largest standardised gap over all metrics and class shares against the same statistic
    over 1,000 label sets simulated for those rows (see :class:`EstimatePolicy` for when a
    gap makes the window ``unreliable``). This assumes labels arrive independently of their
    value; if, say, positives are labelled sooner, the check will see a disagreement.

    Binary models give one score column, P(positive); the positive class is ``positive``,
    else the one label among ``1``/``true``/``yes``, else the larger label in sorted order.
    Multiclass models give one score column per class named ``score_<label>``,
    ``proba_<label>`` or the label. Without a prediction column the prediction is
    ``score >= 0.5`` (binary) or the highest score (multiclass). ``threads`` caps the BLAS
    and OpenMP threads (``None``: no cap; see :class:`DLE`).

    >>> from steward.datasets import credit_stream
    >>> from steward.schema import infer_schema
    >>> stream = credit_stream(reference_rows=4000, weekly_rows=1000, weeks=2)
    >>> schema = infer_schema(stream.reference, target="defaulted", id="application_id",
    ...                       ignore=["label_time"])
    >>> cbpe = CBPE(metrics=("roc_auc", "accuracy")).fit(stream.reference, schema)
    >>> [f.check for f in cbpe.estimate(stream.production.slice(0, 1000), window_index=0)]
    ['estimate.roc_auc', 'estimate.accuracy']
    """

    def __init__(
        self,
        positive: Any = None,
        calibration: str = "auto",
        metrics: tuple[str, ...] = CLASSIFICATION_METRICS,
        draws: int = 200,
        folds: int = 5,
        threads: int | None = 1,
        policy: EstimatePolicy | None = None,
        seed: int = 0,
    ) -> None:
        self.positive = positive
        self.calibration = calibration
        self.metrics = metrics
        self.draws = draws
        self.folds = folds
        self.threads = threads
        self.policy = policy
        self.seed = seed

    # --- fit ---------------------------------------------------------------------------

    def fit(self, reference: pa.Table, schema: Schema) -> CBPE:
        """Learn the classes, the calibration, the reference's metrics and its support."""
        with thread_limit(self.threads):
            return self._fit(reference, schema)

    def _fit(self, reference: pa.Table, schema: Schema) -> CBPE:
        if self.calibration not in METHODS:
            raise InputError(f"calibration must be one of {METHODS}, not {self.calibration!r}")
        self.metrics_: tuple[Metric, ...] = resolve(self.metrics, "cbpe")
        self.policy_ = self.policy or EstimatePolicy()
        self.schema_ = schema
        self.target_ = target_column(schema, (Kind.CATEGORICAL, Kind.BOOLEAN), "CBPE").name
        table = table_of(reference, schema, "reference")
        self.classes_ = find_classes(
            labels(table, self.target_),
            self.positive,
            [c.name for c in schema.with_role(Role.SCORE)],
        )
        truth = self.classes_.index(labels(table, self.target_))
        labelled = truth != MISSING
        check_folds(self.folds, int(labelled.sum()), "CBPE")
        rows = self._rows(table, "reference").subset(labelled)
        self._calibrate(rows, truth[labelled])
        self.reference_values_ = metrics.realised(truth[labelled], rows, self._names)
        self.support_: Support = fit_support(
            table, self._support_columns(), self.policy_.support_margin
        )
        return self

    def _calibrate(self, rows: Rows, truth: np.ndarray) -> None:
        rng = np.random.default_rng(self.seed)
        fitted = cross_fit(
            rows.scores,
            truth,
            self.calibration,
            len(self.classes_.labels),
            self.classes_.positive,
            self.folds,
            rng,
        )
        self.calibrator_: Calibrator = fitted.final
        self.fold_calibrators_: tuple[Calibrator, ...] = fitted.folds
        oof = fitted.oof
        self.calibration_ = self.calibrator_.method
        self.reference_estimates_ = metrics.expected(oof, rows, self._names)

    def _support_columns(self) -> list[Any]:
        scores = [
            self.schema_[name].model_copy(update={"kind": Kind.NUMERIC})
            for name in self.classes_.score_columns
        ]
        return feature_columns(self.schema_) + scores

    # --- estimate ------------------------------------------------------------------------

    def estimate(self, window: pa.Table, window_index: int | None = None) -> list[Finding]:
        """One finding per metric for ``window``: estimate, band, verdict, label coverage."""
        require_fitted(self, "calibrator_")
        with thread_limit(self.threads):
            return self._estimate_window(window, window_index)

    def _estimate_window(self, window: pa.Table, window_index: int | None) -> list[Finding]:
        table = table_of(window, self.schema_, "window")
        rows = self._rows(table, "window")
        probs = self.calibrator_.predict(rows.scores)
        rng = np.random.default_rng(self.seed)
        estimates = self._estimates(probs, rows, rng)
        truth = self.classes_.index(labels(table, self.target_))
        facts = WindowFacts(
            method="cbpe",
            target=self.target_,
            window=window_index,
            rows=rows.n,
            coverage=float((truth != MISSING).mean()),
            support=check_support(self.support_, table, self.policy_.support_limit),
            labelled=self._labelled(probs, rows, truth, rng),
            notes=self._unknown_labels(table, truth),
        )
        return findings(estimates, facts, self.reference_values_, self.policy_)

    def _estimates(self, probs: np.ndarray, rows: Rows, rng: np.random.Generator) -> list[Estimate]:
        values = metrics.expected(probs, rows, self._names)
        drawn = metrics.simulated(probs, rows, self._names, self.draws, rng)
        variance = self._calibration_variance(rows)
        return [
            Estimate(
                m,
                values[m.name],
                *_clipped(widened_band(drawn[m.name], values[m.name], variance[m.name])),
            )
            for m in self.metrics_
        ]

    def _calibration_variance(self, rows: Rows, shares: bool = False) -> dict[str, float]:
        """How much each estimate on ``rows`` moves with the calibration's own sampling
        error: the grouped jackknife over the calibrators fitted without each fold."""
        per_fold = []
        for calibrator in self.fold_calibrators_:
            probs = calibrator.predict(rows.scores)
            values = metrics.expected(probs, rows, self._names)
            per_fold.append({**values, **(metrics.shares(probs) if shares else {})})
        if not per_fold:
            return dict.fromkeys(self._names, 0.0)
        return jackknife_variance(per_fold)

    def _labelled(
        self, probs: np.ndarray, rows: Rows, truth: np.ndarray, rng: np.random.Generator
    ) -> Labelled | None:
        """Estimate and realised metrics on the rows whose label is a known class."""
        known = truth >= 0
        count = int(known.sum())
        if count == 0:
            return None
        part, p = rows.subset(known), probs[known]
        estimated = metrics.expected(p, part, self._names)
        realised = metrics.realised(truth[known], part, self._names)
        if count < self.policy_.min_labelled:
            return Labelled(count, estimated, realised)
        draws = max(self.draws, TEST_DRAWS)
        drawn = metrics.simulated(p, part, self._names, draws, rng, shares=True)
        classes = len(self.classes_.labels)
        observed = {**realised, **metrics.shares(metrics.onehot(truth[known], classes))}
        expected = {**estimated, **metrics.shares(p)}
        variance = self._calibration_variance(part, shares=True)
        p_value = joint_p_value(observed, expected, drawn, variance, rng)
        return Labelled(count, estimated, realised, p_value)

    def _unknown_labels(self, table: pa.Table, truth: np.ndarray) -> tuple[str, ...]:
        unknown = truth == UNKNOWN
        if not unknown.any():
            return ()
        new = sorted(set(labels(table, self.target_)[unknown].tolist()))[:5]
        return (
            f"{int(unknown.sum())} labelled rows carry classes the reference never had "
            f"({new}): concept shift suspected",
        )

    # --- rows ----------------------------------------------------------------------------

    @property
    def _names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics_)

    def _rows(self, table: pa.Table, what: str) -> Rows:
        scores = np.column_stack(
            [finite(floats(table, name, what), name, what) for name in self.classes_.score_columns]
        )
        return Rows(self._predicted(table, scores, what), scores, self.classes_)

    def _predicted(self, table: pa.Table, scores: np.ndarray, what: str) -> np.ndarray:
        column = self.schema_.first(Role.PREDICTION)
        if column is None:
            return _from_scores(scores, self.classes_)
        require(table, column.name, what)
        predicted = self.classes_.index(labels(table, column.name))
        _check_predictions(predicted, table, column.name, what)
        return predicted


def _clipped(band: tuple[float, float]) -> tuple[float, float]:
    """A band for a metric in [0, 1]."""
    return min(max(band[0], 0.0), 1.0), min(max(band[1], 0.0), 1.0)


def _from_scores(scores: np.ndarray, classes: Classes) -> np.ndarray:
    if classes.positive is not None:
        positive, negative = classes.positive, 1 - classes.positive
        return np.where(scores[:, 0] >= 0.5, positive, negative).astype(np.int64)
    return scores.argmax(axis=1).astype(np.int64)


def _check_predictions(predicted: np.ndarray, table: pa.Table, name: str, what: str) -> None:
    missing = np.flatnonzero(predicted == MISSING)
    if missing.size:
        raise InputError(
            f"prediction column {name!r} of the {what} has {missing.size} "
            f"missing value(s) (rows {missing[:5].tolist()})"
        )
    unknown = predicted == UNKNOWN
    if unknown.any():
        values = sorted(set(labels(table, name)[unknown].tolist()))[:5]
        raise InputError(
            f"prediction column {name!r} of the {what} holds values that are "
            f"not classes of the target: {values}"
        )
