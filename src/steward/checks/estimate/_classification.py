"""Classification metrics from class probabilities: expected, realised and simulated.

One formula serves all three. Given a weight ``W[i, k]`` that row ``i`` belongs to class
``k`` — calibrated probabilities for the *expected* metric, the one-hot truth for the
*realised* one, simulated labels for the *band* — the confusion matrix is
``C[k, l] = Σ_i W[i, k] · [ŷ_i = l]``, and accuracy, precision, recall and F1 follow (binary:
the positive class; multiclass: the unweighted mean over classes, every reference class
counted; 0 where a denominator is 0, as scikit-learn does).

ROC AUC over the ranking of the raw scores with soft labels ``w`` is the expected share of
correctly ordered (positive, negative) pairs, ``Σ_{i≠j} w_i (1 − w_j) [s_i > s_j]`` (ties
count one half) over ``Σ_{i≠j} w_i (1 − w_j)``; with 0/1 weights it is exactly the usual AUC.
Multiclass AUC is the macro one-vs-rest mean over the classes' own score columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from steward.checks.estimate._labels import Classes

_CELLS_PER_BATCH = 2_000_000


@dataclass(frozen=True)
class Rows:
    """What the metrics need of a set of rows besides their labels."""

    predicted: np.ndarray  # (n,) class index of each prediction
    scores: np.ndarray  # (n, scored classes) raw scores
    classes: Classes

    def subset(self, mask: np.ndarray) -> Rows:
        return Rows(self.predicted[mask], self.scores[mask], self.classes)

    @property
    def n(self) -> int:
        return int(self.predicted.size)


def expected(probs: np.ndarray, rows: Rows, names: tuple[str, ...]) -> dict[str, float]:
    """Each metric's expected value when row ``i`` has class ``k`` with ``probs[i, k]``."""
    onehot = _onehot(rows.predicted, probs.shape[1])
    tp = (probs * onehot).sum(axis=0)[None, :]
    actual = probs.sum(axis=0)[None, :]
    auc = None
    if "roc_auc" in names:
        columns = [
            soft_auc(probs[:, k], rows.scores[:, j]) for j, k in enumerate(rows.classes.scored)
        ]
        auc = np.array([columns])
    values = _from_counts(tp, onehot.sum(axis=0), actual, rows.n, auc, rows.classes, names)
    return {name: float(v[0]) for name, v in values.items()}


def realised(truth: np.ndarray, rows: Rows, names: tuple[str, ...]) -> dict[str, float]:
    """Each metric on the true class indices ``truth``."""
    return expected(_onehot(truth, len(rows.classes.labels)), rows, names)


def simulated(
    probs: np.ndarray,
    rows: Rows,
    names: tuple[str, ...],
    draws: int,
    rng: np.random.Generator,
    shares: bool = False,
) -> dict[str, np.ndarray]:
    """Each metric on ``draws`` label sets drawn row by row from ``probs`` (vectorised).

    With ``shares``, also each class's share of the rows (``share:<index>``).
    """
    ranks = np.column_stack([rankdata(rows.scores[:, j]) for j in range(rows.scores.shape[1])])
    onehot = _onehot(rows.predicted, probs.shape[1])
    batch = max(1, min(draws, _CELLS_PER_BATCH // max(rows.n, 1)))
    parts = []
    for start in range(0, draws, batch):
        drawn = _draw(probs, min(batch, draws - start), rng)
        parts.append(_drawn_metrics(drawn, onehot, ranks, rows, names, shares))
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def shares(weights: np.ndarray) -> dict[str, float]:
    """Each class's expected share of the rows, keyed as :func:`simulated` keys them."""
    return {f"share:{k}": float(v) for k, v in enumerate(weights.mean(axis=0))}


def onehot(index: np.ndarray, classes: int) -> np.ndarray:
    """Rows of zeros with a one at ``index`` (none where the index is not a class)."""
    return _onehot(index, classes)


def soft_auc(weights: np.ndarray, scores: np.ndarray) -> float:
    """AUC of ``scores`` when row ``i`` is positive with probability ``weights[i]``."""
    order = np.argsort(scores, kind="stable")
    s, w = scores[order], weights[order]
    if s.size < 2:
        return float("nan")
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos, neg = np.add.reduceat(w, starts), np.add.reduceat(1.0 - w, starts)
    own = w * (1.0 - w)
    neg_below = np.cumsum(neg) - neg
    pairs = (pos * neg_below).sum() + 0.5 * ((pos * neg).sum() - own.sum())
    total = w.sum() * (1.0 - w).sum() - own.sum()
    return float(pairs / total) if total > 1e-12 else float("nan")


def _draw(probs: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` × n class indices, row ``i`` drawn from ``probs[i]``."""
    u = rng.random((count, probs.shape[0]))
    cumulative = np.cumsum(probs, axis=1)
    drawn = np.zeros(u.shape, dtype=np.int64)
    for k in range(probs.shape[1] - 1):
        drawn += u >= cumulative[:, k]
    return drawn


def _drawn_metrics(
    drawn: np.ndarray,
    onehot: np.ndarray,
    ranks: np.ndarray,
    rows: Rows,
    names: tuple[str, ...],
    shares: bool,
) -> dict[str, np.ndarray]:
    classes = onehot.shape[1]
    hits = [(drawn == k).astype(np.float64) for k in range(classes)]
    tp = np.column_stack([hits[k] @ onehot[:, k] for k in range(classes)])
    actual = np.column_stack([h.sum(axis=1) for h in hits])
    auc = None
    if "roc_auc" in names:
        auc = np.column_stack(
            [_rank_auc(hits[k], ranks[:, j]) for j, k in enumerate(rows.classes.scored)]
        )
    out = _from_counts(tp, onehot.sum(axis=0), actual, rows.n, auc, rows.classes, names)
    if shares:
        out.update({f"share:{k}": actual[:, k] / rows.n for k in range(classes)})
    return out


def _rank_auc(hits: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Mann–Whitney AUC of each row of 0/1 ``hits`` (draws × n) over fixed ``ranks``."""
    positives = hits.sum(axis=1)
    negatives = hits.shape[1] - positives
    u = hits @ ranks - positives * (positives + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(positives * negatives > 0, u / (positives * negatives), np.nan)


def _from_counts(
    tp: np.ndarray,
    predicted: np.ndarray,
    actual: np.ndarray,
    n: int,
    auc: np.ndarray | None,
    classes: Classes,
    names: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Metrics from per-class true positives (draws × classes) and class totals."""
    per_class = {
        "precision": _ratio(tp, np.broadcast_to(predicted, tp.shape)),
        "recall": _ratio(tp, actual),
        "f1": _ratio(2 * tp, predicted + actual),
    }
    out = {"accuracy": tp.sum(axis=1) / n if n else np.full(tp.shape[0], np.nan)}
    for name, values in per_class.items():
        out[name] = values[:, classes.positive] if classes.binary else values.mean(axis=1)
    if auc is not None:
        out["roc_auc"] = _nanmean_rows(auc)
    return {name: out[name] for name in names}


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    safe = np.where(bottom > 0, bottom, 1.0)
    return np.where(bottom > 0, top / safe, 0.0)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    counts = np.isfinite(values).sum(axis=1)
    sums = np.where(np.isfinite(values), values, 0.0).sum(axis=1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _onehot(index: np.ndarray, classes: int) -> np.ndarray:
    out = np.zeros((index.size, classes), dtype=np.float64)
    known = (index >= 0) & (index < classes)
    out[np.flatnonzero(known), index[known]] = 1.0
    return out
