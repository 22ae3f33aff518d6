"""Multivariate drift finds what per-column tests cannot, and stays quiet otherwise."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from multivariate_helpers import correlated, normals, profiles

from steward.checks.drift_verdict import check_drift
from steward.checks.multivariate import MultivariatePolicy, check_multivariate
from steward.findings import Verdict


def _by_check(findings):
    return {f.check: f for f in findings}


def test_a_flipped_correlation_is_found_though_every_marginal_is_unchanged():
    rng = np.random.default_rng(11)
    ref, cur = profiles(correlated(rng, 5000, 0.9), correlated(rng, 5000, -0.9))
    assert all(f.verdict is Verdict.OK for f in check_drift(ref, cur))
    found = _by_check(check_multivariate(ref, cur))
    pca, classifier = found["drift.pca_reconstruction"], found["drift.domain_classifier"]
    assert pca.verdict is Verdict.FAIL and classifier.verdict is Verdict.FAIL
    assert pca.effect_size > 1.0  # the error more than doubles
    assert classifier.statistic > 0.85
    top = [f["column"] for f in classifier.details["top_features"][:2]]
    assert sorted(top) == ["x0", "x1"]
    assert classifier.details["top_features"][2]["share"] < 0.05


def test_the_shifted_feature_is_named_first():
    rng = np.random.default_rng(12)
    ref, cur = profiles(normals(rng, 4000, 6), normals(rng, 4000, 6, {"x3": 0.5}))
    classifier = _by_check(check_multivariate(ref, cur))["drift.domain_classifier"]
    assert classifier.verdict is Verdict.FAIL
    first = classifier.details["top_features"][0]
    assert first["column"] == "x3"
    assert first["share"] > 0.6
    assert "separated most by x3" in classifier.message


def test_a_categorical_shift_is_reported_under_its_source_column():
    rng = np.random.default_rng(13)

    def table(p):
        return pa.table(
            {"x": rng.normal(size=3000), "plan": rng.choice(["a", "b", "c", "d"], 3000, p=p)}
        )

    ref, cur = profiles(table([0.4, 0.3, 0.2, 0.1]), table([0.1, 0.2, 0.3, 0.4]))
    classifier = _by_check(check_multivariate(ref, cur))["drift.domain_classifier"]
    assert classifier.verdict is Verdict.FAIL
    assert classifier.details["top_features"][0]["column"] == "plan"
    assert {f["column"] for f in classifier.details["top_features"]} == {"plan", "x"}


def _false_alarms(check, runs, ref_rows, cur_rows, seed):
    rng = np.random.default_rng(seed)
    policy = MultivariatePolicy(checks=(check,), pca_min_increase=0.0, min_auc=0.5)
    p_values = []
    for _ in range(runs):
        ref, cur = profiles(correlated(rng, ref_rows, 0.7, 2), correlated(rng, cur_rows, 0.7, 2))
        p_values.append(check_multivariate(ref, cur, policy=policy)[0].p_value)
    return np.array(p_values)


def test_pca_p_values_are_calibrated_on_same_distribution_data():
    p_values = _false_alarms("pca_reconstruction", 80, 600, 300, seed=14)
    assert np.count_nonzero(p_values < 0.01) <= 3  # expect 0.8; 4+ has p < 0.01
    assert 0.02 <= np.mean(p_values < 0.1) <= 0.2
    assert np.median(p_values) > 0.3


def test_the_classifier_rarely_alarms_on_same_distribution_data():
    p_values = _false_alarms("domain_classifier", 8, 300, 150, seed=15)
    assert np.count_nonzero(p_values < 0.01) <= 1
    assert np.median(p_values) > 0.3


def test_a_huge_window_with_a_negligible_correlation_change_is_not_flagged_by_pca():
    rng = np.random.default_rng(16)
    ref, cur = profiles(correlated(rng, 40_000, 0.9, 3), correlated(rng, 200_000, 0.8, 3))
    policy = MultivariatePolicy(checks=("pca_reconstruction",))
    (pca,) = check_multivariate(ref, cur, policy=policy)
    assert pca.p_value < 0.01  # the 10,000-row samples do see the weaker correlation …
    assert 0 < pca.effect_size < pca.threshold == 0.1  # … but the error rose by < 10%
    assert pca.verdict is Verdict.OK
    assert (pca.details["current_rows"], pca.details["current_sample"]) == (200_000, 10_000)


def test_a_huge_window_with_a_negligible_shift_is_not_flagged_by_the_classifier():
    rng = np.random.default_rng(17)
    ref, cur = profiles(normals(rng, 40_000, 5), normals(rng, 200_000, 5, {"x2": 0.15}))
    policy = MultivariatePolicy(checks=("domain_classifier",))
    (classifier,) = check_multivariate(ref, cur, policy=policy)
    assert classifier.p_value < 0.05  # significance alone would (nearly) flag it …
    assert 0 < classifier.effect_size < classifier.threshold == pytest.approx(0.05)
    assert classifier.verdict is Verdict.OK
    assert classifier.details["top_features"][0]["column"] == "x2"


def test_results_are_deterministic_under_a_seed():
    rng = np.random.default_rng(17)
    ref, cur = profiles(correlated(rng, 1500, 0.5, 3), correlated(rng, 1500, 0.3, 3))
    first = [f.to_dict() for f in check_multivariate(ref, cur, window=2)]
    again = [f.to_dict() for f in check_multivariate(ref, cur, window=2)]
    assert first == again
    other = check_multivariate(ref, cur, policy=MultivariatePolicy(seed=5))
    assert [f.verdict for f in other] == [Verdict(f["verdict"]) for f in first]
    assert other[1].statistic == pytest.approx(first[1]["statistic"], abs=0.03)
