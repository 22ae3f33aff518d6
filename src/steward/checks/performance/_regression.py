"""Regression metrics from error moments: MAE, RMSE, MAPE, R².

All four use labelled rows with a finite prediction. MAPE leaves out rows whose target is
0 (counted in the profile) and is a share, not a percentage (as scikit-learn). R² is
``1 - Σ(y - ŷ)² / Σ(y - ȳ)²`` and is absent when the target is constant. Bands come from
the moments by the central limit theorem and the delta method: MAE and MAPE are means; RMSE
is the square root of the band of the mean squared error; R²'s variance uses the variances
of the squared error and the squared deviation of the target and their covariance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from steward.checks.performance._bands import normal, z_value
from steward.checks.performance._base import REGRESSION, Metric, banded, metric
from steward.profile._moments import Moments
from steward.profile.model import ErrorMoments

UNBOUNDED = (0.0, math.inf)


@dataclass(frozen=True)
class ErrorView:
    """A regressor's aggregates with the band's confidence."""

    errors: ErrorMoments
    confidence: float

    @property
    def n(self) -> int:
        return self.errors.paired

    @property
    def z(self) -> float:
        return z_value(self.confidence)

    @property
    def mse(self) -> float:
        e = self.errors.error
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.float64(e.m2) / e.n + np.float64(e.mean) ** 2)

    @property
    def squared_error_variance(self) -> float:
        """Population variance of e² from the central moments of e."""
        e, mu = self.errors.error, np.float64(self.errors.error.mean)
        with np.errstate(over="ignore", invalid="ignore"):
            fourth = (e.m4 + 4 * mu * e.m3 + 6 * mu * mu * e.m2) / e.n + mu**4
            return float(fourth - np.float64(self.mse) ** 2)


def _mean_metric(moments: Moments, view: ErrorView) -> Metric | None:
    if moments.n == 0:
        return None
    variance = moments.variance
    band = normal(moments.mean, variance, moments.n, view.z)
    return banded(moments.mean, band, moments.n, "normal", UNBOUNDED)


@metric("mae", REGRESSION, higher_is_better=False, max_drop=0.10, relative=True)
def mae(view: ErrorView) -> Metric | None:
    """Mean absolute error."""
    return _mean_metric(view.errors.absolute, view)


@metric("rmse", REGRESSION, higher_is_better=False, max_drop=0.10, relative=True)
def rmse(view: ErrorView) -> Metric | None:
    """Root mean squared error."""
    if view.n == 0:
        return None
    low, high = normal(view.mse, view.squared_error_variance, view.n, view.z)
    band = math.sqrt(max(low, 0.0)), math.sqrt(max(high, 0.0))
    return banded(math.sqrt(view.mse), band, view.n, "normal (mse)", UNBOUNDED)


@metric("mape", REGRESSION, higher_is_better=False, max_drop=0.10, relative=True)
def mape(view: ErrorView) -> Metric | None:
    """Mean absolute percentage error as a share, over rows with a non-zero target."""
    return _mean_metric(view.errors.percentage, view)


@metric("r2", REGRESSION, higher_is_better=True, max_drop=0.05)
def r2(view: ErrorView) -> Metric | None:
    """Coefficient of determination, 1 - SSE / SST."""
    y = view.errors.target
    if view.n < 2 or y.m2 <= 0:
        return None
    spread = y.m2 / y.n
    value = 1.0 - view.mse / spread
    variance = _r2_variance(view, spread)
    band = normal(value, variance, view.n, view.z)
    return banded(value, band, view.n, "delta", (-math.inf, 1.0))


def _r2_variance(view: ErrorView, spread: float) -> float:
    """Delta-method variance (times n) of 1 - mean(u) / mean(v), u = e², v = (y - ȳ)²."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(_r2_terms(view, np.float64(spread)))


def _r2_terms(view: ErrorView, spread: np.float64) -> np.float64:
    u = np.float64(view.mse)
    var_u = view.squared_error_variance
    var_v = view.errors.target.m4 / view.n - spread**2
    cov = _cov_squared_error_target(view, spread)
    return var_u / spread**2 + u * u * var_v / spread**4 - 2 * u * cov / spread**3


def _cov_squared_error_target(view: ErrorView, spread: float) -> float:
    """Cov(e², (y - ȳ)²) from the cross sums about the profile's shift."""
    errors, n, u = view.errors, view.n, view.mse
    d = errors.target.mean - errors.shift
    first, second = errors.cross / n
    cov_t = first - u * d
    cov_t2 = second - u * (spread + d * d)
    return cov_t2 - 2 * d * cov_t
