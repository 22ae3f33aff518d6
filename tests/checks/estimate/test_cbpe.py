"""CBPE on streams whose truth is known: accuracy, bands, unreliable windows, multiclass."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from estimate_helpers import binary, by_check, hide_labels, multiclass, schema_of
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from steward.checks.estimate import CBPE, EstimatePolicy
from steward.findings import Verdict

METRICS = ("roc_auc", "accuracy", "precision", "recall", "f1")


@pytest.fixture(scope="module")
def reference() -> pa.Table:
    return binary(10_000, np.random.default_rng(1))


@pytest.fixture(scope="module")
def cbpe(reference: pa.Table) -> CBPE:
    return CBPE().fit(reference, schema_of(reference))


def realised(window: pa.Table) -> dict[str, float]:
    y = np.array(window.column("target").to_pylist()) == "1"
    pred = np.array(window.column("prediction").to_pylist()) == "1"
    score = window.column("score").to_numpy()
    return {
        "roc_auc": roc_auc_score(y, score),
        "accuracy": accuracy_score(y, pred),
        "precision": precision_score(y, pred),
        "recall": recall_score(y, pred),
        "f1": f1_score(y, pred),
    }


def test_findings_are_one_per_metric_in_order_with_the_documented_fields(cbpe: CBPE) -> None:
    found = cbpe.estimate(binary(1000, np.random.default_rng(2)), window_index=4)
    assert [f.check for f in found] == [f"estimate.{m}" for m in METRICS]
    for f in found:
        assert f.window == 4 and f.column == "target"
        assert f.lower <= f.statistic <= f.upper
        assert f.threshold == pytest.approx(cbpe.reference_values_[f.check.split(".")[1]])
        assert f.details["method"] == "cbpe"
        assert f.details["reference_value"] == f.threshold
        assert f.details["label_coverage"] == 1.0
        assert set(f.to_dict()) >= {"statistic", "lower", "upper", "verdict", "details"}


def test_estimates_fall_within_their_band_about_95_percent_of_the_time() -> None:
    """Labels drawn from calibrated scores: the band is the realised metric's spread (plus
    the calibration's own error), so it holds the realised metric ~95 % of the time."""
    rng = np.random.default_rng(3)
    hits = {m: 0 for m in METRICS}
    errors: dict[str, list[float]] = {m: [] for m in METRICS}
    references, windows = 4, 15
    for _ in range(references):
        reference = binary(10_000, rng)
        cbpe = CBPE().fit(reference, schema_of(reference))
        for w in range(windows):
            window = binary(1000, rng)
            truth = realised(window)
            for name, f in by_check(cbpe.estimate(hide_labels(window, 0.0, rng), w)).items():
                hits[name] += f.lower <= truth[name] <= f.upper
                errors[name].append(abs(f.statistic - truth[name]))
    for name in METRICS:
        assert hits[name] / (references * windows) >= 0.88, (name, hits[name])
        assert np.mean(errors[name]) < 0.02, name


def test_reference_estimates_are_honest_out_of_fold(cbpe: CBPE) -> None:
    for name in METRICS:
        assert cbpe.reference_estimates_[name] == pytest.approx(
            cbpe.reference_values_[name], abs=0.02
        )


def test_covariate_shift_with_the_same_concept_stays_accurate(cbpe: CBPE) -> None:
    rng = np.random.default_rng(4)
    for w in range(5):
        window = binary(2000, rng, shift=0.6)
        truth = realised(window)
        found = by_check(cbpe.estimate(hide_labels(window, 0.2, rng), w))
        for name, f in found.items():
            assert abs(f.statistic - truth[name]) < 0.05, (name, f.statistic, truth[name])
            assert f.verdict is not Verdict.UNRELIABLE, f.details.get("reason")


def test_concept_shift_with_partial_labels_is_unreliable(cbpe: CBPE) -> None:
    rng = np.random.default_rng(5)
    window = hide_labels(binary(2000, rng, concept=0.7), 0.2, rng)
    found = cbpe.estimate(window, 0)
    for f in found:
        assert f.verdict is Verdict.UNRELIABLE
        assert "concept shift suspected" in f.details["reason"]
        assert "labelled rows" in f.details["reason"]
        assert f.details["label_coverage"] == pytest.approx(0.2, abs=0.03)
        assert f.details["labelled_rows"] == round(f.details["label_coverage"] * 2000)
        assert f.details["disagreement_p_value"] < 0.01
    accuracy = by_check(found)["accuracy"]
    assert (
        abs(accuracy.details["realised_on_labelled"] - accuracy.details["estimate_on_labelled"])
        > 0.05
    )


def test_partial_labels_without_concept_shift_rarely_raise_alarms(cbpe: CBPE) -> None:
    rng = np.random.default_rng(6)
    flagged = 0
    for w in range(40):
        found = cbpe.estimate(hide_labels(binary(1000, rng), 0.3, rng), w)
        flagged += any(f.verdict is Verdict.UNRELIABLE for f in found)
    assert flagged <= 3


