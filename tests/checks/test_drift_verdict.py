"""The default verdict: calibrated significance, relevance, and false-discovery control."""

import numpy as np
import pyarrow as pa
import pytest

from steward.checks.drift import REGISTRY, Pair
from steward.checks.drift_verdict import calibrated_p_value, check_drift
from steward.checks.policy import ColumnPolicy, DriftPolicy
from steward.findings import Verdict
from steward.profile import profile
from steward.schema import infer_schema


def _tables(rng, rows, shift=None, cols=10):
    shift = shift or {}
    data = {f"x{i}": rng.normal(shift.get(f"x{i}", 0.0), 1.0, rows) for i in range(cols)}
    data["c"] = rng.choice(["a", "b", "c"], rows, p=shift.get("c", [0.5, 0.3, 0.2]))
    return pa.table(data)


def _drift(reference, current, policy=None):
    schema = infer_schema(reference)
    ref = profile(reference, schema)
    cur = profile(current, schema, reference=ref)
    return {f.column: f for f in check_drift(ref, cur, policy)}


def test_planted_drift_is_found_and_nothing_else():
    rng = np.random.default_rng(3)
    ref = _tables(rng, 20_000)
    cur = _tables(rng, 5_000, {"x0": 0.5, "x1": -0.3, "c": [0.3, 0.3, 0.4]})
    findings = _drift(ref, cur)
    failed = sorted(c for c, f in findings.items() if f.verdict is Verdict.FAIL)
    assert failed == ["c", "x0", "x1"]
    assert findings["x0"].check == "drift.ks"
    assert findings["c"].check == "drift.chi_square"
    assert findings["x0"].effect_size == pytest.approx(0.5, abs=0.05)


def test_huge_window_with_irrelevant_shift_is_not_flagged():
    rng = np.random.default_rng(4)
    ref = _tables(rng, 400_000, cols=4)
    cur = _tables(rng, 400_000, {"x0": 0.03, "c": [0.49, 0.31, 0.2]}, cols=4)
    findings = _drift(ref, cur)
    assert findings["x0"].p_value < 1e-6  # significance alone would cry wolf
    assert all(f.verdict is Verdict.OK for f in findings.values())


def test_false_alarm_rate_is_bounded_without_drift():
    rng = np.random.default_rng(5)
    alarms = 0
    runs = 30
    for _ in range(runs):
        ref = _tables(rng, 2_000)
        cur = _tables(rng, 300)
        policy = DriftPolicy(
            numeric=ColumnPolicy(min_effect=0.0), categorical=ColumnPolicy(min_effect=0.0)
        )
        findings = _drift(ref, cur, policy)
        alarms += any(f.verdict is Verdict.FAIL for f in findings.values())
    # BH at 5% bounds the expected share of false discoveries; under the global null any
    # alarm is false, so the chance of one per window stays near 5%.
    assert alarms / runs <= 0.15


def test_calibrated_p_values_are_roughly_uniform_under_the_null():
    rng = np.random.default_rng(6)
    ref_table = pa.table({"x": rng.normal(size=50_000)})
    schema = infer_schema(ref_table)
    ref = profile(ref_table, schema)
    test = REGISTRY["psi"]
    p_values = []
    for _ in range(60):
        cur = profile(pa.table({"x": rng.normal(size=500)}), schema, reference=ref)
        pair = Pair.of("x", schema["x"].kind, ref["x"], cur["x"])
        observed = test.run(pair).statistic
        p_values.append(calibrated_p_value(pair, test, observed, DriftPolicy()))
    p_values = np.array(p_values)
    assert 0.3 < p_values.mean() < 0.7
    assert (p_values < 0.05).mean() <= 0.15


def test_forced_test_uses_its_fixed_threshold():
    rng = np.random.default_rng(7)
    ref = _tables(rng, 5_000, cols=2)
    cur = _tables(rng, 5_000, {"x0": 0.2}, cols=2)
    policy = DriftPolicy(
        columns={
            "x0": ColumnPolicy(test="psi", threshold=0.01),
            "x1": ColumnPolicy(test="psi", threshold=0.5),
        }
    )
    findings = _drift(ref, cur, policy)
    assert findings["x0"].check == "drift.psi"
    assert findings["x0"].verdict is Verdict.FAIL
    assert findings["x0"].threshold == 0.01
    assert findings["x1"].verdict is Verdict.OK
    assert findings["x0"].details["mode"] == "forced"


def test_small_categorical_windows_use_a_calibrated_distance():
    rng = np.random.default_rng(8)
    ref = pa.table({"c": rng.choice(list("abcdefghij"), 10_000)})
    cur = pa.table({"c": rng.choice(list("abcdefghij"), 30)})
    findings = _drift(ref, cur)
    assert findings["c"].check == "drift.jensen_shannon"
    assert findings["c"].details["p_value_source"] == "calibrated"


def test_a_column_without_current_values_is_untestable_not_a_crash():
    ref = pa.table({"x": np.arange(100.0)})
    cur = pa.table({"x": pa.array([None] * 10, pa.float64())})
    findings = _drift(ref, cur)
    assert findings["x"].verdict is Verdict.UNRELIABLE
    assert "no values" in findings["x"].message


def test_unknown_test_in_policy_is_rejected():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown drift test"):
        ColumnPolicy(test="nope")
