"""PCA reconstruction error (NannyML's data-reconstruction drift), with a calibrated p-value.

PCA is fitted on one half of the encoded reference sample, keeping the components that
explain ``pca_variance`` of its variance, but always one fewer than the directions the
reference varies in (else every row would rebuild exactly). A row's error is the Euclidean
distance between it and its reconstruction from those components; a change in the
correlations between features raises it even when every marginal distribution stays the
same.

The statistic is the current sample's mean error. Its null distribution is the mean error
of bootstrap chunks drawn from the *other* half of the reference (PCA never saw those rows).
The chunks have the current sample's size, shrunk to ``n·m/(n+m)`` so their spread also
carries the noise of the held-out half's own mean (``m`` rows) that the test compares with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steward.checks.multivariate._base import (
    MultivariateCheck,
    Outcome,
    Samples,
    register,
    unreliable,
    verdict_finding,
)
from steward.checks.multivariate._policy import MultivariatePolicy
from steward.findings import Finding

CHECK = "drift.pca_reconstruction"
BLOCK = 100  # bootstrap chunks drawn per vectorised step, to bound memory
TINY = 1e-12


@dataclass(frozen=True)
class Reconstruction:
    """A PCA fitted on encoded rows: their mean and the kept components."""

    mean: np.ndarray
    components: np.ndarray  # (k, d)
    explained: float  # share of the fit rows' variance the components keep

    @classmethod
    def fit(cls, rows: np.ndarray, variance: float) -> Reconstruction:
        """Principal axes from the eigenvectors of the covariance (d×d: cheap for any n)."""
        mean = rows.mean(axis=0)
        centred = rows - mean
        values, vectors = np.linalg.eigh(centred.T @ centred / len(rows))
        values, vectors = np.clip(values[::-1], 0.0, None), vectors[:, ::-1]
        total = float(values.sum())
        ratios = values / total if total > 0 else np.zeros_like(values)
        keep = int(np.searchsorted(np.cumsum(ratios), variance - 1e-12) + 1)
        varying = int(np.count_nonzero(ratios > 1e-9))
        keep = min(keep, max(varying - 1, 0))  # leave a direction the reference varies in
        return cls(mean, vectors[:, :keep].T, float(np.sum(ratios[:keep])))

    def residuals(self, rows: np.ndarray) -> np.ndarray:
        centred = rows - self.mean
        return centred - (centred @ self.components.T) @ self.components

    def errors(self, rows: np.ndarray) -> np.ndarray:
        return np.sqrt(np.sum(self.residuals(rows) ** 2, axis=1))


def run(samples: Samples, policy: MultivariatePolicy) -> Finding:
    reason = _untestable(samples, policy)
    if reason:
        return unreliable(CHECK, reason, samples.counts())
    rng = np.random.default_rng(policy.seed)
    fit_rows, held_out = _halves(samples.reference, rng)
    model = Reconstruction.fit(fit_rows, policy.pca_variance)
    reference_errors = model.errors(held_out)
    statistic = float(model.errors(samples.current).mean())
    chunk = _chunk_size(len(samples.current), len(reference_errors))
    null = chunk_means(reference_errors, chunk, policy.pca_chunks, rng)
    baseline = float(reference_errors.mean())
    increase = (statistic - baseline) / max(baseline, TINY)
    details = {
        **samples.counts(),
        **_calibration(null, baseline, chunk, policy),
        "effect": "relative increase of the mean error over the reference's",
        "components": len(model.components),
        "explained_variance": model.explained,
        "fit_rows": len(fit_rows),
        "held_out_rows": len(held_out),
        "column_errors": column_errors(model, held_out, samples),
    }
    summary = f"mean reconstruction error {statistic:.4g} vs {baseline:.4g} on the reference"
    outcome = Outcome(
        CHECK,
        statistic,
        float((1 + np.count_nonzero(null >= statistic - TINY)) / (1 + len(null))),
        increase,
        policy.pca_min_increase,
        policy.alpha,
        f"{summary} ({increase:+.1%})",
        details,
    )
    return verdict_finding(outcome)


def _halves(rows: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random half of the rows to fit PCA on, and the other half to calibrate with."""
    order = rng.permutation(len(rows))
    half = len(order) // 2
    return rows[order[:half]], rows[order[half:]]


def _calibration(
    null: np.ndarray, baseline: float, chunk: int, policy: MultivariatePolicy
) -> dict[str, object]:
    """The reference side of the test, for plots: bars on the statistic and the null."""
    return {
        "reference_error": baseline,
        "upper_bound": float(np.quantile(null, 1 - policy.alpha)),
        "relevance_bound": baseline * (1 + policy.pca_min_increase),
        "null_quantiles": _quantiles(null),
        "chunk_size": chunk,
        "chunks": len(null),
    }


def _untestable(samples: Samples, policy: MultivariatePolicy) -> str | None:
    if samples.reference.shape[1] < 2:
        return (
            "PCA reconstruction needs at least two encoded features; the columns "
            f"{list(samples.encoder.columns_)} give {samples.reference.shape[1]}"
        )
    if len(samples.reference) < 2 * policy.min_rows:
        return (
            f"the reference sample has {len(samples.reference)} rows; PCA reconstruction "
            f"needs {2 * policy.min_rows} (half to fit, half to calibrate)"
        )
    if len(samples.current) < policy.min_rows:
        return (
            f"the current sample has {len(samples.current)} rows; PCA reconstruction "
            f"needs {policy.min_rows}"
        )
    if np.all(samples.reference.std(axis=0) == 0):
        return "every encoded feature is constant in the reference sample"
    return None


def _chunk_size(current: int, held_out: int) -> int:
    return max(1, round(current * held_out / (current + held_out)))


def chunk_means(errors: np.ndarray, size: int, chunks: int, rng: np.random.Generator) -> np.ndarray:
    """Mean error of ``chunks`` bootstrap chunks of ``size`` rows drawn from ``errors``."""
    means = np.empty(chunks)
    for start in range(0, chunks, BLOCK):
        stop = min(start + BLOCK, chunks)
        picks = rng.integers(0, len(errors), size=(stop - start, size))
        means[start:stop] = errors[picks].mean(axis=1)
    return means


def column_errors(
    model: Reconstruction, held_out: np.ndarray, samples: Samples
) -> dict[str, dict[str, float]]:
    """Mean squared residual per source column, reference (held out) and current."""
    groups = samples.encoder.groups_
    ref = _by_group(model.residuals(held_out) ** 2, groups)
    cur = _by_group(model.residuals(samples.current) ** 2, groups)
    return {
        name: {"reference": float(r), "current": float(c)}
        for name, r, c in zip(samples.encoder.columns_, ref, cur, strict=True)
    }


def _by_group(squared: np.ndarray, groups: np.ndarray) -> np.ndarray:
    per_feature = squared.mean(axis=0)
    return np.bincount(groups, weights=per_feature, minlength=int(groups.max()) + 1)


def _quantiles(null: np.ndarray) -> dict[str, float]:
    levels = {"p01": 0.01, "p05": 0.05, "p50": 0.5, "p95": 0.95, "p99": 0.99}
    return {name: float(np.quantile(null, q)) for name, q in levels.items()}


register(
    MultivariateCheck(
        "pca_reconstruction",
        run,
        "Mean PCA reconstruction error of the current sample against reference chunks.",
    )
)
