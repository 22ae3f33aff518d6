"""Pick and fit the estimator a schema calls for."""

from __future__ import annotations

import pyarrow as pa

from steward.checks.estimate._policy import EstimatePolicy
from steward.checks.estimate.cbpe import CBPE
from steward.checks.estimate.dle import DLE
from steward.schema import Kind, Role, Schema


def fit_estimator(
    reference: pa.Table, schema: Schema, *, policy: EstimatePolicy | None = None, seed: int = 0
) -> CBPE | DLE | None:
    """CBPE for a categorical or boolean target with scores, DLE for a numeric target with
    a prediction, fitted on ``reference``; ``None`` when the schema allows neither."""
    target = schema.first(Role.TARGET)
    if target is None:
        return None
    if target.kind in (Kind.CATEGORICAL, Kind.BOOLEAN) and schema.with_role(Role.SCORE):
        return CBPE(policy=policy, seed=seed).fit(reference, schema)
    if target.kind is Kind.NUMERIC and schema.first(Role.PREDICTION) is not None:
        return DLE(policy=policy, seed=seed).fit(reference, schema)
    return None
