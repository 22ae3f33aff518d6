"""Paired tests of two models on the same rows: McNemar, the paired bootstrap, the paired t-test.

Both models answered the *same* rows (shadow traffic or a labelled backtest), so the tests
are paired, which removes the row-to-row noise that two independent samples would carry:

- :func:`mcnemar` — two classifiers' per-row correctness; exact binomial on the discordant
  pairs when there are fewer than :data:`EXACT_BELOW`, else chi-square with continuity
  correction (as statsmodels' ``mcnemar``);
- :func:`paired_bootstrap` — any metric; resamples rows (pairs stay together) and reads the
  one-sided p-value and the confidence interval off the bootstrap distribution;
- :func:`paired_t_on_errors` — the paired t-test on per-row errors (regressors), with the
  Wilcoxon signed-rank test as a distribution-free check.

Every p-value is one-sided (see :mod:`steward.checks.paired`, whose gate decides with them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from steward._exceptions import CheckError

EXACT_BELOW = 25  # discordant pairs under which McNemar uses the exact binomial


N_BOOT = 2000


Array = np.ndarray


MetricFn = Callable[[Array, Array], float]


@dataclass(frozen=True)
class PairedResult:
    """One paired test of b (challenger) against a (champion)."""

    method: str
    statistic: float
    p_value: float  # H1: improvement > margin
    p_value_worse: float  # H1: improvement < 0
    n: int
    estimate: float  # observed improvement of b over a, in metric units
    ci_low: float
    ci_high: float
    margin: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


def mcnemar(correct_a: Sequence[bool] | Array, correct_b: Sequence[bool] | Array) -> PairedResult:
    """McNemar's test on per-row correctness of a (champion) and b (challenger).

    Only the discordant pairs count: ``n01`` rows a got right and b wrong, ``n10`` the
    reverse. Under H0 each discordant pair is a fair coin, so ``n10 ~ Binomial(n01+n10, ½)``.
    ``statistic`` is ``min(n01, n10)`` (exact) or ``(|n10-n01|-1)²/(n01+n10)`` (chi-square),
    and ``details["p_two_sided"]`` equals statsmodels' ``mcnemar(...).pvalue``.
    """
    a, b = _bools(correct_a), _bools(correct_b)
    same_length(a, b)
    n01, n10 = int(np.sum(a & ~b)), int(np.sum(~a & b))
    test = _mcnemar_exact if n01 + n10 < EXACT_BELOW else _mcnemar_chi2
    statistic, p_better, p_worse, p_two = test(n01, n10)
    n = len(a)
    low, high = _mcnemar_ci(n01, n10, n)
    return PairedResult(
        method="mcnemar-exact" if n01 + n10 < EXACT_BELOW else "mcnemar-chi2",
        statistic=statistic,
        p_value=p_better,
        p_value_worse=p_worse,
        n=n,
        estimate=(n10 - n01) / n if n else 0.0,
        ci_low=low,
        ci_high=high,
        details={"discordant": [n01, n10], "p_two_sided": p_two},
    )


def _mcnemar_exact(n01: int, n10: int) -> tuple[float, float, float, float]:
    d = n01 + n10
    if d == 0:
        return 0.0, 1.0, 1.0, 1.0
    p_better = float(stats.binom.sf(n10 - 1, d, 0.5))  # P(X ≥ n10)
    p_worse = float(stats.binom.cdf(n10, d, 0.5))  # P(X ≤ n10)
    p_two = min(1.0, 2.0 * float(stats.binom.cdf(min(n01, n10), d, 0.5)))
    return float(min(n01, n10)), p_better, p_worse, p_two


def _mcnemar_chi2(n01: int, n10: int) -> tuple[float, float, float, float]:
    d = n01 + n10
    statistic = max(abs(n10 - n01) - 1, 0) ** 2 / d
    p_better = float(stats.norm.sf((n10 - n01 - 1) / np.sqrt(d)))
    p_worse = float(stats.norm.sf((n01 - n10 - 1) / np.sqrt(d)))
    return float(statistic), p_better, p_worse, float(stats.chi2.sf(statistic, 1))


def _mcnemar_ci(n01: int, n10: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wald interval of the paired difference in accuracy (b − a)."""
    if n == 0:
        return 0.0, 0.0
    p01, p10 = n01 / n, n10 / n
    diff = p10 - p01
    se = np.sqrt(max(p01 + p10 - diff**2, 0.0) / n)
    return float(diff - z * se), float(diff + z * se)


