"""Every registered drift test against an independent computation (SciPy or by hand)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from drift_helpers import finite, make_pair, pair_of, profiles
from scipy import stats
from scipy.spatial.distance import jensenshannon

from steward.checks.drift import REGISTRY
from steward.profile import ProfileConfig

RNG = np.random.default_rng(20240601)
# few distinct integers: each reference value gets its own bin, so binned tests are exact
INT_REF = RNG.integers(0, 10, 3_000)
INT_CUR = np.concatenate([RNG.integers(0, 10, 2_000), RNG.integers(3, 6, 500)])
# values outside the reference's range share the two outer bins, where only the current
# has mass: KS and Wasserstein stay exact there (F_ref is flat), energy does not
INT_WIDE = np.concatenate([RNG.integers(-3, 13, 2_000), RNG.integers(3, 6, 500)])
# continuous values, 5k rows (fits the 10k reservoir), with NaN/inf/nulls in the current
CONT_REF = RNG.normal(0.0, 1.0, 5_000)
CONT_CUR_CLEAN = RNG.normal(0.3, 1.2, 5_000)
CONT_CUR = [*CONT_CUR_CLEAN.tolist(), np.nan, np.inf, -np.inf, None]
CAT_REF = RNG.choice(list("abcde"), 4_000, p=[0.4, 0.3, 0.15, 0.1, 0.05]).tolist()
CAT_CUR = [*RNG.choice(list("abcdf"), 3_000, p=[0.3, 0.3, 0.2, 0.1, 0.1]).tolist(), None]

INT_PAIR = make_pair(INT_REF, INT_CUR, "numeric")
WIDE_PAIR = make_pair(INT_REF, INT_WIDE, "numeric")
CONT_PAIR = make_pair(CONT_REF, CONT_CUR, "numeric")
CAT_PAIR = make_pair(CAT_REF, CAT_CUR, "categorical")
BINS = 256


def run(name, pair):
    return REGISTRY[name].run(pair)


def category_table(ref: list, cur: list) -> np.ndarray:
    keys = sorted({v for v in ref + cur if v is not None})
    return np.array([[ref.count(k) for k in keys], [cur.count(k) for k in keys]], float)


# --- tests with exact p-values -----------------------------------------------------------


@pytest.mark.parametrize(
    ("pair", "cur"), [(INT_PAIR, INT_CUR), (WIDE_PAIR, INT_WIDE)], ids=["within", "beyond"]
)
def test_ks_equals_scipy_on_few_distinct_integers(pair, cur):
    result = run("ks", pair)
    expected = stats.ks_2samp(INT_REF, cur, method="asymp")
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12, abs=1e-15)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert result.effect_size == result.statistic


def test_ks_on_continuous_data_is_within_one_bin_of_scipy():
    result = run("ks", CONT_PAIR)
    expected = stats.ks_2samp(CONT_REF, CONT_CUR_CLEAN, method="asymp")
    # the binned statistic looks at bin edges only, so it can only fall short
    assert expected.statistic - 1 / BINS <= result.statistic <= expected.statistic + 1e-12
    assert result.p_value >= expected.pvalue  # same sizes, smaller statistic


def test_ks_p_value_for_identical_samples_is_one():
    result = run("ks", make_pair(INT_REF, INT_REF, "numeric"))
    assert (result.statistic, result.p_value) == (0.0, 1.0)


def test_chi_square_equals_scipy_on_categories():
    result = run("chi_square", CAT_PAIR)
    expected = stats.chi2_contingency(category_table(CAT_REF, CAT_CUR), correction=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-300)


def test_chi_square_equals_scipy_on_few_distinct_integers():
    result = run("chi_square", INT_PAIR)
    table = np.array([np.bincount(INT_REF, minlength=10), np.bincount(INT_CUR, minlength=10)])
    expected = stats.chi2_contingency(table, correction=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-300)


def test_chi_square_on_continuous_data_uses_the_coarse_bins():
    ref, cur = CONT_PAIR.coarse
    keep = (ref + cur) > 0
    expected = stats.chi2_contingency(np.vstack([ref[keep], cur[keep]]), correction=False)
    result = run("chi_square", CONT_PAIR)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert expected.dof <= 21


def test_z_test_hand_worked_example():
    # reference: 30 of 100 true; current: 45 of 100 true (nulls are not counted)
    pair = make_pair([True] * 30 + [False] * 70 + [None] * 5, [True] * 45 + [False] * 55, "boolean")
    result = run("z_test", pair)
    # pooled p = 75/200 = 0.375; se = sqrt(0.375·0.625·(1/100 + 1/100)) = sqrt(0.0046875)
    # z = (0.45 − 0.30) / 0.0684653196881458 = 2.19089023002066; p = 2·(1 − Φ(z))
    assert result.statistic == pytest.approx(2.1908902300206647, rel=1e-12)
    assert result.p_value == pytest.approx(0.02845973691631057, rel=1e-9)
    assert result.effect_size == pytest.approx(0.15, rel=1e-12)


def test_z_test_on_two_string_categories_and_its_limits():
    pair = make_pair(["a"] * 40 + ["b"] * 60, ["a"] * 40 + ["b"] * 60, "categorical")
    result = run("z_test", pair)
    assert (result.statistic, result.p_value, result.effect_size) == (0.0, 1.0, 0.0)
    constant = make_pair(["a"] * 10, ["a"] * 5, "categorical")
    assert run("z_test", constant).p_value == 1.0


# --- distances on binned proportions -------------------------------------------------------


def proportions(pair):
    ref, cur = pair.coarse
    return ref / ref.sum(), cur / cur.sum()


def test_psi_hand_worked_example():
    # reference a:50 b:30 c:20; current a:40 b:30 c:20 d:10 (d unseen, clipped to 1e-4)
    pair = make_pair(
        ["a"] * 50 + ["b"] * 30 + ["c"] * 20,
        ["a"] * 40 + ["b"] * 30 + ["c"] * 20 + ["d"] * 10,
        "categorical",
    )
    expected = (0.4 - 0.5) * math.log(0.4 / 0.5) + (0.1 - 1e-4) * math.log(0.1 / 1e-4)
    assert expected == pytest.approx(0.7123991, rel=1e-6)
    assert run("psi", pair).statistic == pytest.approx(expected, rel=1e-12)
    assert run("total_variation", pair).statistic == pytest.approx(0.1, rel=1e-12)
    assert run("l_infinity", pair).statistic == pytest.approx(0.1, rel=1e-12)


PAIRS = {"integers": INT_PAIR, "continuous": CONT_PAIR, "categories": CAT_PAIR}


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
def test_psi_matches_the_formula_with_clipping(pair):
    r, c = (np.maximum(p, 1e-4) for p in proportions(pair))
    assert run("psi", pair).statistic == pytest.approx(np.sum((c - r) * np.log(c / r)), rel=1e-12)


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
def test_jensen_shannon_equals_scipy(pair):
    r, c = proportions(pair)
    assert run("jensen_shannon", pair).statistic == pytest.approx(
        jensenshannon(r, c, base=2), rel=1e-10
    )


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
def test_hellinger_matches_the_overlap_form(pair):
    r, c = proportions(pair)
    expected = np.sqrt(1.0 - np.sum(np.sqrt(r * c)))
    assert run("hellinger", pair).statistic == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
def test_kl_equals_scipy_entropy_of_clipped_shares(pair):
    r, c = (np.maximum(p, 1e-4) for p in proportions(pair))
    assert run("kl", pair).statistic == pytest.approx(stats.entropy(c, r), rel=1e-10)


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
def test_total_variation_and_l_infinity(pair):
    r, c = proportions(pair)
    assert run("total_variation", pair).statistic == pytest.approx(
        0.5 * np.abs(r - c).sum(), rel=1e-12
    )
    assert run("l_infinity", pair).statistic == pytest.approx(np.abs(r - c).max(), rel=1e-12)


def test_distances_are_zero_for_identical_data():
    pair = make_pair(CONT_REF, CONT_REF, "numeric")
    for name, test in REGISTRY.items():
        if test.is_distance:
            assert test.run(pair).statistic == pytest.approx(0.0, abs=1e-12), name


# --- distances in the column's units -------------------------------------------------------


@pytest.mark.parametrize(
    ("pair", "cur"), [(INT_PAIR, INT_CUR), (WIDE_PAIR, INT_WIDE)], ids=["within", "beyond"]
)
def test_wasserstein_normed_equals_scipy_on_few_distinct_integers(pair, cur):
    expected = stats.wasserstein_distance(INT_REF, cur) / np.std(INT_REF)
    assert run("wasserstein", pair).statistic == pytest.approx(expected, rel=1e-9)


def test_wasserstein_normed_within_two_percent_on_continuous_data():
    expected = stats.wasserstein_distance(CONT_REF, CONT_CUR_CLEAN) / np.std(CONT_REF)
    assert run("wasserstein", CONT_PAIR).statistic == pytest.approx(expected, rel=0.02)


def test_energy_equals_scipy_on_few_distinct_integers():
    expected = stats.energy_distance(INT_REF, INT_CUR)
    assert run("energy", INT_PAIR).statistic == pytest.approx(expected, rel=1e-9)


def test_energy_within_two_percent_on_continuous_data():
    expected = stats.energy_distance(CONT_REF, CONT_CUR_CLEAN)
    assert run("energy", CONT_PAIR).statistic == pytest.approx(expected, rel=0.02)


# --- tests on the reservoir samples --------------------------------------------------------


def test_samples_are_the_finite_values_when_data_fits_the_reservoir():
    ref, cur = CONT_PAIR.samples()
    np.testing.assert_array_equal(np.sort(ref), np.sort(CONT_REF))
    np.testing.assert_array_equal(np.sort(cur), np.sort(finite(CONT_CUR)))


@pytest.mark.parametrize("pair", [INT_PAIR, CONT_PAIR], ids=["integers", "continuous"])
def test_anderson_darling_equals_scipy(pair):
    ref, cur = pair.samples()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = stats.anderson_ksamp([ref, cur])
    result = run("anderson_darling", pair)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert 0.001 <= result.p_value <= 0.25


def test_anderson_darling_on_the_raw_data_when_it_fits():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = stats.anderson_ksamp([CONT_REF, CONT_CUR_CLEAN])
    assert run("anderson_darling", CONT_PAIR).statistic == pytest.approx(
        expected.statistic, rel=1e-9
    )


def test_cramer_von_mises_equals_scipy_on_the_raw_data():
    expected = stats.cramervonmises_2samp(CONT_REF, CONT_CUR_CLEAN)
    result = run("cramer_von_mises", CONT_PAIR)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)


def test_cramer_von_mises_with_ties_uses_the_empirical_cdfs():
    # SciPy's rank formula assumes no ties; by the definition, with c_v pooled values at v:
    # T = nm/(n+m)² · Σ_v c_v (F_ref(v) − F_cur(v))²
    n, m = len(INT_REF), len(INT_CUR)
    values, pooled = np.unique(np.concatenate([INT_REF, INT_CUR]), return_counts=True)
    f_ref = np.array([np.mean(v >= INT_REF) for v in values])
    f_cur = np.array([np.mean(v >= INT_CUR) for v in values])
    expected = n * m / (n + m) ** 2 * np.sum(pooled * (f_ref - f_cur) ** 2)
    result = run("cramer_von_mises", INT_PAIR)
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert result.p_value < 1e-4  # the current has extra mass on 3–5


def test_cramer_von_mises_asymptotic_p_value_equals_scipy():
    from steward.checks.drift.cramer_von_mises import asymptotic_p_value

    for n, m, shift in [(30, 25, 0.0), (400, 300, 0.1), (2_000, 1_500, 0.15)]:
        x, y = RNG.normal(size=n), RNG.normal(shift, 1.0, m)
        expected = stats.cramervonmises_2samp(x, y, method="asymptotic")
        assert asymptotic_p_value(expected.statistic, n, m) == pytest.approx(
            expected.pvalue, rel=1e-9, abs=1e-12
        )


def test_cramer_von_mises_does_not_cry_wolf_on_discrete_data():
    rng = np.random.default_rng(11)
    constant = make_pair([3.0] * 100, [3.0] * 60, "numeric")
    assert run("cramer_von_mises", constant).p_value == 1.0
    for levels in (2, 5):
        p_values = [
            run(
                "cramer_von_mises",
                make_pair(rng.integers(0, levels, 400), rng.integers(0, levels, 300), "numeric"),
            ).p_value
            for _ in range(60)
        ]
        assert np.mean(np.array(p_values) < 0.05) <= 0.1, levels  # SciPy's own: 100% at 2


def test_sample_tests_see_the_reservoir_when_data_is_larger():
    big_ref, big_cur = RNG.normal(size=3_000), RNG.normal(0.1, 1, 3_000)
    pair = pair_of(*profiles(big_ref, big_cur, "numeric", ProfileConfig(reservoir=500)))
    ref, cur = pair.samples()
    assert len(ref) == len(cur) == 500
    assert set(ref.tolist()) <= set(big_ref.tolist())
    expected = stats.cramervonmises_2samp(ref, cur)
    assert run("cramer_von_mises", pair).statistic == pytest.approx(expected.statistic)


# --- coverage: every registered test has a reference computation above ----------------------

CHECKED = {
    "ks",
    "chi_square",
    "z_test",
    "psi",
    "jensen_shannon",
    "hellinger",
    "kl",
    "total_variation",
    "l_infinity",
    "wasserstein",
    "energy",
    "anderson_darling",
    "cramer_von_mises",
}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_test_has_an_independent_computation(name):
    assert name in CHECKED, f"drift test {name!r} has no reference computation in this file"
