"""Simulated model outputs with labels, and the schemas that name their roles."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from steward.profile import Profile, profile
from steward.schema import Schema, infer_schema

ANIMALS = ("bird", "cat", "dog")


def binary_table(n: int, seed: int = 0, *, shift: float = 1.2) -> pa.Table:
    """A 0/1 label (40% positives), a miscalibrated score and the thresholded prediction."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.int64)
    score = 1.0 / (1.0 + np.exp(-1.6 * rng.normal(shift * y - shift / 2, 1.0)))
    return pa.table({"y": y, "score": score, "pred": (score >= 0.5).astype(np.int64)})


def binary_schema() -> Schema:
    return infer_schema(binary_table(500), target="y", score="score", prediction="pred")


def multiclass_table(n: int, seed: int = 0, *, strength: float = 1.5) -> pa.Table:
    """String labels ``bird``/``cat``/``dog``, softmax scores per class, argmax predictions."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    logits = rng.normal(0.0, 1.0, (n, 3))
    logits[np.arange(n), y] += strength
    proba = np.exp(0.8 * logits)
    proba /= proba.sum(axis=1, keepdims=True)
    labels = np.array(ANIMALS)[y]
    scores = {f"score_{a}": proba[:, i] for i, a in enumerate(ANIMALS)}
    return pa.table({"animal": labels, **scores, "pred": np.array(ANIMALS)[proba.argmax(1)]})


def multiclass_schema() -> Schema:
    return infer_schema(
        multiclass_table(500),
        target="animal",
        prediction="pred",
        score=[f"score_{a}" for a in ANIMALS],
    )


def regression_table(n: int, seed: int = 0, *, noise: float = 1.0) -> pa.Table:
    """A positive target and a noisy prediction of it (normal errors, small bias)."""
    rng = np.random.default_rng(seed)
    y = rng.gamma(3.0, 2.0, n) + 1.0
    return pa.table({"target": y, "prediction": y + rng.normal(0.2, noise, n)})


def regression_schema() -> Schema:
    return infer_schema(regression_table(500), target="target", prediction="prediction")


def with_missing_labels(table: pa.Table, column: str, share: float, seed: int = 0) -> pa.Table:
    """The table with ``share`` of the labels in ``column`` set to null."""
    rng = np.random.default_rng(seed)
    mask = pa.array(rng.random(table.num_rows) < share)
    values = table.column(column)
    nulled = pa.compute.if_else(mask, pa.scalar(None, values.type), values)
    return table.set_column(table.column_names.index(column), column, nulled)


def profiled(table: pa.Table, schema: Schema, reference: Profile | None = None) -> Profile:
    return profile(table, schema, reference=reference)