def paired_bootstrap(
    metric_fn: MetricFn,
    y: Sequence[Any] | Array,
    pred_a: Sequence[Any] | Array,
    pred_b: Sequence[Any] | Array,
    n_boot: int = N_BOOT,
    seed: int = 0,
    *,
    higher_is_better: bool = True,
    margin: float = 0.0,
    confidence: float = 0.95,
) -> PairedResult:
    """Bootstrap the improvement ``±(metric(y, b) − metric(y, a))`` by resampling rows.

    ``pred_a``/``pred_b`` may be 2-D (scores) as long as rows come first. The one-sided
    p-value is the share of resampled improvements at or below ``margin`` (with the usual
    +1 so it is never zero); the interval is the percentile interval at ``confidence``.
    ``statistic`` is ``(improvement − margin) / bootstrap standard error``.
    """
    y, a, b = np.asarray(y), np.asarray(pred_a), np.asarray(pred_b)
    same_length(y, a, b)
    if len(y) == 0:
        raise CheckError("a paired bootstrap needs at least one row")
    sign = 1.0 if higher_is_better else -1.0
    observed = sign * (metric_fn(y, b) - metric_fn(y, a))
    draws = _bootstrap_draws(metric_fn, y, a, b, n_boot, seed) * sign
    return bootstrap_result(observed, draws, len(y), margin, confidence)


def _bootstrap_draws(fn: MetricFn, y: Array, a: Array, b: Array, n_boot: int, seed: int) -> Array:
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(y), size=(n_boot, len(y)))
    return np.array([fn(y[i], b[i]) - fn(y[i], a[i]) for i in index], dtype=float)


def bootstrap_result(
    observed: float, draws: Array, n: int, margin: float, confidence: float
) -> PairedResult:
    n_boot = len(draws)
    spread = float(np.std(draws, ddof=1)) if n_boot > 1 else 0.0
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return PairedResult(
        method="bootstrap",
        statistic=_ratio(observed - margin, spread),
        p_value=(1 + int(np.sum(draws <= margin))) / (n_boot + 1),
        p_value_worse=(1 + int(np.sum(draws >= 0.0))) / (n_boot + 1),
        n=n,
        estimate=float(observed),
        ci_low=float(low),
        ci_high=float(high),
        margin=margin,
        details={"n_boot": n_boot, "se": spread},
    )


def mean_draws(diff: Array, n_boot: int, seed: int, chunk: int = 250) -> Array:
    """Bootstrap means of ``diff`` in chunks (memory stays at ``chunk × n``)."""
    rng = np.random.default_rng(seed)
    out = [
        diff[rng.integers(0, len(diff), size=(min(chunk, n_boot - s), len(diff)))].mean(1)
        for s in range(0, n_boot, chunk)
    ]
    return np.concatenate(out)


def paired_t_on_errors(
    err_a: Sequence[float] | Array,
    err_b: Sequence[float] | Array,
    *,
    margin: float = 0.0,
    confidence: float = 0.95,
) -> PairedResult:
    """Paired t-test that b's per-row errors are lower than a's by more than ``margin``.

    The improvement per row is ``err_a − err_b``; the test is scipy's ``ttest_rel`` (one
    sided). ``details["wilcoxon_p"]`` is the Wilcoxon signed-rank p-value of the same
    hypothesis, a check that does not assume normal differences.
    """
    a, b = np.asarray(err_a, dtype=float), np.asarray(err_b, dtype=float)
    same_length(a, b)
    if len(a) < 2:
        raise CheckError("a paired t-test needs at least two rows")
    diff = a - b
    mean, se = float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))
    statistic, p_better, p_worse = _t_test(a, b, diff, margin, se)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, len(diff) - 1)) * se
    return PairedResult(
        method="paired-t",
        statistic=statistic,
        p_value=p_better,
        p_value_worse=p_worse,
        n=len(diff),
        estimate=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        margin=margin,
        details={"wilcoxon_p": _wilcoxon(diff - margin), "se": se},
    )


def _t_test(a: Array, b: Array, diff: Array, margin: float, se: float) -> tuple[float, ...]:
    if se == 0.0:  # every row differs by the same amount: no doubt left
        mean = float(diff.mean())
        return _ratio(mean - margin, 0.0), float(mean <= margin), float(mean >= 0.0)
    better = stats.ttest_rel(a, b + margin, alternative="greater")
    worse = stats.ttest_rel(a, b, alternative="less")
    return float(better.statistic), float(better.pvalue), float(worse.pvalue)


def _wilcoxon(shifted: Array) -> float:
    if not np.any(shifted != 0.0):
        return 1.0
    return float(stats.wilcoxon(shifted, alternative="greater").pvalue)


def _bools(values: Sequence[bool] | Array) -> Array:
    return np.asarray(values, dtype=bool)


def same_length(*arrays: Array) -> None:
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        raise CheckError(f"paired inputs must have the same length, got {sorted(lengths)}")


def _ratio(num: float, den: float) -> float:
    if den > 0:
        return float(num / den)
    return 0.0 if num == 0 else float(np.sign(num) * np.inf)
