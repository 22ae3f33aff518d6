"""How much the model leans on each feature, and which features tell the windows apart.

* **permutation** — the drop in the model's own score on reference rows when one feature
  is shuffled (:func:`sklearn.inspection.permutation_importance`), when a model and labels
  are at hand;
* **supplied** — importances the caller already has;
* **surrogate** — a ``HistGradientBoosting`` model fit to predict the model's output (score,
  else prediction) from the features on reference rows, and the surrogate's permutation
  importance on held-out rows: the model itself is not needed, only its logged outputs;
* **domain classifier** — a ``HistGradientBoosting`` classifier told reference rows from
  current rows; its held-out AUC says how separable the windows are and its permutation
  importance which features separate them most.

Importances are clipped at zero and shared out to sum to one, so sources compare. The
models fit on at most ``SAMPLE_ROWS`` rows per side and are scored on at most
``MAX_HELD_OUT`` held-out rows, so the cost does not grow with the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from scipy import stats

from steward._exceptions import CheckError
from steward.checks.segments._matrix import feature_matrix, sample
from steward.schema import Column, Kind, Role, Schema

SAMPLE_ROWS = 4000
REPEATS = 3
MAX_ITER = 50
MAX_HELD_OUT = 1000
MIN_FIT_ROWS = 50
HELD_OUT = 0.3


@dataclass(frozen=True)
class Importance:
    """Shares per feature (summing to one, or all zero), raw values, and where they came from."""

    shares: dict[str, float]
    raw: dict[str, float]
    source: str
    note: str = ""


@dataclass(frozen=True)
class Domain:
    """The domain classifier's held-out AUC, its p-value against 0.5, and feature shares."""

    auc: float
    p_value: float
    rows: int
    shares: dict[str, float] = field(default_factory=dict)


def shares(raw: dict[str, float]) -> dict[str, float]:
    """Clip at zero and divide by the sum (all zero stays all zero)."""
    clipped = {k: max(float(v), 0.0) if np.isfinite(v) else 0.0 for k, v in raw.items()}
    total = sum(clipped.values())
    return {k: v / total if total > 0 else 0.0 for k, v in clipped.items()}


def supplied_importance(importance: dict[str, float], columns: list[Column]) -> Importance:
    raw = {c.name: float(importance.get(c.name, 0.0)) for c in columns}
    return Importance(shares(raw), raw, "supplied")


def uniform_importance(columns: list[Column], why: str) -> Importance:
    raw = {c.name: 1.0 for c in columns}
    return Importance(shares(raw), raw, "uniform", why)


def model_importance(
    reference: pa.Table, schema: Schema, columns: list[Column], model: Any, seed: int
) -> Importance:
    """Permutation importance of ``model`` on labelled reference rows."""
    from sklearn.inspection import permutation_importance

    target = schema.first(Role.TARGET)
    assert target is not None
    rows = sample(reference.filter(reference.column(target.name).is_valid()), SAMPLE_ROWS, seed)
    frame = rows.select([c.name for c in columns]).to_pandas()
    truth = rows.column(target.name).to_numpy(zero_copy_only=False)
    scorer = _error_scorer(target.kind is Kind.NUMERIC)
    try:
        with one_thread():
            result = permutation_importance(
                model, frame, truth, scoring=scorer, n_repeats=REPEATS, random_state=seed
            )
    except Exception as exc:  # a user's model can fail in any way; say which call failed
        raise CheckError(
            f"the model could not predict from a DataFrame of the features {frame.columns.tolist()}"
            f" ({type(exc).__name__}: {exc}); pass importance={{feature: value}} instead"
        ) from exc
    raw = dict(zip(frame.columns, result.importances_mean.tolist(), strict=True))
    return Importance(shares(raw), raw, "permutation", f"{REPEATS} shuffles of {len(frame):,} rows")


def _error_scorer(regression: bool):
    """Minus the mean absolute error, or accuracy: higher is better, as sklearn wants."""

    def score(estimator: Any, x: Any, y: np.ndarray) -> float:
        guess = np.asarray(estimator.predict(x))
        if regression:
            return -float(np.mean(np.abs(guess.astype(float) - y.astype(float))))
        return float(np.mean(guess.astype(str) == y.astype(str)))

    return score


