"""Worst-segment discovery: finds planted weak slices, and nothing where there is none."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from segments_helpers import classified, model_schema, regressed

from steward._exceptions import CheckError
from steward.checks.segments import find_worst_segments
from steward.findings import Verdict
from steward.schema import infer_schema

SEEDS = range(20)
NULL_SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_two_condition_slice_is_found_first(seed):
    table, planted = classified(seed)
    first = find_worst_segments(table, model_schema(table))[0]
    assert first.verdict is Verdict.FAIL
    assert sorted(first.details["conditions"]) == planted
    assert first.details["ratio"] == pytest.approx(4.0, rel=0.35)
    assert 0.04 < first.details["support"] < 0.06


def test_no_false_discoveries_on_null_data():
    runs_with_discovery = 0
    for seed in NULL_SEEDS:
        table, _ = classified(1000 + seed, weak=None)
        findings = find_worst_segments(table, model_schema(table))
        runs_with_discovery += findings[0].verdict is not Verdict.OK
    assert runs_with_discovery <= 0.1 * len(NULL_SEEDS)


def test_null_data_says_no_segment_is_worse():
    table, _ = classified(7, weak=None)
    (finding,) = find_worst_segments(table, model_schema(table))
    assert finding.verdict is Verdict.OK and finding.statistic is None
    tested = finding.details["slices_tested"]
    assert tested > 1000
    assert (
        finding.message == f"no segment is significantly worse ({tested:,} slices tested, FDR 5%)"
    )


@pytest.mark.parametrize("seed", range(5))
def test_one_condition_truth_is_reported_as_one_condition(seed):
    table, planted = classified(seed, weak="one", factor=3.0)
    findings = find_worst_segments(table, model_schema(table))
    assert findings[0].details["conditions"] == planted
    assert all(f.details["features"] != ["region", "x0"] for f in findings[1:])
    later = [c for f in findings[1:] for c in f.details["conditions"]]
    assert "region == 'west'" not in later


def test_finding_reports_slice_inside_outside_and_test():
    table, _ = classified(3)
    first = find_worst_segments(table, model_schema(table))[0]
    d = first.details
    assert first.check == "segment.worst" and first.column is None
    assert first.statistic == d["inside"] and first.threshold == d["outside"]
    assert first.lower < d["inside"] < first.upper
    assert d["test"] == "Fisher exact" and d["q_value"] < 1e-10 and first.p_value <= d["q_value"]
    assert d["rows"] == round(d["support"] * table.num_rows)
    assert d["rank"] == 1 and d["excluding"] == [] and d["features"] == ["x0", "region"]
    assert "x0 <=" in first.message and "region == 'east'" in first.message


def test_a_found_slice_is_not_reported_again_through_its_parents():
    table, _ = classified(4, factor=6.0)
    findings = find_worst_segments(table, model_schema(table))
    singles = [f.details["conditions"] for f in findings if len(f.details["conditions"]) == 1]
    assert ["region == 'east'"] not in singles
    assert all(
        f.details["excluding"][:1] == [findings[0].details["conditions"]] for f in findings[1:]
    )


def test_continuous_errors_use_welch():
    table, planted = regressed(2)
    first = find_worst_segments(table, model_schema(table))[0]
    assert sorted(first.details["conditions"]) == planted
    assert first.details["test"] == "Welch t"
    assert first.details["metric"] == "mean absolute error"
    assert first.details["ratio"] == pytest.approx(3.0, rel=0.3)


def test_continuous_null_finds_nothing():
    table, _ = regressed(5, weak=False)
    assert find_worst_segments(table, model_schema(table))[0].verdict is Verdict.OK


def test_given_errors_replace_target_and_prediction():
    table, planted = classified(6)
    errors = (table.column("target").to_numpy() != table.column("prediction").to_numpy()) * 1.0
    unlabelled = table.drop_columns(["target"])
    schema = infer_schema(unlabelled, prediction="prediction")
    first = find_worst_segments(unlabelled, schema, errors=errors)[0]
    assert sorted(first.details["conditions"]) == planted


def test_missing_errors_are_left_out():
    table, _ = classified(8)
    target = table.column("target").to_numpy().astype(float)
    target[::10] = np.nan
    masked = table.set_column(table.schema.get_field_index("target"), "target", pa.array(target))
    schema = model_schema(table)
    first = find_worst_segments(masked, schema)[0]
    assert first.details["features"] == ["x0", "region"]  # cut at the labelled rows' quantile
    assert first.details["rows"] / first.details["support"] == pytest.approx(9000)


def test_three_conditions_find_a_three_condition_slice():
    rng = np.random.default_rng(11)
    table, _ = classified(11, rows=20_000, factor=1.0)
    flag = table.column("flag").to_numpy()
    region = table.column("region").to_numpy(zero_copy_only=False)
    x1 = table.column("x1").to_numpy()
    inside = flag & (region == "north") & (x1 > np.quantile(x1, 0.6, method="inverted_cdf"))
    target = table.column("target").to_numpy()
    wrong = rng.random(len(target)) < np.where(inside, 0.5, 0.1)
    table = table.set_column(
        table.schema.get_field_index("prediction"),
        "prediction",
        pa.array(np.where(wrong, 1 - target, target)),
    )
    first = find_worst_segments(table, model_schema(table), max_conditions=3)[0]
    assert first.details["features"] == ["x1", "region", "flag"]


def test_no_target_or_no_prediction_is_a_clear_error():
    table, _ = classified(0, rows=500)
    no_target = table.drop_columns(["target"])
    with pytest.raises(CheckError, match="target column"):
        find_worst_segments(no_target, infer_schema(no_target, prediction="prediction"))
    no_prediction = table.drop_columns(["prediction"])
    with pytest.raises(CheckError, match="prediction column"):
        find_worst_segments(no_prediction, infer_schema(no_prediction, target="target"))


def test_wrong_number_of_errors_is_a_clear_error():
    table, _ = classified(0, rows=500)
    with pytest.raises(CheckError, match="errors has 3 values for 500 rows"):
        find_worst_segments(table, model_schema(table), errors=np.zeros(3))


@pytest.mark.parametrize("bad", [{"max_conditions": 4}, {"min_support": 0.7}, {"fdr": 0}])
def test_bad_arguments_are_clear_errors(bad):
    table, _ = classified(0, rows=500)
    with pytest.raises(CheckError):
        find_worst_segments(table, model_schema(table), **bad)


def test_single_row_is_unreliable_not_ok():
    table, _ = classified(0, rows=1)
    schema = infer_schema(
        pa.table({"x0": [0.1, 0.2], "region": ["a", "b"], "target": [0, 1], "prediction": [0, 1]}),
        target="target",
        prediction="prediction",
    )
    (finding,) = find_worst_segments(table.select(["x0", "region", "target", "prediction"]), schema)
    assert finding.verdict is Verdict.UNRELIABLE
    assert finding.details["slices_tested"] == 0 and finding.details["rows"] == 1


def test_all_missing_and_constant_features_are_harmless():
    table, planted = classified(9)
    rows = table.num_rows
    table = table.append_column("empty", pa.array([None] * rows, pa.float64()))
    table = table.append_column("same", pa.array(np.full(rows, 3.0)))
    table = table.append_column("label", pa.array(["only"] * rows))
    schema = model_schema(table).override(empty={"kind": "numeric"})
    findings = find_worst_segments(table, schema)
    assert sorted(findings[0].details["conditions"]) == planted
    used = {name for f in findings for name in f.details["features"]}
    assert not used & {"empty", "same", "label"}
