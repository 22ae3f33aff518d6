"""Performance findings: names, fields, and verdicts against the reference."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from performance_helpers import (
    binary_schema,
    binary_table,
    multiclass_schema,
    multiclass_table,
    regression_schema,
    regression_table,
    with_missing_labels,
)
from pydantic import ValidationError

from steward.checks.performance import (
    MetricRule,
    PerformancePolicy,
    check_performance,
    realised_metrics,
)
from steward.findings import Finding, Verdict
from steward.profile import profile
from steward.schema import infer_schema

CLASSIFIER = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "average_precision",
    "log_loss",
    "brier",
    "calibration_error",
]
REGRESSOR = ["mae", "rmse", "mape", "r2"]


def findings(reference: pa.Table, current: pa.Table, schema, **kwargs) -> list[Finding]:
    ref = profile(reference, schema)
    return check_performance(ref, profile(current, schema, reference=ref), **kwargs)


def by_name(found: list[Finding]) -> dict[str, Finding]:
    return {f.check.split(".", 1)[1]: f for f in found}


def test_one_finding_per_metric_after_the_label_coverage():
    found = findings(binary_table(3000), binary_table(1000, seed=1), binary_schema(), window=4)
    assert [f.check for f in found] == ["performance.label_coverage"] + [
        f"performance.{name}" for name in CLASSIFIER
    ]
    assert {f.window for f in found} == {4}
    assert {f.column for f in found} == {"y"}
    assert {f.family for f in found} == {"performance"}


def test_fields_of_a_metric_finding():
    ref_table, cur_table = binary_table(3000), binary_table(1000, seed=1)
    ref = profile(ref_table, binary_schema())
    cur = profile(cur_table, binary_schema(), reference=ref)
    accuracy = by_name(check_performance(ref, cur))["accuracy"]
    expected = realised_metrics(cur)["accuracy"]
    assert (accuracy.statistic, accuracy.lower, accuracy.upper) == (
        expected.value,
        expected.lower,
        expected.upper,
    )
    assert accuracy.threshold == realised_metrics(ref)["accuracy"].value
    assert accuracy.details["reference_value"] == accuracy.threshold
    assert accuracy.details["label_coverage"] == 1.0
    assert accuracy.details["labelled"] == 1000
    assert accuracy.details["higher_is_better"] is True
    assert accuracy.details["task"] == "binary"
    assert accuracy.verdict is Verdict.OK
    json.dumps(accuracy.to_dict())


def test_a_window_like_the_reference_is_ok():
    found = findings(binary_table(5000), binary_table(3000, seed=2), binary_schema())
    assert {f.verdict for f in found} == {Verdict.OK}


def test_a_degraded_model_fails():
    current = binary_table(3000, seed=3, shift=0.3)
    found = by_name(findings(binary_table(5000), current, binary_schema()))
    for name in ("accuracy", "roc_auc", "f1"):
        assert found[name].verdict is Verdict.FAIL, name
        assert found[name].upper < found[name].details["bar"]
        assert "whole band" in found[name].message
    assert found["log_loss"].verdict is Verdict.FAIL  # lower is better, relative bar
    assert found["log_loss"].lower > found["log_loss"].threshold * 1.1


def test_a_worse_value_whose_band_overlaps_the_bar_warns():
    reference = pa.table({"y": [1, 0] * 500, "pred": [1, 0] * 400 + [0, 1] * 100})  # 80%
    current = pa.table({"y": [1, 0] * 20, "pred": [1, 0] * 14 + [0, 1] * 6})  # 70%, 40 rows
    schema = infer_schema(reference, target="y", prediction="pred")
    accuracy = by_name(findings(reference, current, schema))["accuracy"]
    assert accuracy.statistic == pytest.approx(0.7)
    assert accuracy.details["bar"] == pytest.approx(0.75)
    assert accuracy.verdict is Verdict.WARN
    assert accuracy.lower < 0.75 < accuracy.upper


def test_regression_findings():
    found = findings(regression_table(3000), regression_table(2000, seed=1), regression_schema())
    assert [f.check for f in found][1:] == [f"performance.{name}" for name in REGRESSOR]
    assert {f.verdict for f in found} == {Verdict.OK}
    assert by_name(found)["mape"].details["higher_is_better"] is False
    worse = by_name(
        findings(regression_table(3000), regression_table(2000, 1, noise=3.0), regression_schema())
    )
    assert {worse[name].verdict for name in REGRESSOR} == {Verdict.FAIL}


def test_multiclass_findings_name_the_task():
    found = findings(multiclass_table(2000), multiclass_table(1000, seed=1), multiclass_schema())
    assert len(found) == 1 + len(CLASSIFIER)
    assert {f.details.get("task") for f in found} == {"multiclass"}


def test_without_labels_only_the_coverage_is_reported():
    current = with_missing_labels(binary_table(500, seed=1), "y", 1.0)
    found = findings(binary_table(1000), current, binary_schema(), window=2)
    assert len(found) == 1
    assert found[0].check == "performance.label_coverage"
    assert (found[0].statistic, found[0].window) == (0.0, 2)
    assert found[0].details == {"labelled": 0, "unlabelled": 500, "task": "binary"}


def test_partial_labels_are_reported_on_every_finding():
    current = with_missing_labels(binary_table(2000, seed=1), "y", 0.25, seed=3)
    found = findings(binary_table(3000), current, binary_schema())
    share = found[0].statistic
    assert 0.7 < share < 0.8
    assert {f.details["label_coverage"] for f in found[1:]} == {share}


def test_no_target_means_no_findings():
    table = pa.table({"x": np.arange(10.0)})
    assert check_performance(profile(table), profile(table)) == []


def test_a_reference_without_labels_has_nothing_to_compare_with():
    reference = with_missing_labels(binary_table(500), "y", 1.0)
    found = by_name(findings(reference, binary_table(500, seed=1), binary_schema()))
    accuracy = found["accuracy"]
    assert accuracy.threshold is None
    assert accuracy.verdict is Verdict.OK
    assert "no value to compare" in accuracy.message


def test_the_policy_sets_the_allowed_degradation():
    current = binary_table(3000, seed=3, shift=0.9)
    strict = PerformancePolicy(metrics={"roc_auc": {"max_drop": 0.0}})
    lenient = PerformancePolicy(metrics={"roc_auc": MetricRule(max_drop=0.5)})
    reference = binary_table(5000)
    assert (
        by_name(findings(reference, current, binary_schema(), policy=strict))["roc_auc"].verdict
        is Verdict.FAIL
    )
    assert (
        by_name(findings(reference, current, binary_schema(), policy=lenient))["roc_auc"].verdict
        is Verdict.OK
    )


def test_the_policy_can_turn_a_metric_off():
    policy = PerformancePolicy(metrics={"brier": {"enabled": False}})
    found = by_name(
        findings(binary_table(500), binary_table(500, 1), binary_schema(), policy=policy)
    )
    assert "brier" not in found
    assert "log_loss" in found


def test_relative_rules_keep_their_default_when_only_the_drop_changes():
    policy = PerformancePolicy(metrics={"mae": {"max_drop": 0.2}})
    assert policy.rule("mae") == MetricRule(max_drop=0.2, relative=True, enabled=True)
    assert policy.rule("mae").allowed(2.0) == pytest.approx(0.4)


def test_the_policy_rejects_unknown_metrics():
    with pytest.raises(ValidationError, match="unknown performance metric"):
        PerformancePolicy(metrics={"accuracy_score": {"max_drop": 0.1}})


def test_findings_are_reproducible():
    reference, current = binary_table(1000), binary_table(500, seed=1)
    first = [f.to_dict() for f in findings(reference, current, binary_schema())]
    again = [f.to_dict() for f in findings(reference, current, binary_schema())]
    assert first == again
