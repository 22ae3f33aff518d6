"""The aligned view of two column profiles, and the registry of drift tests."""

from __future__ import annotations

import numpy as np
import pytest
from drift_helpers import finite, make_pair

from steward._exceptions import CheckError, StewardError, UnknownCheck
from steward.checks.drift import REGISTRY, DriftTest, Pair, get, register
from steward.checks.drift import TestResult as Result  # not a test class
from steward.profile import ProfileConfig
from steward.schema import Kind

RNG = np.random.default_rng(3)
REF = RNG.lognormal(size=4_000)
CUR = [*RNG.lognormal(0.2, 1.0, 3_000).tolist(), None, np.nan, np.inf]


def test_fine_counts_are_histograms_on_the_reference_edges():
    pair = make_pair(REF, CUR, "numeric")
    bounds = np.concatenate([[-np.inf], pair.ref.edges, [np.inf]])
    ref, cur = pair.fine
    np.testing.assert_array_equal(ref, np.histogram(REF, bins=bounds)[0])
    np.testing.assert_array_equal(cur, np.histogram(finite(CUR), bins=bounds)[0])


def test_coarse_bins_keep_totals_and_hold_equal_reference_mass():
    pair = make_pair(REF, CUR, "numeric")
    (ref_fine, cur_fine), (ref, cur) = pair.fine, pair.coarse
    assert (ref.sum(), cur.sum()) == (ref_fine.sum(), cur_fine.sum())
    assert len(ref) == pair.coarse_bins + 2
    assert ref[0] == ref[-1] == 0  # below and above the reference's range
    np.testing.assert_allclose(ref[1:-1] / ref.sum(), 1 / pair.coarse_bins, atol=0.01)
    assert np.all(np.diff(pair.grouping) >= 0)


def test_few_fine_bins_are_not_coarsened():
    pair = make_pair(RNG.integers(0, 8, 500), RNG.integers(0, 8, 300), "numeric")
    assert pair.grouping is None
    np.testing.assert_array_equal(pair.coarse[0], pair.fine[0])


def test_category_keys_line_up_with_the_counts():
    pair = make_pair(["a", "b", "b", "c"], ["b", "d", "d", None], "categorical")
    ref, cur = pair.fine
    assert pair.keys == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(ref, [1, 2, 1, 0])
    np.testing.assert_array_equal(cur, [0, 1, 0, 2])


def test_folded_categories_appear_as_other():
    config = ProfileConfig(top_k=2)
    pair = make_pair(
        ["a"] * 5 + ["b"] * 3 + ["c", "d"], ["a", "e", "f", "g"], "categorical", config
    )
    assert pair.keys[-1] == "(other)"
    assert pair.fine[0][-1] == 2 and pair.fine[1][-1] == 3
    assert pair.fine[0].sum() == 10 and pair.fine[1].sum() == 4


def test_reference_scale_is_the_population_standard_deviation():
    pair = make_pair(REF, CUR, "numeric")
    assert pair.ref_std == pytest.approx(np.std(REF), rel=1e-12)


def test_tests_on_samples_need_samples():
    pair = make_pair(REF, CUR, "numeric")
    bare = Pair(pair.column, pair.kind, pair.ref, pair.cur)
    for name, test in REGISTRY.items():
        if test.uses == "sample":
            with pytest.raises(CheckError, match="no sample"):
                test.run(bare)
            assert test.run(pair).p_value is not None, name


def test_positions_need_a_numeric_column():
    pair = make_pair(["a", "b"], ["a"], "categorical")
    with pytest.raises(CheckError, match="numeric column"):
        pair.positions()


def test_text_columns_compare_their_lengths():
    pair = make_pair(["ab", "abc", "abcd"] * 10, ["abcdefgh"] * 5, "text")
    assert pair.numeric
    assert REGISTRY["ks"].run(pair).statistic == 1.0


def test_registry_descriptors_are_well_formed():
    all_kinds = {Kind.NUMERIC, Kind.TEXT, Kind.CATEGORICAL, Kind.BOOLEAN}
    assert {"ks", "psi", "wasserstein", "chi_square", "jensen_shannon"} <= set(REGISTRY)
    for name, test in REGISTRY.items():
        assert test.name == name and test.check_name == f"drift.{name}"
        assert test.kinds and set(test.kinds) <= all_kinds
        assert test.uses in ("counts", "sample")
        assert test.threshold_on in ("statistic", "p_value")
        assert test.threshold > 0
        assert test.description
        if test.uses == "sample":
            assert test.null_statistic is None and set(test.kinds) <= {Kind.NUMERIC, Kind.TEXT}


def test_unknown_test_names_list_the_registered_ones():
    with pytest.raises(UnknownCheck, match=r"registered: .*'ks'") as info:
        get("kolmogorov")
    assert isinstance(info.value, StewardError)
    assert str(info.value).startswith("unknown drift test 'kolmogorov'")
    assert get("ks") is REGISTRY["ks"]


def test_a_name_registers_once():
    duplicate = DriftTest("ks", frozenset({Kind.NUMERIC}), 0.1, "counts", lambda pair: Result(0.0))
    with pytest.raises(ValueError, match="registered twice"):
        register(duplicate)
    assert REGISTRY["ks"] is not duplicate