def surrogate_importance(
    reference: pa.Table, schema: Schema, columns: list[Column], seed: int
) -> Importance | None:
    """Importance from a surrogate fit to the model's logged output, or None without one."""
    output = _model_output(schema, reference)
    if output is None:
        return None
    rows = sample(reference.filter(reference.column(output.name).is_valid()), SAMPLE_ROWS, seed)
    if rows.num_rows < MIN_FIT_ROWS:
        return None
    (x,), categorical = feature_matrix([rows], columns)
    y, classify = _output_values(rows.column(output.name), output)
    fitted, quality = _fit_and_score(x, y, categorical, classify, seed)
    raw = dict(zip([c.name for c in columns], fitted.tolist(), strict=True))
    metric = "accuracy" if classify else "R²"
    note = (
        f"surrogate: HistGradientBoosting predicting {output.name!r} from the features, "
        f"held-out {metric} {quality:.2f}"
    )
    return Importance(shares(raw), raw, "surrogate", note)


def _model_output(schema: Schema, table: pa.Table) -> Column | None:
    for role in (Role.SCORE, Role.PREDICTION):
        column = schema.first(role)
        if column is not None and column.name in table.column_names:
            return column
    return None


def _output_values(column: pa.ChunkedArray, spec: Column) -> tuple[np.ndarray, bool]:
    if spec.kind is Kind.NUMERIC:
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64), False
    values = np.asarray(column.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
    return values.astype(str), True


def _fit_and_score(
    x: np.ndarray, y: np.ndarray, categorical: np.ndarray, classify: bool, seed: int
) -> tuple[np.ndarray, float]:
    """Fit on most rows; permutation importance and score on the held-out rest."""
    from sklearn.inspection import permutation_importance

    train, test = _split(len(y), seed)
    with one_thread():
        model = _booster(classify, categorical, seed).fit(x[train], y[train])
        result = permutation_importance(
            model, x[test], y[test], n_repeats=REPEATS, random_state=seed
        )
        return result.importances_mean, float(model.score(x[test], y[test]))


def _booster(classify: bool, categorical: np.ndarray, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kind = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
    mask = categorical if categorical.any() else None
    return kind(
        max_iter=MAX_ITER, categorical_features=mask, random_state=seed, early_stopping=False
    )


def one_thread() -> Any:
    """Run OpenMP code (the tree models) on one thread.

    The fits here are small; on a busy machine OpenMP's spinning threads cost far more than
    they save (a 2-core machine under load ran them 40× slower).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def _split(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(rows)
    held_out = min(round(rows * HELD_OUT), MAX_HELD_OUT)
    return order[held_out:], order[:held_out]


def domain_classifier(
    reference: pa.Table, current: pa.Table, columns: list[Column], seed: int
) -> Domain | None:
    """How well reference and current rows can be told apart, and by which features."""
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import roc_auc_score

    each = min(reference.num_rows, current.num_rows, SAMPLE_ROWS)
    if each < MIN_FIT_ROWS:
        return None
    parts = [sample(reference, each, seed), sample(current, each, seed + 1)]
    (ref_x, cur_x), categorical = feature_matrix(parts, columns)
    x = np.vstack([ref_x, cur_x])
    y = np.repeat([0, 1], each)
    train, test = _split(len(y), seed)
    with one_thread():
        model = _booster(True, categorical, seed).fit(x[train], y[train])
        auc = float(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
        result = permutation_importance(
            model, x[test], y[test], scoring="roc_auc", n_repeats=REPEATS, random_state=seed
        )
    raw = dict(zip([c.name for c in columns], result.importances_mean.tolist(), strict=True))
    return Domain(auc, _auc_p_value(auc, y[test]), len(y), shares(raw))


def _auc_p_value(auc: float, labels: np.ndarray) -> float:
    """One-sided p-value of AUC > 0.5 (the Mann–Whitney normal approximation)."""
    n1, n0 = int(labels.sum()), int(len(labels) - labels.sum())
    if n1 == 0 or n0 == 0:
        return 1.0
    se = np.sqrt((n1 + n0 + 1) / (12 * n1 * n0))
    return float(stats.norm.sf((auc - 0.5) / se))
