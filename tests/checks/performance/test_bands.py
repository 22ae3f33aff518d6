"""Bands are honest: over many simulated windows, the 95% band holds the true value ~95% of
the time. The true value is the metric on a million rows of the same simulated model.

Multiclass macro averages of score metrics are conservative by design (the aggregates do not
hold a row's joint scores, so per-class bands are averaged as if fully dependent): for them
the test asks for at least nominal coverage.
"""

from __future__ import annotations

import pytest
from performance_helpers import (
    binary_schema,
    binary_table,
    multiclass_schema,
    multiclass_table,
    regression_schema,
    regression_table,
)
from scipy import stats

from steward.checks.performance import REGISTRY, Metric, PerformancePolicy
from steward.checks.performance._bands import wilson, z_value
from steward.checks.performance._check import _view
from steward.profile.model import ModelProfile

SEEDS = 200
TRUTH_ROWS = 1_000_000
MAKERS = {
    "binary": (binary_table, binary_schema),
    "multiclass": (multiclass_table, multiclass_schema),
    "regression": (regression_table, regression_schema),
}


def metrics_of(task: str, n: int, seed: int) -> dict[str, Metric]:
    """Every metric of one simulated window, from one view (so bootstrap draws are shared)."""
    make, schema = MAKERS[task]
    model = ModelProfile.build(make(n, seed), schema())
    view = _view(model, PerformancePolicy(seed=seed))
    found = {name: spec.compute(view) for name, spec in REGISTRY.items() if task in spec.tasks}
    return {name: value for name, value in found.items() if value is not None}


def metric_of(name: str, task: str, n: int, seed: int) -> Metric:
    return metrics_of(task, n, seed)[name]


def coverage(task: str, n: int) -> dict[str, float]:
    """Per metric, the share of windows whose band holds the true value."""
    true = {name: m.value for name, m in metrics_of(task, TRUTH_ROWS, seed=10_000).items()}
    hits = {name: 0 for name in true}
    for seed in range(SEEDS):
        for name, m in metrics_of(task, n, seed).items():
            hits[name] += m.lower <= true[name] <= m.upper
    return {name: count / SEEDS for name, count in hits.items()}


@pytest.mark.parametrize(("successes", "n"), [(0, 10), (3, 10), (10, 10), (412, 500), (1, 1000)])
def test_wilson_matches_scipy(successes, n):
    expected = stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    lower, upper = wilson(successes, n, z_value(0.95))
    assert (lower, upper) == pytest.approx((expected.low, expected.high), abs=1e-12)


CONSERVATIVE = {
    ("multiclass", "roc_auc"),
    ("multiclass", "average_precision"),
    ("multiclass", "calibration_error"),
}


@pytest.mark.slow
@pytest.mark.parametrize(("task", "n"), [("binary", 500), ("multiclass", 400), ("regression", 300)])
def test_bands_hold_the_true_value_about_95_percent_of_the_time(task, n):
    found = coverage(task, n)
    assert len(found) == (4 if task == "regression" else 9)
    for name, share in found.items():
        if (task, name) in CONSERVATIVE:
            assert share >= 0.93, (name, found)
        else:
            assert 0.90 <= share <= 0.99, (name, found)


def test_bands_narrow_as_windows_grow():
    small, large = (metric_of("roc_auc", "binary", n, seed=1) for n in (200, 5000))
    assert large.upper - large.lower < 0.5 * (small.upper - small.lower)


def test_bands_are_reproducible_under_a_seed():
    a, b = (metric_of("f1", "multiclass", 300, seed=4) for _ in range(2))
    assert (a.lower, a.upper) == (b.lower, b.upper)


def test_a_band_contains_its_value_and_stays_in_range():
    for name in ("accuracy", "f1", "roc_auc", "calibration_error", "brier"):
        m = metric_of(name, "binary", 60, seed=2)
        assert 0.0 <= m.lower <= m.value <= m.upper <= 1.0, name
