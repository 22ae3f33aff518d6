"""DLE: a regressor's MAE and RMSE estimated without labels, by a model of its loss.

Direct loss estimation (as in NannyML): on the labelled reference, learn how large the
model's error tends to be given the features and the prediction — one gradient-boosted
model for the absolute error, one for the squared error — then on a window without labels
average the predicted losses. It holds as long as P(y | x) is the reference's: a window
outside the reference's support, or labels that disagree with the estimate, make the
estimate ``unreliable``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy.stats import norm
from sklearn.ensemble import HistGradientBoostingRegressor

from steward._exceptions import CheckError
from steward.checks.estimate._columns import floats, table_of
from steward.checks.estimate._common import (
    Z95,
    check_folds,
    feature_columns,
    jackknife_variance,
    require_fitted,
    target_column,
    thread_limit,
)
from steward.checks.estimate._features import Encoder, fit_encoder
from steward.checks.estimate._metrics import REGRESSION_METRICS, Metric, resolve
from steward.checks.estimate._policy import EstimatePolicy
from steward.checks.estimate._support import Support, check_support, fit_support
from steward.checks.estimate._verdict import Estimate, Labelled, WindowFacts, findings
from steward.findings import Finding
from steward.schema import Kind, Role, Schema

_POWER = {"mae": 1, "rmse": 2}  # the loss each metric averages: |error| ** power


@dataclass(frozen=True)
class LossModel:
    """Fold models of one loss (their mean is the prediction) and the loss's noise scale.

    ``scale`` is Σ (loss − predicted)² / Σ predicted² over the reference's out-of-fold
    predictions: a row's loss varies with a standard deviation of about
    ``sqrt(scale) × predicted`` (noise whose size, not shape, depends on the row).
    """

    models: tuple[HistGradientBoostingRegressor, ...]
    scale: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Each fold model's predicted loss per row (folds × rows), never negative."""
        return np.clip(np.array([m.predict(x) for m in self.models]), 0.0, None)