def test_realised_and_estimated_are_side_by_side_on_the_labelled_rows(cbpe: CBPE) -> None:
    window = binary(1500, np.random.default_rng(7))
    truth = realised(window)
    for name, f in by_check(cbpe.estimate(window)).items():
        assert f.details["realised_on_labelled"] == pytest.approx(truth[name])
        assert f.details["labelled_rows"] == 1500


def test_rows_beyond_the_reference_range_are_unreliable_naming_the_feature(cbpe: CBPE) -> None:
    window = binary(1000, np.random.default_rng(8))
    x1 = window.column("x1").to_numpy().copy()
    x1[:300] += 40.0
    window = window.set_column(0, "x1", pa.array(x1))
    f = cbpe.estimate(window)[0]
    assert f.verdict is Verdict.UNRELIABLE
    assert "outside the reference's support" in f.details["reason"]
    assert "x1 30%" in f.details["reason"]
    assert f.details["out_of_support_columns"]["x1"] == pytest.approx(0.3, abs=0.01)


def test_unseen_categories_are_outside_the_support(cbpe: CBPE) -> None:
    window = binary(1000, np.random.default_rng(9))
    segment = np.array(window.column("segment").to_pylist(), dtype=object)
    segment[::4] = "brand-new"
    window = window.set_column(2, "segment", pa.array(segment))
    f = cbpe.estimate(window)[0]
    assert f.verdict is Verdict.UNRELIABLE
    assert "segment 25%" in f.details["reason"]


def test_a_few_rows_outside_the_support_are_tolerated(cbpe: CBPE) -> None:
    window = binary(1000, np.random.default_rng(10))
    x1 = window.column("x1").to_numpy().copy()
    x1[:50] += 40.0
    found = cbpe.estimate(window.set_column(0, "x1", pa.array(x1)))
    assert all(f.verdict is not Verdict.UNRELIABLE for f in found)
    assert found[0].details["out_of_support"] == pytest.approx(0.05, abs=0.01)


def test_a_window_of_hard_cases_fails_against_the_reference(cbpe: CBPE) -> None:
    rng = np.random.default_rng(11)
    window = binary(4000, rng)
    score = window.column("score").to_numpy()
    hard = window.filter(pa.array(np.abs(score - 0.5) < 0.15))
    accuracy = by_check(cbpe.estimate(hide_labels(hard, 0.0, rng)))["accuracy"]
    assert accuracy.verdict is Verdict.FAIL
    assert accuracy.upper < accuracy.threshold - 0.05
    assert accuracy.details["limit"] == pytest.approx(accuracy.threshold - 0.05)


def test_the_policy_sets_the_allowed_drop(reference: pa.Table) -> None:
    rng = np.random.default_rng(11)
    window = binary(4000, rng)
    score = window.column("score").to_numpy()
    hard = hide_labels(window.filter(pa.array(np.abs(score - 0.5) < 0.15)), 0.0, rng)
    lenient = CBPE(policy=EstimatePolicy(allowed_drop=0.5)).fit(reference, schema_of(reference))
    assert by_check(lenient.estimate(hard))["accuracy"].verdict is Verdict.OK


@pytest.mark.parametrize("calibration", ["isotonic", "spline", "none", "auto"])
def test_every_calibration_estimates_well_calibrated_scores(
    reference: pa.Table, calibration: str
) -> None:
    cbpe = CBPE(calibration=calibration).fit(reference, schema_of(reference))
    assert cbpe.calibration_ in ("isotonic", "spline", "none")
    window = binary(3000, np.random.default_rng(12))
    truth = realised(window)
    for name, f in by_check(cbpe.estimate(window)).items():
        assert abs(f.statistic - truth[name]) < 0.04, (calibration, name)


def test_uncalibrated_margins_are_calibrated(reference: pa.Table) -> None:
    """Scores that are log-odds cubed, not probabilities: calibration recovers them."""

    def distort(table: pa.Table) -> pa.Table:
        p = table.column("score").to_numpy()
        margin = np.log(p / (1 - p)) ** 3
        return table.set_column(3, "score", pa.array(margin))

    cbpe = CBPE().fit(distort(reference), schema_of(reference))
    window = binary(3000, np.random.default_rng(13))
    truth = realised(window)
    for name, f in by_check(cbpe.estimate(distort(window))).items():
        assert abs(f.statistic - truth[name]) < 0.04, name


def test_a_window_without_the_target_column_has_no_label_coverage(cbpe: CBPE) -> None:
    window = binary(500, np.random.default_rng(14)).drop_columns(["target"])
    f = cbpe.estimate(window)[0]
    assert f.details["label_coverage"] == 0.0
    assert "realised_on_labelled" not in f.details


def test_labels_of_a_class_the_reference_never_had_are_unreliable(cbpe: CBPE) -> None:
    window = binary(500, np.random.default_rng(15))
    target = np.array(window.column("target").to_pylist(), dtype=object)
    target[:10] = "2"
    window = window.set_column(5, "target", pa.array(target.tolist()))
    f = cbpe.estimate(window)[0]
    assert f.verdict is Verdict.UNRELIABLE
    assert "classes the reference never had (['2'])" in f.details["reason"]


