"""Metrics per segment value: rows, error with a band, the rest, and small segments."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from steward._exceptions import CheckError, UnknownColumn
from steward.checks.segments import estimated_errors, segment_metrics
from steward.findings import Verdict
from steward.schema import infer_schema


def _table(seed: int = 0, rows: int = 6_000) -> pa.Table:
    rng = np.random.default_rng(seed)
    segment = rng.choice(["a", "b", "c", "tiny"], rows, p=[0.5, 0.3, 0.19, 0.01])
    wrong = rng.random(rows) < np.where(segment == "b", 0.2, 0.1)
    target = rng.integers(0, 2, rows)
    prediction = np.where(wrong, 1 - target, target)
    return pa.table(
        {"seg": segment, "x": rng.normal(size=rows), "target": target, "prediction": prediction}
    )


def _schema(table: pa.Table, **roles):
    return infer_schema(table, target="target", prediction="prediction", **roles)


def _by_value(findings):
    return {f.details["value"]: f for f in findings}


def test_every_value_gets_rows_error_band_and_the_rest():
    table = _table()
    found = _by_value(segment_metrics(table, _schema(table, segment="seg")))
    seg = table.column("seg").to_numpy(zero_copy_only=False)
    wrong = table.column("target").to_numpy() != table.column("prediction").to_numpy()
    for value, finding in found.items():
        inside = seg == value
        assert finding.check == "segment.metric" and finding.column == "seg"
        assert finding.details["rows"] == inside.sum()
        assert finding.statistic == pytest.approx(wrong[inside].mean())
        assert finding.threshold == pytest.approx(wrong[~inside].mean())
        assert finding.lower <= finding.statistic <= finding.upper


def test_a_worse_segment_fails_and_the_others_pass():
    table = _table()
    found = _by_value(segment_metrics(table, _schema(table, segment="seg")))
    assert found["b"].verdict is Verdict.FAIL and found["b"].details["q_value"] < 1e-6
    assert found["a"].verdict is Verdict.OK and found["c"].verdict is Verdict.OK
    assert "significantly worse" in found["b"].message


def test_small_segments_are_unreliable_never_confident():
    table = _table()
    findings = segment_metrics(table, _schema(table, segment="seg"), min_rows=100)
    tiny = _by_value(findings)["tiny"]
    rows = tiny.details["rows"]
    assert rows < 100
    assert tiny.verdict is Verdict.UNRELIABLE and tiny.details["small"] is True
    assert tiny.details["reason"] == f"small segment ({rows} rows)"
    assert tiny.p_value is None and tiny.details["q_value"] is None
    assert tiny.upper - tiny.lower > 0.1
    assert findings[0].verdict is Verdict.FAIL  # most severe first


def test_segments_can_be_named_and_windows_labelled():
    table = _table()
    findings = segment_metrics(table, _schema(table), segments=["seg"], window=3)
    assert {f.window for f in findings} == {3} and len(findings) == 4


def test_missing_segment_values_are_a_segment_of_their_own():
    table = _table()
    seg = table.column("seg").to_pylist()
    seg[:200] = [None] * 200
    table = table.set_column(0, "seg", pa.array(seg))
    found = _by_value(segment_metrics(table, _schema(table, segment="seg")))
    assert found[None].details["rows"] == 200 and "(missing)" in found[None].message


def test_regression_uses_mean_absolute_error_with_a_t_band():
    rng = np.random.default_rng(4)
    segment = rng.choice(["a", "b"], 2_000)
    target = rng.normal(50, 10, 2_000)
    prediction = target + rng.normal(0, np.where(segment == "b", 3.0, 1.0))
    table = pa.table({"seg": segment, "target": target, "prediction": prediction})
    found = _by_value(segment_metrics(table, _schema(table, segment="seg")))
    error = np.abs(target - prediction)[segment == "b"]
    assert found["b"].details["metric"] == "mean absolute error"
    assert found["b"].statistic == pytest.approx(error.mean())
    assert found["b"].details["test"] == "Welch t" and found["b"].verdict is Verdict.FAIL
    assert found["a"].verdict is Verdict.OK


def test_estimated_errors_before_labels_arrive():
    rng = np.random.default_rng(5)
    segment = rng.choice(["a", "b"], 4_000)
    score = np.where(segment == "b", rng.uniform(0.3, 0.7, 4_000), rng.uniform(0, 1, 4_000))
    table = pa.table({"seg": segment, "score": score, "prediction": (score >= 0.5).astype(int)})
    schema = infer_schema(table, score="score", prediction="prediction", segment="seg")
    errors = estimated_errors(table, schema)
    assert errors == pytest.approx(np.minimum(score, 1 - score))
    found = _by_value(segment_metrics(table, schema, errors=errors))
    assert found["b"].verdict is Verdict.FAIL and found["b"].details["metric"] == "mean error"


def test_no_segment_columns_or_unknown_ones_are_clear_errors():
    table = _table()
    with pytest.raises(CheckError, match="no segment columns"):
        segment_metrics(table, _schema(table))
    with pytest.raises(UnknownColumn, match="nope"):
        segment_metrics(table, _schema(table), segments=["nope"])


def test_single_row_is_a_small_segment():
    table = _table().slice(0, 1)
    (finding,) = segment_metrics(table, _schema(_table(), segment="seg"))
    assert finding.verdict is Verdict.UNRELIABLE and finding.details["rows"] == 1


def test_unlabelled_segment_has_zero_rows_and_is_unreliable():
    table = _table()
    target = table.column("target").to_pylist()
    seg = table.column("seg").to_pylist()
    target = [None if s == "c" else t for s, t in zip(seg, target, strict=True)]
    table = table.set_column(2, "target", pa.array(target, pa.int64()))
    found = _by_value(segment_metrics(table, _schema(_table(), segment="seg")))
    assert found["c"].details["rows"] == 0 and found["c"].verdict is Verdict.UNRELIABLE
