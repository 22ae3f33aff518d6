"""``check_outliers``: the window's outlier rate against the reference rate."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from outlier_data import clean, plant
from scipy import stats

from steward._exceptions import CheckError, InputError
from steward.checks.outliers import (
    ExtremeValueDetector,
    IsolationForestDetector,
    MahalanobisDetector,
    check_outliers,
    fit_detectors,
)
from steward.findings import Finding, Verdict
from steward.schema import infer_schema


def test_clean_windows_rarely_fail():
    """15 seeds × 3 detectors, each fitted on its own reference, alpha = 0.01: a false alarm
    needs significance *and* twice the reference rate, so they stay near zero."""
    verdicts = []
    for seed in range(15):
        reference = clean(2000, seed=seed)
        detectors = [
            ExtremeValueDetector(random_state=seed),
            IsolationForestDetector(n_estimators=25, random_state=seed),
            MahalanobisDetector(max_fit_rows=300, random_state=seed),
        ]
        schema = infer_schema(reference)
        fitted = [d.fit(reference, schema) for d in detectors]
        verdicts += [f.verdict for f in check_outliers(fitted, clean(1000, seed=1000 + seed))]
    assert verdicts.count(Verdict.FAIL) <= 1  # ≤ 0.45 expected from alpha alone


def test_repeated_windows_against_one_fit_rarely_fail(fitted):
    detectors = list(fitted.values())
    verdicts = [
        f.verdict
        for seed in range(20)
        for f in check_outliers(detectors, clean(1000, seed=100 + seed), window=seed)
    ]
    assert verdicts.count(Verdict.FAIL) <= 6  # one fit's threshold noise is shared by all


def test_a_window_with_planted_rows_fails_and_names_the_features(fitted, reference):
    table, planted = plant(reference, clean(5000, seed=11), "unseen", 0.04, seed=12)
    (finding,) = check_outliers([fitted["extreme_value"]], table, window=3)
    assert finding.check == "outlier.extreme_value"
    assert finding.verdict is Verdict.FAIL
    assert finding.window == 3
    assert finding.statistic == pytest.approx(finding.details["flagged"] / 5000)
    assert finding.threshold == fitted["extreme_value"].reference_rate_
    assert finding.p_value < 1e-10
    assert finding.details["top_features"][0]["feature"] == "plan"
    top = finding.details["top_rows"]
    flags = fitted["extreme_value"].flag(table)
    assert len(top) == 20 and all(flags[r["row"]] for r in top)
    assert [r["score"] for r in top] == sorted((r["score"] for r in top), reverse=True)
    assert flags[planted].all()


def test_significant_but_small_excess_is_not_a_failure(fitted, reference):
    """1.5× the reference rate on a large window: significant, not relevant (< 2×)."""
    table, _ = plant(reference, clean(40_000, seed=13), "unseen", 0.005, seed=14)
    (finding,) = check_outliers([fitted["extreme_value"]], table)
    assert finding.details["significant"] and not finding.details["relevant"]
    assert finding.verdict is Verdict.OK


def test_the_p_value_accounts_for_the_held_out_sample():
    from steward.checks.outliers._check import conditional_p_value

    # 20 of 1,000 against 30 of 3,000: suggestive, not significant at 0.01
    assert 0.01 < conditional_p_value(20, 1000, 30, 3000) < 0.05
    # against a huge held-out sample it tends to the plain binomial test on the rate
    plain = stats.binomtest(20, 1000, 0.01, alternative="greater").pvalue
    assert conditional_p_value(20, 1000, 10**6, 10**8) == pytest.approx(plain, rel=0.1)
    assert conditional_p_value(0, 1000, 30, 3000) == 1.0


def test_findings_are_json_ready(fitted, reference):
    table, _ = plant(reference, clean(3000, seed=15), "joint", 0.05, seed=16)
    for finding in check_outliers(list(fitted.values()), table):
        data = json.loads(json.dumps(finding.to_dict()))
        assert Finding.from_dict(data).check == finding.check


def test_an_empty_window_is_unreliable(fitted, reference):
    findings = check_outliers(list(fitted.values()), reference.slice(0, 0))
    assert {f.verdict for f in findings} == {Verdict.UNRELIABLE}
    assert all("no rows" in f.message for f in findings)


def test_a_window_without_a_feature_column_is_unreliable(fitted, reference):
    findings = check_outliers(list(fitted.values()), clean(200, seed=17).drop_columns(["normal"]))
    assert all(f.verdict is Verdict.UNRELIABLE for f in findings)
    assert all("'normal'" in f.message for f in findings)


def test_a_bad_alpha_is_refused(fitted):
    with pytest.raises(InputError, match="alpha"):
        check_outliers(list(fitted.values()), clean(10, seed=0), alpha=0.0)


def test_fit_detectors_picks_the_detectors_that_fit_the_schema():
    rng = np.random.default_rng(0)
    table = pa.table({"plan": rng.choice(["a", "b", "c"], 500), "flag": rng.random(500) < 0.3})
    schema = infer_schema(table)
    names = [d.name for d in fit_detectors(table, schema)]
    assert sorted(names) == ["extreme_value", "isolation_forest"]
    with pytest.raises(CheckError, match=r"mahalanobis.*numeric"):
        fit_detectors(table, schema, names=["mahalanobis"])


def test_fit_detectors_passes_fpr_and_seed(reference, schema):
    (detector,) = fit_detectors(
        reference, schema, names=["extreme_value"], fpr=0.05, random_state=7
    )
    assert detector.fpr_ == 0.05 and detector.random_state == 7
    assert detector.reference_rate_ == pytest.approx(0.05, abs=1 / detector.holdout_rows_)


def test_fit_detectors_skips_a_detector_the_data_cannot_support():
    rng = np.random.default_rng(1)
    table = pa.table({"k": np.full(300, 2.0), "plan": rng.choice(["a", "b"], 300)})
    schema = infer_schema(table, overrides={"k": {"kind": "numeric"}})
    names = sorted(d.name for d in fit_detectors(table, schema))
    assert names == ["extreme_value", "isolation_forest"]
