"""Optional SHAP summaries per segment: mean |SHAP value| of each feature.

Only when the ``shap`` package imports (it is an optional extra) and a model is given;
otherwise :func:`shap_summary` returns ``None`` and the caller leaves SHAP out. When SHAP
itself fails on the model, a warning says why and SHAP is left out too. SHAP is
model-agnostic here (``shap.Explainer`` over ``model.predict``), so it runs on a small
sample of the current rows.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pyarrow as pa

from steward.checks.segments._matrix import sample
from steward.checks.segments._values import segment_values
from steward.schema import Role, Schema

SHAP_ROWS = 300
ALL = "(all rows)"


def shap_summary(
    model: Any, current: pa.Table, schema: Schema, features: list[str], seed: int = 0
) -> dict[str, dict[str, float]] | None:
    """``{feature: {"(all rows)": x, "region == 'east'": y, …}}``, or None without shap."""
    if model is None or not hasattr(model, "predict"):
        return None
    try:
        import shap
    except ImportError:
        return None
    rows = sample(current, SHAP_ROWS, seed)
    frame = rows.select(features).to_pandas()
    try:
        explanation = shap.Explainer(model.predict, frame)(frame)
        magnitude = _per_feature(np.abs(np.asarray(explanation.values, dtype=np.float64)))
    except Exception as exc:  # optional extra over a user's model: never fail the ranking
        warnings.warn(f"SHAP summaries skipped: {type(exc).__name__}: {exc}", stacklevel=3)
        return None
    groups = {ALL: np.ones(rows.num_rows, dtype=bool), **_segment_groups(rows, schema)}
    return {
        name: {
            label: float(magnitude[mask, j].mean()) for label, mask in groups.items() if mask.any()
        }
        for j, name in enumerate(features)
    }


def _per_feature(values: np.ndarray) -> np.ndarray:
    """Rows × features, averaging over classes when SHAP returns one slice per class."""
    return values.mean(axis=2) if values.ndim == 3 else values


def _segment_groups(rows: pa.Table, schema: Schema) -> dict[str, np.ndarray]:
    groups: dict[str, np.ndarray] = {}
    for column in schema.with_role(Role.SEGMENT):
        if column.name not in rows.column_names:
            continue
        values = segment_values(rows.column(column.name), column.name)
        for code in range(len(values.values)):
            groups[values.label(code)] = values.codes == code
    return groups
