"""The vectorised null statistic equals ``run`` applied to each simulated window in turn."""

from __future__ import annotations

import numpy as np
import pytest
from drift_helpers import make_pair, with_current_counts

from steward.checks.drift import REGISTRY

RNG = np.random.default_rng(7)
PAIRS = {
    "integers": make_pair(RNG.integers(0, 12, 2_000), RNG.integers(0, 12, 900), "numeric"),
    "continuous": make_pair(RNG.gamma(2.0, size=3_000), RNG.gamma(2.2, size=1_500), "numeric"),
    "categories": make_pair(
        RNG.choice(list("abcd"), 800).tolist(),
        RNG.choice(list("bcde"), 600).tolist(),
        "categorical",
    ),
    "booleans": make_pair(
        (RNG.random(500) < 0.3).tolist(), (RNG.random(400) < 0.4).tolist(), "boolean"
    ),
}
VECTORISED = sorted(name for name, test in REGISTRY.items() if test.null_statistic is not None)
CASES = [
    (name, key)
    for name in VECTORISED
    for key, pair in PAIRS.items()
    if pair.kind in REGISTRY[name].kinds
]


def simulated_windows(pair, rows: int = 6) -> np.ndarray:
    """Windows drawn from the reference's shares, of varied sizes; bins the reference lacks
    get a count too, so the category set of each window equals the pair's."""
    ref = pair.fine[0]
    shares = ref / ref.sum()
    sizes = RNG.integers(5, 400, rows)
    counts = np.array([RNG.multinomial(n, shares) for n in sizes], dtype=float)
    counts[:, ref == 0] += RNG.integers(1, 4, (rows, int((ref == 0).sum())))
    return counts


def test_there_are_cases_for_every_vectorised_test():
    assert {name for name, _ in CASES} == set(VECTORISED)
    assert len(VECTORISED) >= 10


@pytest.mark.parametrize(("name", "key"), CASES)
def test_null_statistic_equals_run_row_by_row(name, key):
    test, pair = REGISTRY[name], PAIRS[key]
    simulated = simulated_windows(pair)
    vectorised = test.null_statistic(pair, simulated)
    assert vectorised.shape == (len(simulated),)
    one_by_one = [test.run(with_current_counts(pair, row)).statistic for row in simulated]
    np.testing.assert_allclose(vectorised, one_by_one, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("name", "key"), CASES)
def test_null_statistic_of_the_current_counts_is_the_statistic(name, key):
    test, pair = REGISTRY[name], PAIRS[key]
    if pair.numeric and name in ("wasserstein", "energy"):
        pair = with_current_counts(pair, pair.fine[1])  # the null puts mass at reference means
    value = test.null_statistic(pair, pair.fine[1][None, :])
    np.testing.assert_allclose(value, [test.run(pair).statistic], rtol=1e-9, atol=1e-12)
