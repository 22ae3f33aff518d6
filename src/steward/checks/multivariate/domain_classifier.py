"""Domain classifier: can a model tell the current sample from the reference sample?

The reference sample is labelled 0 and the current sample 1 (the larger side subsampled to
the smaller, at most ``classifier_rows`` each); a small gradient-boosted model scores every
row out of fold (stratified k-fold) and the statistic is the out-of-fold AUC. The p-value is
the one-sided Mann–Whitney test on those scores (its U is ``AUC·n₀·n₁``), corrected for the
dependence between folds (see :mod:`steward.checks.multivariate._auc`). The features that
separate the sets most are found by permuting each column in the held-out rows and
measuring the AUC lost. The model sees the encoder's compact form (one column per source
column, categories as native categorical splits, missing values as NaN): on mixed data it
fits in about half the time of the one-hot form, and names source columns directly.

The folds run one after the other on one OpenMP thread. OpenMP teams stall badly on busy
cores (a 0.5 s fit took 15 s beside other work), and scikit-learn fits in parallel Python
threads race on the process-wide warning filters (``warnings.catch_warnings`` is not
thread-safe before Python 3.14), so a predictable single thread wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from steward.checks.multivariate._auc import auc, cross_validated_p_value
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

CHECK = "drift.domain_classifier"
# Shallow, regularised trees: weak shifts are found more reliably (and at lower cost) than by
# deeper boosting, which fits noise between the two samples; interactions of two or three
# features (a flipped correlation) still fit in a depth-3 tree.
MAX_DEPTH = 3
MAX_LEAF_NODES = 7
MAX_BINS = 32
L2_REGULARIZATION = 1.0
MIN_LEAF = 100  # rows per leaf, lowered to 1/40 of the training rows on small samples


@dataclass(frozen=True)
class Fold:
    """One fold's rows, its fitted model, and the model's scores on its held-out rows."""

    train: np.ndarray
    test: np.ndarray
    model: HistGradientBoostingClassifier
    scores: np.ndarray


def run(samples: Samples, policy: MultivariatePolicy) -> Finding:
    reason = _untestable(samples, policy)
    if reason:
        return unreliable(CHECK, reason, samples.counts())
    rng = np.random.default_rng(policy.seed)
    rows, labels = balanced(
        samples.reference_codes, samples.current_codes, policy.classifier_rows, rng
    )
    try:
        folds = fit_folds(rows, labels, samples.encoder.categorical_, policy)
    except ValueError as exc:
        return unreliable(CHECK, f"the classifier could not be fitted: {exc}", samples.counts())
    scores = out_of_fold(folds, len(labels))
    statistic = auc(scores, labels)
    p_value = cross_validated_p_value(scores, labels, len(folds))
    features = separating_features(
        folds, rows, labels, scores, samples.encoder.columns_, policy, rng
    )
    details = {
        **samples.counts(),
        "min_auc": policy.min_auc,
        "effect": "AUC - 0.5",
        "rows_per_side": int(labels.sum()),
        "folds": len(folds),
        "iterations": policy.classifier_iterations,
        "p_value_source": "mann_whitney_fold_corrected",
        "top_features": features[: policy.top_features],
    }
    outcome = Outcome(
        CHECK,
        statistic,
        p_value,
        statistic - 0.5,
        policy.min_auc - 0.5,
        policy.alpha,
        _summary(statistic, features, policy),
        details,
    )
    return verdict_finding(outcome)


def _summary(statistic: float, features: list[dict[str, Any]], policy: MultivariatePolicy) -> str:
    summary = f"out-of-fold AUC {statistic:.3f}"
    named = ", ".join(str(f["column"]) for f in features[:3] if f["share"] > 0)
    if statistic >= policy.min_auc and named:
        summary += f"; separated most by {named}"
    return summary


def _untestable(samples: Samples, policy: MultivariatePolicy) -> str | None:
    if samples.reference_codes.shape[1] == 0:
        return "no encoded features"
    smaller = min(len(samples.reference), len(samples.current))
    if smaller < max(policy.min_rows, policy.classifier_folds):
        return (
            f"the samples have {len(samples.reference)} reference and "
            f"{len(samples.current)} current rows; the domain classifier needs "
            f"{max(policy.min_rows, policy.classifier_folds)} on each side"
        )
    return None


def balanced(
    reference: np.ndarray, current: np.ndarray, cap: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Equal numbers of reference (label 0) and current (label 1) rows, at most ``cap`` each."""
    size = min(len(reference), len(current), cap)
    ref = reference[np.sort(rng.choice(len(reference), size, replace=False))]
    cur = current[np.sort(rng.choice(len(current), size, replace=False))]
    return np.vstack([ref, cur]), np.repeat([0, 1], size)


