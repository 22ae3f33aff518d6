"""Distribution skew: the drift verdict under stricter bars, named skew.<test>."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from steward.checks.drift_verdict import check_drift
from steward.checks.policy import DriftPolicy
from steward.checks.skew import SKEW_POLICY, check_distribution_skew
from steward.findings import Verdict
from steward.profile import profile
from steward.schema import infer_schema


def _profiles(rng, shift=0.0, plan=(0.5, 0.3, 0.2)):
    def table(rows, x_shift, p):
        return pa.table(
            {"x": rng.normal(x_shift, 1.0, rows), "plan": rng.choice(["a", "b", "c"], rows, p=p)}
        )

    training = table(50_000, 0.0, (0.5, 0.3, 0.2))
    schema = infer_schema(training)
    reference = profile(training, schema)
    return reference, profile(table(50_000, shift, plan), schema, reference=reference)


def test_findings_are_drift_findings_renamed_to_the_skew_family():
    training, serving = _profiles(np.random.default_rng(1), shift=0.3)
    skew = check_distribution_skew(training, serving)
    drift = check_drift(training, serving, SKEW_POLICY)
    assert [f.check for f in skew] == ["skew.ks", "skew.chi_square"]
    assert {f.family for f in skew} == {"skew"}
    for s, d in zip(skew, drift, strict=True):
        assert (s.column, s.statistic, s.p_value, s.effect_size, s.threshold, s.verdict) == (
            d.column,
            d.statistic,
            d.p_value,
            d.effect_size,
            d.threshold,
            d.verdict,
        )
    assert skew[0].verdict is Verdict.FAIL and skew[0].message.startswith("x skewed:")
    assert skew[0].details["compared"] == "serving vs training"


def test_the_skew_bars_are_half_the_drift_bars():
    training, serving = _profiles(np.random.default_rng(2), shift=0.07, plan=(0.47, 0.31, 0.22))
    drift = {f.column: f for f in check_drift(training, serving)}
    skew = {f.column: f for f in check_distribution_skew(training, serving)}
    assert skew["x"].threshold == drift["x"].threshold / 2 == 0.05
    assert skew["plan"].threshold == drift["plan"].threshold / 2 == 0.025
    assert drift["x"].verdict is Verdict.OK and skew["x"].verdict is Verdict.FAIL


def test_a_given_policy_is_used_as_it_is():
    training, serving = _profiles(np.random.default_rng(3), shift=0.07)
    skew = check_distribution_skew(training, serving, DriftPolicy())
    assert skew[0].threshold == 0.1 and skew[0].verdict is Verdict.OK
