"""Domain classifier: can a model tell the current sample from the reference sample?

The reference sample is labelled 0 and the current sample 1 (the larger side subsampled to
the smaller, at most ``classifier_rows`` each); a small gradient-boosted model scores every
row out of fold (stratified k-fold) and the statistic is the out-of-fold AUC. The p-value is
the one-sided Mann–Whitney test on those scores (its U is ``AUC·n₀·n₁``), corrected for the
dependence between folds (see :mod:`steward.checks.multivariate._auc`). The features that
separate the sets most are found by permuting each source column (all its encoded columns
together) in the held-out rows and measuring the AUC lost.

Each fold's model uses one OpenMP thread and the folds run side by side on a small thread
pool: OpenMP teams spread over busy cores stall badly, independent folds do not.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
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
    """One fold's held-out rows, the rows used for importance, and their permutations."""

    train: np.ndarray
    test: np.ndarray
    probe: np.ndarray  # positions within ``test`` used for permutation importance
    shuffles: np.ndarray  # (groups, len(probe)): a row permutation of the probe per group


@dataclass(frozen=True)
class FoldScores:
    test: np.ndarray
    scores: np.ndarray
    permuted: np.ndarray  # (groups, len(probe)) scores with one source column permuted


def run(samples: Samples, policy: MultivariatePolicy) -> Finding:
    reason = _untestable(samples, policy)
    if reason:
        return unreliable(CHECK, reason, samples.counts())
    rng = np.random.default_rng(policy.seed)
    rows, labels = balanced(samples.reference, samples.current, policy.classifier_rows, rng)
    folds = _folds(labels, samples.encoder.groups_, policy, rng)
    try:
        results = _score_folds(rows, labels, folds, samples.encoder.groups_, policy)
    except ValueError as exc:
        return unreliable(CHECK, f"the classifier could not be fitted: {exc}", samples.counts())
    scores = np.empty(len(labels))
    for result in results:
        scores[result.test] = result.scores
    statistic = auc(scores, labels)
    features = separating_features(results, folds, labels, samples.encoder.columns_)
    details = {
        **samples.counts(),
        "min_auc": policy.min_auc,
        "rows_per_side": int(labels.sum()),
        "folds": len(folds),
        "iterations": policy.classifier_iterations,
        "p_value_source": "mann_whitney_fold_corrected",
        "top_features": features[: policy.top_features],
    }
    outcome = Outcome(
        CHECK,
        statistic,
        cross_validated_p_value(scores, labels, len(folds)),
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
    if samples.reference.shape[1] == 0:
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


def _folds(
    labels: np.ndarray, groups: np.ndarray, policy: MultivariatePolicy, rng: np.random.Generator
) -> list[Fold]:
    splitter = StratifiedKFold(policy.classifier_folds, shuffle=True, random_state=policy.seed)
    per_fold = max(1, policy.importance_rows // policy.classifier_folds)
    folds = []
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        probe = np.sort(rng.choice(len(test), min(per_fold, len(test)), replace=False))
        shuffles = np.array([rng.permutation(len(probe)) for _ in range(groups.max() + 1)])
        folds.append(Fold(train, test, probe, shuffles))
    return folds


def _score_folds(
    rows: np.ndarray,
    labels: np.ndarray,
    folds: list[Fold],
    groups: np.ndarray,
    policy: MultivariatePolicy,
) -> list[FoldScores]:
    workers = min(len(folds), os.cpu_count() or 1)

    def one(fold: Fold) -> FoldScores:
        with threadpool_limits(limits=1, user_api="openmp"):
            return _score_fold(rows, labels, fold, groups, policy)

    if workers == 1:
        return [one(fold) for fold in folds]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, folds))


def _score_fold(
    rows: np.ndarray, labels: np.ndarray, fold: Fold, groups: np.ndarray, policy: MultivariatePolicy
) -> FoldScores:
    model = HistGradientBoostingClassifier(
        max_iter=policy.classifier_iterations,
        learning_rate=policy.classifier_learning_rate,
        max_depth=MAX_DEPTH,
        max_leaf_nodes=MAX_LEAF_NODES,
        max_bins=MAX_BINS,
        l2_regularization=L2_REGULARIZATION,
        min_samples_leaf=max(5, min(MIN_LEAF, len(fold.train) // 40)),
        early_stopping=False,
        random_state=policy.seed,
    ).fit(rows[fold.train], labels[fold.train])
    held_out = rows[fold.test]
    permuted = _permuted_copies(held_out[fold.probe], fold.shuffles, groups)
    scores = model.predict_proba(np.vstack([held_out, permuted]))[:, 1]
    return FoldScores(
        fold.test,
        scores[: len(held_out)],
        scores[len(held_out) :].reshape(len(fold.shuffles), len(fold.probe)),
    )


def _permuted_copies(probe: np.ndarray, shuffles: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """One copy of the probe rows per source column, that column's features permuted."""
    copies = np.repeat(probe[None], len(shuffles), axis=0)
    for group, order in enumerate(shuffles):
        columns = groups == group
        copies[group][:, columns] = probe[order][:, columns]
    return copies.reshape(-1, probe.shape[1])


def separating_features(
    results: list[FoldScores], folds: list[Fold], labels: np.ndarray, columns: list[str]
) -> list[dict[str, Any]]:
    """Source columns by the AUC lost when they are permuted, with each one's share."""
    probe_labels = np.concatenate([labels[f.test[f.probe]] for f in folds])
    if len(np.unique(probe_labels)) < 2:
        return []
    base = np.concatenate([r.scores[f.probe] for r, f in zip(results, folds, strict=True)])
    permuted = np.concatenate([r.permuted for r in results], axis=1)
    baseline = auc(base, probe_labels)
    losses = np.array([max(0.0, baseline - auc(p, probe_labels)) for p in permuted])
    total = losses.sum()
    shares = losses / total if total > 0 else np.zeros_like(losses)
    order = sorted(range(len(columns)), key=lambda i: (-losses[i], columns[i]))
    return [
        {"column": columns[i], "importance": float(losses[i]), "share": float(shares[i])}
        for i in order
    ]


register(
    MultivariateCheck(
        "domain_classifier",
        run,
        "Out-of-fold AUC of a classifier telling current rows from reference rows.",
    )
)
