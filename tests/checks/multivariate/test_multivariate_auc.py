"""The rank AUC and the fold-corrected Mann–Whitney p-value."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from steward.checks.multivariate._auc import auc, cross_validated_p_value, mann_whitney_z


def test_auc_matches_scikit_learn_with_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, 300).astype(float)
    labels = rng.integers(0, 2, 300)
    assert auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))


def test_the_z_score_matches_scipy_and_the_p_value_is_deflated():
    from scipy import stats

    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 200)
    scores = rng.normal(size=400) + 0.3 * labels
    p_scipy = stats.mannwhitneyu(
        scores[labels == 1], scores[labels == 0], alternative="greater"
    ).pvalue
    assert stats.norm.sf(mann_whitney_z(scores, labels)) == pytest.approx(p_scipy, rel=1e-6)
    assert cross_validated_p_value(scores, labels, 5) > p_scipy  # less eager across folds
    z = mann_whitney_z(scores, labels)
    assert cross_validated_p_value(scores, labels, 5) == pytest.approx(stats.norm.sf(z / 1.5))


def test_degenerate_scores():
    labels = np.repeat([0, 1], 10)
    assert auc(np.ones(20), labels) == 0.5
    assert cross_validated_p_value(np.ones(20), labels, 5) == 0.5
    assert auc(np.arange(20.0), labels) == 1.0
