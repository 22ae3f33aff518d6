"""compare() with a model's outputs: performance, estimates, outliers, segments, skew."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import steward
from steward import Verdict
from steward.datasets import credit_stream

ROLES = dict(
    target="defaulted",
    prediction="prediction",
    score="score",
    timestamp="timestamp",
    id="application_id",
)


@pytest.fixture(scope="module")
def stream():
    return credit_stream(reference_rows=6_000, weekly_rows=1_500, weeks=6, drift_week=3, seed=3)


@pytest.fixture(scope="module")
def report(stream):
    return steward.compare(stream.reference, stream.production, window="1W", **ROLES)


def _checks(report, window=None):
    return {f.check for f in report.findings if f.window == window}


def test_realised_performance_per_window_with_bands(report):
    per_window = [
        f for f in report.findings if f.check == "performance.roc_auc" and f.window is not None
    ]
    labelled = [f for f in per_window if f.details.get("labelled")]
    assert labelled, "labelled windows have a realised ROC AUC"
    for finding in labelled:
        assert finding.lower <= finding.statistic <= finding.upper
        assert 0.5 < finding.statistic <= 1.0
    assert [f.window for f in per_window] == sorted(f.window for f in per_window)


def test_late_labels_make_estimates_run_and_coverage_visible(report, stream):
    missing = stream.production.column("defaulted").null_count
    assert missing > 0  # the last days' labels have not arrived
    estimates = [f for f in report.findings if f.check == "estimate.roc_auc"]
    assert estimates
    coverage = [
        f for f in report.findings if f.check == "performance.label_coverage" and f.window is None
    ]
    assert coverage[0].statistic == pytest.approx(1 - missing / stream.production.num_rows)


def test_outliers_segments_and_multivariate_run_by_default(report):
    whole = _checks(report)
    assert {
        "outlier.isolation_forest",
        "drift.domain_classifier",
        "drift.pca_reconstruction",
    } <= whole
    assert "segment.worst" in whole
    domain = next(
        f for f in report.findings if f.check == "drift.domain_classifier" and f.window is None
    )
    assert domain.verdict is Verdict.FAIL  # the population changed half-way


def test_change_detectors_find_the_error_rise_after_the_drift(report):
    detections = [f for f in report.findings if f.family == "stream"]
    assert {f.check for f in detections} >= {"stream.adwin", "stream.ddm"}
    # drift starts in week 3 (index 3); no detector fires in the stable weeks before it
    assert all(f.window >= 3 for f in detections)


def test_stored_profile_skips_row_families_with_a_reason(stream):
    ref = steward.profile(stream.reference, steward.infer_schema(stream.reference, **ROLES))
    report = steward.compare(ref, stream.production)
    checks = {f.check for f in report.findings}
    assert "estimate.roc_auc" not in checks
    assert not any(c.startswith(("outlier.", "segment.driver")) for c in checks)
    assert "segment.worst" in checks  # needs only the current rows and their labels
    assert any(c.startswith("performance.") for c in checks)
    note = next(f for f in report.findings if f.check == "analysis.skipped")
    assert note.verdict is Verdict.UNRELIABLE and "reference rows" in note.message


def test_labels_file_is_joined_by_id(stream):
    production = stream.production
    labels = production.select(["application_id", "defaulted"]).filter(
        pc.is_valid(production.column("defaulted"))
    )
    unlabelled = production.drop_columns(["defaulted"])
    report = steward.compare(
        stream.reference,
        unlabelled,
        labels=labels,
        outliers=False,
        segments=False,
        multivariate=False,
        **ROLES,
    )
    coverage = next(
        f for f in report.findings if f.check == "performance.label_coverage" and f.window is None
    )
    assert coverage.statistic == pytest.approx(labels.num_rows / production.num_rows)


def test_skew_against_training_data(stream):
    training = stream.reference
    serving = training.slice(0, 2_000)
    values = serving.column("income").to_numpy().copy()
    values[:500] *= 1.5
    serving = serving.set_column(
        serving.schema.get_field_index("income"), "income", pa.array(values)
    )
    report = steward.compare(
        stream.reference,
        serving,
        skew=training,
        outliers=False,
        segments=False,
        multivariate=False,
        **ROLES,
    )
    mismatch = next(
        f for f in report.findings if f.check == "skew.row_mismatch" and f.column == "income"
    )
    assert mismatch.statistic == pytest.approx(0.25)
    assert mismatch.verdict is Verdict.FAIL


def test_options_turn_families_off(stream):
    report = steward.compare(
        stream.reference,
        stream.production,
        outliers=False,
        segments=False,
        multivariate=False,
        estimate=False,
        **ROLES,
    )
    families = {f.family for f in report.findings}
    assert not families & {"outlier", "segment", "estimate"}
    assert "drift.domain_classifier" not in {f.check for f in report.findings}
    assert np.isfinite(
        [f.statistic for f in report.findings if f.check == "performance.accuracy"]
    ).all()
