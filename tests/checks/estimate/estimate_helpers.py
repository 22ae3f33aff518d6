"""Synthetic streams whose truth is known, for the estimator tests.

``binary`` and ``multiclass`` draw every label from the model's own scores (a perfectly
calibrated model), so the expected metrics are known; ``concept`` bends P(y | score) away
from the scores. ``regression`` has noise whose size grows with ``|x1|``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.schema import Schema, infer_schema

SEGMENTS = np.array(["a", "b", "c"])


def binary(
    n: int,
    rng: np.random.Generator,
    shift: float = 0.0,
    concept: float = 0.0,
    labels: tuple[str, str] = ("0", "1"),
) -> pa.Table:
    """Features, a calibrated score, its 0.5-threshold prediction and a label drawn from it.

    ``shift`` moves x1 (covariate shift, P(y | x) unchanged); ``concept`` moves P(y | x)
    away from the score (the true log-odds become ``(1 - concept) · logit + 2 · concept``).
    """
    x1, x2 = rng.normal(shift, 1, n), rng.normal(0, 1, n)
    segment = SEGMENTS[rng.integers(0, 3, n)]
    logit = -0.5 + 1.4 * x1 - 0.8 * x2 + 0.5 * (segment == "b")
    score = 1 / (1 + np.exp(-logit))
    truth = 1 / (1 + np.exp(-((1 - concept) * logit + 2.0 * concept)))
    drawn = rng.random(n) < truth
    names = np.array(labels)
    return pa.table(
        {
            "x1": x1,
            "x2": x2,
            "segment": segment,
            "score": score.round(6),
            "prediction": names[(score >= 0.5).astype(int)],
            "target": names[drawn.astype(int)],
        }
    )


def multiclass(
    n: int,
    rng: np.random.Generator,
    shift: float = 0.0,
    labels: tuple[str, ...] = ("cat", "dog", "fish"),
) -> pa.Table:
    """Three string classes, one ``proba_<label>`` column each, labels drawn from them."""
    x1, x2 = rng.normal(shift, 1, n), rng.normal(0, 1, n)
    logits = np.column_stack([1.2 * x1, -0.8 * x1 + 0.9 * x2, 0.3 - 0.6 * x2])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    drawn = (rng.random(n)[:, None] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
    names = np.array(labels)
    columns = {f"proba_{label}": p[:, k].round(6) for k, label in enumerate(labels)}
    return pa.table(
        {
            "x1": x1,
            "x2": x2,
            **columns,
            "prediction": names[p.argmax(axis=1)],
            "target": names[drawn],
        }
    )


def regression(
    n: int, rng: np.random.Generator, shift: float = 0.0, noise: float = 1.0
) -> pa.Table:
    """A fixed linear prediction of a target whose noise grows with |x1| (and ``noise``)."""
    x1, x2 = rng.normal(shift, 1, n), rng.uniform(0, 1, n)
    site = SEGMENTS[rng.integers(0, 3, n)]
    mean = 2.0 * x1 + np.sin(3 * x2) + 0.5 * (site == "b")
    sd = noise * (0.2 + 0.8 * np.abs(x1) + 0.4 * (site == "c"))
    prediction = 2.0 * x1 + 0.6 + 0.5 * (site == "b")
    return pa.table(
        {
            "x1": x1,
            "x2": x2,
            "site": site,
            "prediction": prediction,
            "target": mean + rng.normal(0, 1, n) * sd,
        }
    )


def schema_of(table: pa.Table) -> Schema:
    """Roles by name; a target with scores is categorical (``"0"``/``"1"`` parse as numbers)."""
    scores = [n for n in table.column_names if n == "score" or n.startswith("proba_")]
    overrides = {"target": {"kind": "categorical"}} if scores else {}
    if "segment" in table.column_names:
        overrides["segment"] = {"kind": "categorical"}
    prediction = "prediction" if "prediction" in table.column_names else None
    return infer_schema(
        table, target="target", prediction=prediction, score=scores or None, overrides=overrides
    )


def hide_labels(table: pa.Table, keep: float, rng: np.random.Generator) -> pa.Table:
    """``table`` with the target missing except on a random ``keep`` share of rows."""
    mask = pa.array(rng.random(table.num_rows) < keep)
    target = table.column("target")
    hidden = pc.if_else(mask, target, pa.scalar(None, target.type))
    return table.set_column(table.column_names.index("target"), "target", hidden)


def by_check(findings: list) -> dict:
    return {f.check.split(".", 1)[1]: f for f in findings}