class DLE:
    """Estimate MAE and RMSE of a regressor without labels.

    ``fit`` trains, on the labelled reference, ``HistGradientBoostingRegressor`` models of
    ``|y − ŷ|`` and ``(y − ŷ)²`` from the features (numeric as they are, categorical by
    the estimator's native support, missing values allowed) and the prediction ŷ,
    cross-fitted over ``folds``: each fold's model predicts the rows it did not see (so
    ``reference_estimates_`` are honest) and the windows get the mean of the fold models.
    ``estimate`` gives MAE as the mean predicted absolute error and RMSE as the square root
    of the mean predicted squared error.

    The band is the spread of the realised metric on this window if the estimate were
    right: the per-row loss noise measured on the reference (``LossModel.scale``), summed
    over the window's rows and divided by n (so it narrows as 1/√n), plus the loss
    model's own error (grouped jackknife over the fold models), ±1.96 standard deviations;
    for RMSE on the mean squared error, then square-rooted. Where some rows have labels,
    the realised metrics on them are tested against the estimates on the same rows (normal
    test per metric, Bonferroni over the metrics; see :class:`EstimatePolicy`).

    ``threads`` caps the OpenMP and BLAS threads while fitting and estimating. The default, 1, is
    predictable: on a busy machine (a monitor beside a model server) OpenMP threads that
    outnumber free cores make boosting tens of times slower. ``None`` lets scikit-learn use
    every core, faster for large references on an idle machine.

    >>> import numpy as np, pyarrow as pa
    >>> from steward.schema import infer_schema
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> table = pa.table({"x": x, "prediction": 2 * x, "target": 2 * x + rng.normal(size=2000)})
    >>> dle = DLE(metrics=("mae",)).fit(table, infer_schema(table))
    >>> round(dle.estimate(table.slice(0, 500))[0].statistic, 1)
    0.8
    """

    def __init__(
        self,
        metrics: tuple[str, ...] = REGRESSION_METRICS,
        folds: int = 5,
        max_iter: int = 200,
        min_samples_leaf: int = 50,
        threads: int | None = 1,
        policy: EstimatePolicy | None = None,
        seed: int = 0,
    ) -> None:
        self.metrics = metrics
        self.folds = folds
        self.max_iter = max_iter
        self.min_samples_leaf = min_samples_leaf
        self.threads = threads
        self.policy = policy
        self.seed = seed

    # --- fit ---------------------------------------------------------------------------

    def fit(self, reference: pa.Table, schema: Schema) -> DLE:
        """Learn the loss models, the reference's metrics and its support."""
        with thread_limit(self.threads):
            return self._fit(reference, schema)

    def _fit(self, reference: pa.Table, schema: Schema) -> DLE:
        self.metrics_: tuple[Metric, ...] = resolve(self.metrics, "dle")
        self.policy_ = self.policy or EstimatePolicy()
        self.schema_ = schema
        self.target_ = target_column(schema, (Kind.NUMERIC,), "DLE").name
        self.prediction_ = _prediction_column(schema)
        table = table_of(reference, schema, "reference")
        features = feature_columns(schema)
        self.encoder_: Encoder = fit_encoder(table, features, self.prediction_)
        x, error = self._labelled_rows(table)
        self._fit_losses(x, error)
        self.reference_values_ = {
            m.name: _metric(m.name, np.abs(error) ** _POWER[m.name]) for m in self.metrics_
        }
        self.support_: Support = fit_support(table, features, self.policy_.support_margin)
        return self

    def _labelled_rows(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        x = self.encoder_.matrix(table, "reference")
        y = floats(table, self.target_, "reference")
        labelled = np.isfinite(y)
        check_folds(self.folds, int(labelled.sum()), "DLE")
        return x[labelled], y[labelled] - x[labelled, -1]

    def _fit_losses(self, x: np.ndarray, error: np.ndarray) -> None:
        fold = np.random.default_rng(self.seed).permutation(len(error)) % self.folds
        self.losses_: dict[str, LossModel] = {}
        self.reference_estimates_: dict[str, float] = {}
        for metric in self.metrics_:
            loss = np.abs(error) ** _POWER[metric.name]
            model, oof = self._cross_fit(x, loss, fold)
            self.losses_[metric.name] = model
            self.reference_estimates_[metric.name] = _metric(metric.name, oof)

    def _cross_fit(
        self, x: np.ndarray, loss: np.ndarray, fold: np.ndarray
    ) -> tuple[LossModel, np.ndarray]:
        oof = np.empty_like(loss)
        models = []
        for k in range(self.folds):
            held = fold == k
            model = self._regressor().fit(x[~held], loss[~held])
            oof[held] = np.clip(model.predict(x[held]), 0.0, None)
            models.append(model)
        scale = float(((loss - oof) ** 2).sum() / max((oof**2).sum(), 1e-300))
        return LossModel(tuple(models), scale), oof

    def _regressor(self) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            min_samples_leaf=self.min_samples_leaf,
            early_stopping=True,
            n_iter_no_change=10,
            validation_fraction=0.1,
            categorical_features=self.encoder_.categorical_mask,
            random_state=self.seed,
        )

    # --- estimate ------------------------------------------------------------------------

    def estimate(self, window: pa.Table, window_index: int | None = None) -> list[Finding]:
        """One finding per metric for ``window``: estimate, band, verdict, label coverage."""
        require_fitted(self, "losses_")
        with thread_limit(self.threads):
            return self._estimate_window(window, window_index)

    def _estimate_window(self, window: pa.Table, window_index: int | None) -> list[Finding]:
        table = table_of(window, self.schema_, "window")
        x = self.encoder_.matrix(table, "window")
        predicted = {name: model.predict(x) for name, model in self.losses_.items()}
        error = self._window_errors(table, x)
        labelled = np.isfinite(error)
        estimates = [self._estimate(m, predicted[m.name]) for m in self.metrics_]
        facts = WindowFacts(
            method="dle",
            target=self.target_,
            window=window_index,
            rows=table.num_rows,
            coverage=float(labelled.mean()),
            support=check_support(self.support_, table, self.policy_.support_limit),
            labelled=self._labelled(predicted, error, labelled),
        )
        return findings(estimates, facts, self.reference_values_, self.policy_)

    def _window_errors(self, table: pa.Table, x: np.ndarray) -> np.ndarray:
        if self.target_ not in table.column_names:
            return np.full(table.num_rows, np.nan)
        return floats(table, self.target_, "window") - x[:, -1]

    def _estimate(self, metric: Metric, predicted: np.ndarray) -> Estimate:
        value, sd = self._mean_loss(metric.name, predicted)
        low, high = max(value - Z95 * sd, 0.0), value + Z95 * sd
        root = metric.name == "rmse"
        return Estimate(metric, *(math.sqrt(v) if root else v for v in (value, low, high)))

    def _mean_loss(self, name: str, per_fold: np.ndarray) -> tuple[float, float]:
        """Mean predicted loss (over rows and fold models) and the realised mean loss's
        standard deviation around it: the rows' loss noise plus the loss model's own error
        (the grouped jackknife over the fold models)."""
        predicted = per_fold.mean(axis=0)
        n = predicted.size
        noise = self.losses_[name].scale * float((predicted**2).sum()) / n**2
        model = jackknife_variance([{"m": float(fold.mean())} for fold in per_fold])["m"]
        return float(predicted.mean()), math.sqrt(noise + model)

    def _labelled(
        self, predicted: dict[str, np.ndarray], error: np.ndarray, labelled: np.ndarray
    ) -> Labelled | None:
        """Estimate and realised metrics on the labelled rows, tested together."""
        count = int(labelled.sum())
        if count == 0:
            return None
        estimated, realised, p_values = {}, {}, []
        for m in self.metrics_:
            mean, sd = self._mean_loss(m.name, predicted[m.name][:, labelled])
            realised_mean = float(np.mean(np.abs(error[labelled]) ** _POWER[m.name]))
            estimated[m.name] = _metric(m.name, np.array([mean]))
            realised[m.name] = _metric(m.name, np.array([realised_mean]))
            p_values.append(_two_sided(realised_mean - mean, sd))
        if count < self.policy_.min_labelled:
            return Labelled(count, estimated, realised)
        return Labelled(count, estimated, realised, min(1.0, len(p_values) * min(p_values)))


def _two_sided(gap: float, sd: float) -> float:
    """Normal two-sided p-value of ``gap`` with standard deviation ``sd``."""
    if sd <= 0:
        return 1.0 if gap == 0 else 0.0
    return float(2 * norm.sf(abs(gap) / sd))


def _metric(name: str, losses: np.ndarray) -> float:
    mean = float(np.mean(losses))
    return math.sqrt(mean) if name == "rmse" else mean


def _prediction_column(schema: Schema) -> str:
    column = schema.first(Role.PREDICTION)
    if column is None:
        raise CheckError("DLE needs a column with role 'prediction' in the schema")
    return column.name