def test_multiclass_with_string_labels() -> None:
    rng = np.random.default_rng(16)
    reference = multiclass(8000, rng)
    cbpe = CBPE().fit(reference, schema_of(reference))
    assert cbpe.classes_.labels == ("cat", "dog", "fish")
    assert cbpe.classes_.score_columns == ("proba_cat", "proba_dog", "proba_fish")
    labels = ["cat", "dog", "fish"]
    for shift in (0.0, 0.5):
        window = multiclass(3000, rng, shift=shift)
        y = np.array(window.column("target").to_pylist())
        pred = np.array(window.column("prediction").to_pylist())
        proba = np.column_stack([window.column(f"proba_{c}").to_numpy() for c in labels])
        macro = {"average": "macro", "labels": labels}
        truth = {
            "roc_auc": roc_auc_score(y, proba, multi_class="ovr", labels=labels),
            "accuracy": accuracy_score(y, pred),
            "f1": f1_score(y, pred, **macro),
            "precision": precision_score(y, pred, **macro),
            "recall": recall_score(y, pred, **macro),
        }
        found = by_check(cbpe.estimate(hide_labels(window, 0.0, rng)))
        for name, f in found.items():
            assert abs(f.statistic - truth[name]) < 0.04, (shift, name)
        labelled = by_check(cbpe.estimate(window))
        for name, f in labelled.items():
            assert f.details["realised_on_labelled"] == pytest.approx(truth[name])


def test_multiclass_without_a_prediction_column_predicts_the_top_score() -> None:
    rng = np.random.default_rng(17)
    reference = multiclass(4000, rng).drop_columns(["prediction"])
    cbpe = CBPE(metrics=("accuracy",)).fit(reference, schema_of(reference))
    window = multiclass(2000, rng)
    pred = np.array(window.column("prediction").to_pylist())
    truth = accuracy_score(np.array(window.column("target").to_pylist()), pred)
    f = cbpe.estimate(window.drop_columns(["prediction"]))[0]
    assert f.details["realised_on_labelled"] == pytest.approx(truth)


@pytest.mark.parametrize(
    ("labels", "positive", "expected"),
    [
        (("0", "1"), None, "1"),
        (("bad", "good"), None, "good"),
        (("no", "yes"), None, "yes"),
        (("1", "2"), None, "1"),
        (("2", "10"), None, "10"),
        (("bad", "good"), "bad", "bad"),
        (("0", "1"), 0, "0"),
        (("false", "true"), True, "true"),
    ],
)
def test_the_positive_class(labels: tuple[str, str], positive: object, expected: str) -> None:
    reference = binary(2000, np.random.default_rng(18), labels=labels)
    cbpe = CBPE(positive=positive, metrics=("precision",)).fit(reference, schema_of(reference))
    assert cbpe.classes_.labels[cbpe.classes_.positive] == expected


def test_a_positive_class_below_the_other_still_calibrates() -> None:
    """P(positive) must be the score of the positive class, whichever index it has."""
    rng = np.random.default_rng(19)
    reference = binary(5000, rng, labels=("yes", "no"))  # score = P("no"), sorted first
    cbpe = CBPE(positive="no").fit(reference, schema_of(reference))
    window = binary(3000, rng, labels=("yes", "no"))
    y = np.array(window.column("target").to_pylist()) == "no"
    pred = np.array(window.column("prediction").to_pylist()) == "no"
    found = by_check(cbpe.estimate(hide_labels(window, 0.0, rng)))
    assert abs(found["roc_auc"].statistic - roc_auc_score(y, window.column("score"))) < 0.03
    assert abs(found["precision"].statistic - precision_score(y, pred)) < 0.04


def test_boolean_targets_and_predictions() -> None:
    rng = np.random.default_rng(20)

    def as_bool(table: pa.Table) -> pa.Table:
        for name in ("prediction", "target"):
            values = np.array(table.column(name).to_pylist()) == "1"
            table = table.set_column(table.column_names.index(name), name, pa.array(values))
        return table

    reference = as_bool(binary(4000, rng))
    cbpe = CBPE().fit(reference, schema_of(reference))
    assert cbpe.classes_.labels == ("false", "true")
    assert cbpe.classes_.positive == 1
    window = as_bool(binary(1000, rng))
    f = by_check(cbpe.estimate(window))["accuracy"]
    truth = np.mean(np.array(window.column("target")) == np.array(window.column("prediction")))
    assert f.details["realised_on_labelled"] == pytest.approx(truth)


def test_fit_and_estimate_are_deterministic_under_a_seed(reference: pa.Table) -> None:
    window = hide_labels(binary(1000, np.random.default_rng(21)), 0.3, np.random.default_rng(0))
    runs = [CBPE(seed=5).fit(reference, schema_of(reference)).estimate(window, 2) for _ in range(2)]
    assert [f.to_dict() for f in runs[0]] == [f.to_dict() for f in runs[1]]