def fit_folds(
    rows: np.ndarray, labels: np.ndarray, categorical: np.ndarray, policy: MultivariatePolicy
) -> list[Fold]:
    """Stratified k-fold: one model per fold, scored on the rows it did not see."""
    splitter = StratifiedKFold(policy.classifier_folds, shuffle=True, random_state=policy.seed)
    folds = []
    with threadpool_limits(limits=1, user_api="openmp"):  # this thread only
        for train, test in splitter.split(rows, labels):
            model = _model(policy, categorical, len(train)).fit(rows[train], labels[train])
            folds.append(Fold(train, test, model, model.predict_proba(rows[test])[:, 1]))
    return folds


def _model(
    policy: MultivariatePolicy, categorical: np.ndarray, rows: int
) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=policy.classifier_iterations,
        learning_rate=policy.classifier_learning_rate,
        max_depth=MAX_DEPTH,
        max_leaf_nodes=MAX_LEAF_NODES,
        max_bins=max(MAX_BINS, policy.max_categories + 1),  # category codes must fit
        categorical_features=categorical,
        l2_regularization=L2_REGULARIZATION,
        min_samples_leaf=max(5, min(MIN_LEAF, rows // 40)),
        early_stopping=False,
        random_state=policy.seed,
    )


def out_of_fold(folds: list[Fold], rows: int) -> np.ndarray:
    scores = np.empty(rows)
    for fold in folds:
        scores[fold.test] = fold.scores
    return scores


def separating_features(
    folds: list[Fold],
    rows: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    columns: list[str],
    policy: MultivariatePolicy,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Columns by the out-of-fold AUC lost when each is permuted, with each one's share.

    Each fold's model scores copies of (up to ``importance_rows`` in all of) its held-out
    rows, one copy per column with that column's values shuffled.
    """
    per_fold = max(1, policy.importance_rows // len(folds))
    probes = [np.sort(rng.choice(f.test, min(per_fold, len(f.test)), replace=False)) for f in folds]
    probe_labels = np.concatenate([labels[p] for p in probes])
    if len(np.unique(probe_labels)) < 2:
        return []
    with threadpool_limits(limits=1, user_api="openmp"):
        permuted = np.hstack(
            [_permuted_scores(f.model, rows[p], rng) for f, p in zip(folds, probes, strict=True)]
        )
    baseline = auc(scores[np.concatenate(probes)], probe_labels)
    losses = np.array([max(0.0, baseline - auc(shuffled, probe_labels)) for shuffled in permuted])
    return ranked(losses, columns)


def ranked(losses: np.ndarray, columns: list[str]) -> list[dict[str, Any]]:
    """Columns by AUC lost, largest first, each with its share of the total loss."""
    total = losses.sum()
    shares = losses / total if total > 0 else np.zeros_like(losses)
    order = sorted(range(len(columns)), key=lambda i: (-losses[i], columns[i]))
    return [
        {"column": columns[i], "importance": float(losses[i]), "share": float(shares[i])}
        for i in order
    ]


def _permuted_scores(
    model: HistGradientBoostingClassifier, probe: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Scores of ``probe`` with each column shuffled in turn: shape (columns, rows)."""
    columns = probe.shape[1]
    copies = np.repeat(probe[None], columns, axis=0)
    for column in range(columns):
        copies[column, :, column] = probe[rng.permutation(len(probe)), column]
    scores = model.predict_proba(copies.reshape(-1, columns))[:, 1]
    return scores.reshape(columns, len(probe))


register(
    MultivariateCheck(
        "domain_classifier",
        run,
        "Out-of-fold AUC of a classifier telling current rows from reference rows.",
    )
)
