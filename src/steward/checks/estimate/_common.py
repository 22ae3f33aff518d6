"""Small pieces both estimators share: the target column, fitted-ness, bands."""

from __future__ import annotations

import warnings
from contextlib import AbstractContextManager

import numpy as np
from threadpoolctl import threadpool_limits

from steward._exceptions import CheckError
from steward.schema import Column, Kind, Role, Schema

Z95 = 1.959963984540054


def thread_limit(threads: int | None) -> AbstractContextManager[object]:
    """Cap the OpenMP and BLAS threads of scikit-learn and NumPy (``None``: no cap)."""
    return threadpool_limits(limits=threads)


def target_column(schema: Schema, kinds: tuple[Kind, ...], method: str) -> Column:
    target = schema.first(Role.TARGET)
    if target is None:
        raise CheckError(f"{method} needs a column with role 'target' in the schema")
    if target.kind not in kinds:
        wanted = " or ".join(k.value for k in kinds)
        raise CheckError(
            f"{method} needs a {wanted} target; {target.name!r} is {target.kind.value}"
        )
    return target


def require_fitted(estimator: object, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise CheckError(f"this {name} is not fitted; call fit(reference, schema) first")


def quantile_band(values: np.ndarray) -> tuple[float, float]:
    """The central 95 % of ``values`` (NaNs ignored; NaN when none is finite)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    low, high = np.quantile(finite, [0.025, 0.975])
    return (float(low), float(high))


def spread(values: np.ndarray) -> float:
    """Standard deviation of the finite ``values`` (NaN with fewer than two)."""
    finite = values[np.isfinite(values)]
    if finite.size < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(finite.std(ddof=1))


def check_folds(folds: int, rows: int, method: str) -> None:
    if folds < 2:
        raise CheckError(f"{method} needs folds >= 2 for cross-fitting, got {folds}")
    if rows < 2 * folds:
        raise CheckError(
            f"{method} needs at least {2 * folds} labelled reference rows "
            f"({folds} folds); the reference has {rows}"
        )


def feature_columns(schema: Schema) -> list[Column]:
    return [
        c for c in schema.features() if c.kind in (Kind.NUMERIC, Kind.CATEGORICAL, Kind.BOOLEAN)
    ]


def widened_band(drawn: np.ndarray, value: float, variance: float) -> tuple[float, float]:
    """The central 95 % of ``drawn`` around ``value``, widened for an extra ``variance``.

    Each side's distance from ``value`` is scaled by ``sqrt(1 + variance / sd²)``, ``sd``
    the spread of ``drawn``: the band keeps its skew and gains the extra error.
    """
    low, high = quantile_band(drawn)
    sd = spread(drawn)
    if not (np.isfinite(low) and np.isfinite(value)) or variance <= 0:
        return low, high
    if not sd > 0:
        half = Z95 * float(np.sqrt(variance))
        return value - half, value + half
    factor = float(np.sqrt(1.0 + variance / sd**2))
    return value - max(value - low, 0.0) * factor, value + max(high - value, 0.0) * factor


def jackknife_variance(estimates: list[dict[str, float]]) -> dict[str, float]:
    """Grouped-jackknife variance of each statistic over leave-one-fold-out estimates."""
    if len(estimates) < 2:
        return {key: 0.0 for key in estimates[0]} if estimates else {}
    k = len(estimates)
    out = {}
    for key in estimates[0]:
        values = np.array([e[key] for e in estimates], dtype=np.float64)
        values = values[np.isfinite(values)]
        out[key] = (
            float((k - 1) / k * np.sum((values - values.mean()) ** 2)) if values.size else 0.0
        )
    return out


def joint_p_value(
    observed: dict[str, float],
    expected: dict[str, float],
    drawn: dict[str, np.ndarray],
    variance: dict[str, float],
    rng: np.random.Generator,
) -> float:
    """Monte-Carlo p-value of the largest standardised gap between observed and expected.

    Each statistic's gap is scaled by its spread over the ``drawn`` values (simulated under
    the expectation, plus normal noise of the given extra ``variance``); the largest scaled
    gap observed is compared with the largest in each draw, so the p-value holds for all
    statistics at once, correlations included.
    """
    keys = [k for k in drawn if np.isfinite(observed[k]) and np.isfinite(expected[k])]
    if not keys:
        return float("nan")
    sims = np.column_stack([drawn[k] for k in keys])
    noise = np.sqrt([max(variance.get(k, 0.0), 0.0) for k in keys])
    sims = sims + rng.normal(0.0, 1.0, sims.shape) * noise
    centre = np.array([expected[k] for k in keys])
    gaps = np.abs(np.array([observed[k] for k in keys]) - centre)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(sims, axis=0)
        if np.any((sd == 0) & (gaps > 1e-12)):
            return 1.0 / (1 + sims.shape[0])
        varying = sd > 0
        if not varying.any():
            return 1.0
        worst = np.max(gaps[varying] / sd[varying])
        simulated = np.nanmax(np.abs(sims[:, varying] - centre[varying]) / sd[varying], axis=1)
    return float((1 + np.sum(simulated >= worst)) / (1 + sims.shape[0]))
