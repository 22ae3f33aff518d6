"""Detectors fitted once per session on a mixed reference table."""

from __future__ import annotations

import pytest
from outlier_data import clean

from steward.checks.outliers import (
    ExtremeValueDetector,
    IsolationForestDetector,
    MahalanobisDetector,
    OutlierDetector,
)
from steward.schema import Schema, infer_schema


@pytest.fixture(scope="session")
def reference():
    return clean(6000, seed=0)


@pytest.fixture(scope="session")
def schema(reference) -> Schema:
    return infer_schema(reference)


@pytest.fixture(scope="session")
def fitted(reference, schema) -> dict[str, OutlierDetector]:
    """Every registered detector, fitted (MCD on 500 rows keeps the suite fast)."""
    detectors = [
        ExtremeValueDetector(),
        IsolationForestDetector(),
        MahalanobisDetector(max_fit_rows=500),
    ]
    return {d.name: d.fit(reference, schema, fpr=0.01) for d in detectors}
