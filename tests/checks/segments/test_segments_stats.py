"""The vectorised tests, bands and slice enumeration against slow, obvious references."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from steward.checks.segments._conditions import encode_features
from steward.checks.segments._slices import enumerate_slices
from steward.checks.segments._stats import (
    FISHER,
    MAX_EXACT_SD,
    WELCH,
    Z_TEST,
    Sums,
    band,
    benjamini_hochberg,
    fisher_greater,
    greater,
    wilson,
)
from steward.checks.segments.worst import slice_mask
from steward.schema import infer_schema


def test_fisher_tail_matches_scipy():
    rng = np.random.default_rng(0)
    big_n = rng.integers(200, 50_000, 500)
    big_k = (big_n * rng.uniform(0.01, 0.3, 500)).astype(int)
    n = (big_n * rng.uniform(0.01, 0.5, 500)).astype(int)
    mean = n * big_k / big_n
    sd = np.sqrt(n * big_k * (big_n - big_k) * (big_n - n) / (big_n**2 * (big_n - 1.0)))
    k = np.minimum(np.ceil(mean + rng.uniform(0, 6, 500) * sd), np.minimum(n, big_k))
    used = sd < MAX_EXACT_SD  # the range the tests send to it
    expected = stats.hypergeom.sf(k - 1, big_n, big_k, n)[used]
    got = fisher_greater(k[used], n[used], big_k[used], big_n[used], sd[used])
    assert used.sum() > 200 and got == pytest.approx(expected, rel=1e-8, abs=1e-300)


def _sums(errors: np.ndarray) -> Sums:
    return Sums(
        np.array([len(errors)], float), np.array([errors.sum()]), np.array([(errors**2).sum()])
    )


def test_small_counts_use_fisher_and_large_ones_the_z_test():
    small_in, small_out = (
        _sums(np.r_[np.ones(6), np.zeros(44)]),
        _sums(np.r_[np.ones(50), np.zeros(950)]),
    )
    p, names = greater(small_in, small_out, binary=True)
    table = [[6, 44], [50, 950]]
    assert names[0] == FISHER
    assert p[0] == pytest.approx(stats.fisher_exact(table, alternative="greater")[1], rel=1e-9)
    big_in = _sums(np.r_[np.ones(2_000), np.zeros(8_000)])
    big_out = _sums(np.r_[np.ones(15_000), np.zeros(85_000)])
    p, names = greater(big_in, big_out, binary=True)
    assert names[0] == Z_TEST
    exact = stats.fisher_exact([[2_000, 8_000], [15_000, 85_000]], alternative="greater")[1]
    assert p[0] == pytest.approx(exact, rel=0.1)


def test_welch_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.exponential(1.3, 80), rng.exponential(1.0, 900)
    p, names = greater(_sums(a), _sums(b), binary=False)
    expected = stats.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue
    assert names[0] == WELCH and p[0] == pytest.approx(expected, rel=1e-9)


def test_better_inside_is_not_significant():
    p, _ = greater(_sums(np.zeros(500)), _sums(np.r_[np.ones(100), np.zeros(900)]), binary=True)
    assert p[0] > 0.5


def test_wilson_and_t_bands():
    lower, upper = wilson(np.array([0.0, 5.0]), np.array([10.0, 10.0]))
    assert lower[0] == 0.0 and upper[0] == pytest.approx(0.2775, abs=1e-4)
    assert (lower[1], upper[1]) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    errors = np.array([1.0, 2.0, 3.0, 4.0])
    lo, hi = band(_sums(errors), binary=False)
    half = stats.t.ppf(0.975, 3) * errors.std(ddof=1) / 2
    assert (lo[0], hi[0]) == pytest.approx((2.5 - half, 2.5 + half))


def test_benjamini_hochberg():
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert len(benjamini_hochberg(np.zeros(0))) == 0


def test_enumerated_sums_match_row_masks():
    rng = np.random.default_rng(2)
    rows = 3_000
    table = pa.table(
        {
            "a": rng.normal(size=rows),
            "b": rng.choice(["p", "q", "r"], rows),
            "c": np.where(rng.random(rows) < 0.1, np.nan, rng.integers(0, 50, rows)),
            "d": rng.random(rows) < 0.3,
        }
    )
    errors = rng.exponential(size=rows)
    features = encode_features(table, infer_schema(table), bins=4)
    slices = enumerate_slices(features, errors, max_conditions=3, min_rows=30)
    assert set(slices.order.tolist()) == {1, 2, 3}
    for i in rng.choice(len(slices), 60, replace=False):
        mask = slice_mask(features, slices.members(int(i)), rows)
        assert slices.sums.n[i] == mask.sum()
        assert slices.sums.s[i] == pytest.approx(errors[mask].sum())
        assert slices.sums.q[i] == pytest.approx((errors[mask] ** 2).sum())
        assert 30 <= mask.sum() <= rows / 2


def test_slices_equal_to_their_parent_are_not_tested():
    rng = np.random.default_rng(3)
    x = rng.normal(size=2_000)
    table = pa.table({"x": x, "copy": x > np.quantile(x, 0.2, method="inverted_cdf")})
    features = encode_features(table, infer_schema(table), bins=5)
    slices = enumerate_slices(features, rng.random(2_000), max_conditions=2, min_rows=30)
    for i in range(len(slices)):
        if slices.order[i] == 2:
            assert slices.sums.n[i] < slices.parents.n[i, :2].min()
