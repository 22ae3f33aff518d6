"""``fit_estimator`` picks the estimator the schema calls for."""

from __future__ import annotations

import numpy as np
import pytest
from estimate_helpers import binary, multiclass, regression, schema_of

from steward.checks.estimate import CBPE, DLE, REGISTRY, fit_estimator
from steward.datasets import credit_stream
from steward.schema import infer_schema


def test_a_categorical_target_with_scores_gets_cbpe() -> None:
    for table in (binary(500, np.random.default_rng(0)), multiclass(500, np.random.default_rng(0))):
        estimator = fit_estimator(table, schema_of(table))
        assert isinstance(estimator, CBPE)
        assert hasattr(estimator, "calibrator_")


def test_a_numeric_target_with_a_prediction_gets_dle() -> None:
    table = regression(400, np.random.default_rng(0))
    estimator = fit_estimator(table, schema_of(table))
    assert isinstance(estimator, DLE)
    assert set(estimator.losses_) == {"mae", "rmse"}


def test_the_credit_stream_gets_cbpe_on_its_boolean_like_target() -> None:
    stream = credit_stream(reference_rows=3000, weekly_rows=500, weeks=1)
    schema = infer_schema(
        stream.reference, target="defaulted", id="application_id", ignore=["label_time"]
    )
    estimator = fit_estimator(stream.reference, schema)
    assert isinstance(estimator, CBPE)
    assert estimator.classes_.labels == ("0", "1")
    found = estimator.estimate(stream.production, window_index=0)
    assert [f.check for f in found] == [f"estimate.{m}" for m in estimator.metrics]


@pytest.mark.parametrize(
    "drop", [["target"], ["score"], ["prediction"]], ids=["no target", "no scores", "no pred"]
)
def test_none_when_the_schema_allows_no_estimate(drop: list[str]) -> None:
    table = binary(300, np.random.default_rng(1))
    schema = schema_of(table)
    roles = {name: {"role": "ignored"} for name in drop}
    if drop == ["prediction"]:  # CBPE derives predictions from scores: still estimable
        assert isinstance(fit_estimator(table, schema.override(**roles)), CBPE)
        return
    assert fit_estimator(table, schema.override(**roles)) is None


def test_a_regressor_without_a_prediction_gets_none() -> None:
    table = regression(300, np.random.default_rng(2))
    assert fit_estimator(table, schema_of(table).override(prediction={"role": "ignored"})) is None


def test_every_registered_metric_names_an_estimate_check() -> None:
    assert sorted(REGISTRY) == ["accuracy", "f1", "mae", "precision", "recall", "rmse", "roc_auc"]
    for metric in REGISTRY.values():
        assert metric.check_name == f"estimate.{metric.name}"
        assert metric.method in ("cbpe", "dle")
