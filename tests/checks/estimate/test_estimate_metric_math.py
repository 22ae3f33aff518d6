"""The metric formulas: realised equals scikit-learn, expected equals the simulations' mean."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from steward.checks.estimate import _classification as metrics
from steward.checks.estimate._classification import Rows
from steward.checks.estimate._common import jackknife_variance, joint_p_value, widened_band
from steward.checks.estimate._labels import MISSING, UNKNOWN, Classes, canonical, sort_labels

BINARY = Classes(("0", "1"), 1, ("score",))
NAMES = ("roc_auc", "accuracy", "precision", "recall", "f1")


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 6)), min_size=2, max_size=60))
def test_soft_auc_with_hard_labels_is_the_usual_auc(pairs: list[tuple[int, int]]) -> None:
    labels = np.array([p[0] for p in pairs], dtype=float)
    scores = np.array([p[1] for p in pairs], dtype=float)
    auc = metrics.soft_auc(labels, scores)
    if labels.min() == labels.max():
        assert np.isnan(auc)
    else:
        assert auc == pytest.approx(roc_auc_score(labels, scores))


@given(st.integers(0, 10_000))
def test_realised_metrics_match_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 80))
    score = rng.random(n).round(1)
    truth, predicted = rng.integers(0, 2, n), (score >= 0.5).astype(np.int64)
    got = metrics.realised(truth, Rows(predicted, score[:, None], BINARY), NAMES)
    kwargs = {"zero_division": 0}
    assert got["precision"] == pytest.approx(precision_score(truth, predicted, **kwargs))
    assert got["recall"] == pytest.approx(recall_score(truth, predicted, **kwargs))
    assert got["f1"] == pytest.approx(f1_score(truth, predicted, **kwargs))
    if truth.min() != truth.max():
        assert got["roc_auc"] == pytest.approx(roc_auc_score(truth, score))


def test_expected_metrics_are_the_mean_of_the_simulated_ones() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([1, 1, 1], 400)
    classes = Classes(("a", "b", "c"), None, ("a", "b", "c"))
    rows = Rows(probs.argmax(axis=1), probs, classes)
    expected = metrics.expected(probs, rows, NAMES)
    drawn = metrics.simulated(probs, rows, NAMES, 4000, rng, shares=True)
    for name in ("accuracy", "roc_auc", "recall"):
        assert drawn[name].mean() == pytest.approx(expected[name], abs=0.003)
    shares = metrics.shares(probs)
    for key, value in shares.items():
        assert drawn[key].mean() == pytest.approx(value, abs=0.002)


def test_labels_compare_as_strings_with_boolean_spellings() -> None:
    classes = Classes(("false", "true"), 1, ("score",))
    values = np.array(["true", "0", "Yes", None, "maybe", "false"], dtype=object)
    assert classes.index(values).tolist() == [1, 0, 1, MISSING, UNKNOWN, 0]
    assert canonical(True) == "true" and canonical(2.0) == "2" and canonical(3) == "3"
    assert sort_labels({"10", "9", "2"}) == ("2", "9", "10")
    assert sort_labels({"b", "a"}) == ("a", "b")


def test_the_jackknife_and_the_widened_band() -> None:
    folds = [{"m": 0.50}, {"m": 0.52}, {"m": 0.48}, {"m": 0.50}]
    assert jackknife_variance(folds)["m"] == pytest.approx(3 / 4 * 0.0008)
    drawn = np.random.default_rng(0).normal(0.5, 0.01, 2000)
    low, high = widened_band(drawn, 0.5, 0.0)
    wide_low, wide_high = widened_band(drawn, 0.5, 3 * 0.01**2)
    assert (wide_high - wide_low) == pytest.approx(2 * (high - low), rel=0.05)


def test_the_joint_p_value_is_uniform_under_the_null() -> None:
    rng = np.random.default_rng(1)
    drawn = {"a": rng.normal(0, 1, 1000), "b": rng.normal(0, 2, 1000)}
    centre = {"a": 0.0, "b": 0.0}
    p_values = [
        joint_p_value({"a": rng.normal(0, 1), "b": rng.normal(0, 2)}, centre, drawn, {}, rng)
        for _ in range(400)
    ]
    assert np.mean(np.array(p_values) < 0.05) == pytest.approx(0.05, abs=0.03)
    assert joint_p_value({"a": 5.0, "b": 0.0}, centre, drawn, {}, rng) < 0.01
