"""Every realised metric equals scikit-learn's on the same rows.

Exact for metrics of counts and sums; within 1e-3 for ROC AUC and average precision, which
come from score histograms on a grid of 1000 bins.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from performance_helpers import (
    ANIMALS,
    binary_schema,
    binary_table,
    multiclass_schema,
    multiclass_table,
    profiled,
    regression_schema,
    regression_table,
    with_missing_labels,
)
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve

from steward.checks.performance import realised_metrics
from steward.schema import infer_schema

EXACT = 1e-9
GRID = 1e-3


def _ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error from scikit-learn's uniform calibration curve."""
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="uniform")
    counts = np.histogram(p, bins=np.linspace(0, 1, bins + 1))[0]
    counts = counts[counts > 0]
    return float(np.sum(counts * np.abs(observed - predicted)) / len(p))


def test_binary_metrics_equal_sklearn():
    table = binary_table(4000, seed=1)
    m = realised_metrics(profiled(table, binary_schema()))
    y, p, pred = (table.column(c).to_numpy() for c in ("y", "score", "pred"))
    assert m["accuracy"].value == pytest.approx(sk.accuracy_score(y, pred), abs=EXACT)
    assert m["precision"].value == pytest.approx(sk.precision_score(y, pred), abs=EXACT)
    assert m["recall"].value == pytest.approx(sk.recall_score(y, pred), abs=EXACT)
    assert m["f1"].value == pytest.approx(sk.f1_score(y, pred), abs=EXACT)
    assert m["log_loss"].value == pytest.approx(sk.log_loss(y, y_proba=p), abs=EXACT)
    assert m["brier"].value == pytest.approx(sk.brier_score_loss(y, p), abs=EXACT)
    assert m["roc_auc"].value == pytest.approx(sk.roc_auc_score(y, p), abs=GRID)
    assert m["average_precision"].value == pytest.approx(sk.average_precision_score(y, p), abs=GRID)
    assert m["calibration_error"].value == pytest.approx(_ece(y, p), abs=EXACT)


def test_binary_counts_are_the_rows_used():
    table = binary_table(1000, seed=2)
    m = realised_metrics(profiled(table, binary_schema()))
    y, pred = table.column("y").to_numpy(), table.column("pred").to_numpy()
    assert m["accuracy"].n == 1000
    assert m["precision"].n == int((pred == 1).sum())
    assert m["recall"].n == int((y == 1).sum())
    assert {metric.coverage for metric in m.values()} == {1.0}


def test_multiclass_metrics_equal_sklearn_with_string_labels():
    table = multiclass_table(4000, seed=3)
    m = realised_metrics(profiled(table, multiclass_schema()))
    y, pred = table.column("animal").to_pylist(), table.column("pred").to_pylist()
    proba = np.column_stack([table.column(f"score_{a}").to_numpy() for a in ANIMALS])
    assert m["accuracy"].value == pytest.approx(sk.accuracy_score(y, pred), abs=EXACT)
    for name, fn in [
        ("precision", sk.precision_score),
        ("recall", sk.recall_score),
        ("f1", sk.f1_score),
    ]:
        expected = fn(y, pred, average="macro", zero_division=0)
        assert m[name].value == pytest.approx(expected, abs=EXACT), name
    assert m["log_loss"].value == pytest.approx(
        sk.log_loss(y, y_proba=proba, labels=list(ANIMALS)), abs=EXACT
    )
    assert m["brier"].value == pytest.approx(
        sk.brier_score_loss(y, proba, labels=list(ANIMALS)), abs=EXACT
    )
    auc = sk.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=list(ANIMALS))
    assert m["roc_auc"].value == pytest.approx(auc, abs=GRID)
    onehot = np.array(y)[:, None] == np.array(ANIMALS)[None, :]
    ap = sk.average_precision_score(onehot, proba, average="macro")
    assert m["average_precision"].value == pytest.approx(ap, abs=GRID)
    classwise = np.mean([_ece(onehot[:, i], proba[:, i]) for i in range(3)])
    assert m["calibration_error"].value == pytest.approx(classwise, abs=EXACT)


def test_multiclass_macro_averages_skip_classes_absent_from_the_window():
    ref = profiled(multiclass_table(600, seed=4), multiclass_schema())
    table = multiclass_table(600, seed=5)
    keep = pa.compute.not_equal(table.column("animal"), "dog")
    keep = pa.compute.and_(keep, pa.compute.not_equal(table.column("pred"), "dog"))
    window = table.filter(keep)
    m = realised_metrics(profiled(window, multiclass_schema(), reference=ref))
    y, pred = window.column("animal").to_pylist(), window.column("pred").to_pylist()
    assert m["f1"].value == pytest.approx(sk.f1_score(y, pred, average="macro"), abs=EXACT)
    assert m["recall"].value == pytest.approx(sk.recall_score(y, pred, average="macro"), abs=EXACT)


def test_regression_metrics_equal_sklearn():
    table = regression_table(3000, seed=6)
    table = table.set_column(0, "target", pa.array(np.r_[0.0, table.column(0).to_numpy()[1:]]))
    m = realised_metrics(profiled(table, regression_schema()))
    y, y_hat = table.column("target").to_numpy(), table.column("prediction").to_numpy()
    nonzero = y != 0
    assert m["mae"].value == pytest.approx(sk.mean_absolute_error(y, y_hat), rel=EXACT)
    assert m["rmse"].value == pytest.approx(np.sqrt(sk.mean_squared_error(y, y_hat)), rel=EXACT)
    assert m["r2"].value == pytest.approx(sk.r2_score(y, y_hat), rel=EXACT)
    mape = sk.mean_absolute_percentage_error(y[nonzero], y_hat[nonzero])
    assert m["mape"].value == pytest.approx(mape, rel=EXACT)
    assert m["mape"].n == len(y) - 1
    assert m["mae"].n == len(y)


def test_partial_labels_report_coverage_and_use_the_labelled_rows():
    table = with_missing_labels(binary_table(3000, seed=7), "y", 0.3, seed=8)
    m = realised_metrics(profiled(table, binary_schema()))
    labelled = table.filter(table.column("y").is_valid())
    y, p, pred = (labelled.column(c).to_numpy() for c in ("y", "score", "pred"))
    coverage = labelled.num_rows / table.num_rows
    assert all(metric.coverage == pytest.approx(coverage) for metric in m.values())
    assert m["accuracy"].n == labelled.num_rows
    assert m["accuracy"].value == pytest.approx(sk.accuracy_score(y, pred), abs=EXACT)
    assert m["log_loss"].value == pytest.approx(sk.log_loss(y, y_proba=p), abs=EXACT)
    assert m["roc_auc"].value == pytest.approx(sk.roc_auc_score(y, p), abs=GRID)


def test_partial_labels_in_regression():
    table = with_missing_labels(regression_table(2000, seed=9), "target", 0.5, seed=10)
    m = realised_metrics(profiled(table, regression_schema()))
    labelled = table.filter(table.column("target").is_valid())
    y, y_hat = labelled.column("target").to_numpy(), labelled.column("prediction").to_numpy()
    assert m["r2"].coverage == pytest.approx(labelled.num_rows / 2000)
    assert m["rmse"].value == pytest.approx(np.sqrt(sk.mean_squared_error(y, y_hat)), rel=EXACT)


def test_predictions_come_from_scores_when_there_is_no_prediction_column():
    table = binary_table(2000, seed=11).drop_columns(["pred"])
    m = realised_metrics(profiled(table, infer_schema(table, target="y", score="score")))
    y, p = table.column("y").to_numpy(), table.column("score").to_numpy()
    assert m["accuracy"].value == pytest.approx(sk.accuracy_score(y, p >= 0.5), abs=EXACT)

    multi = multiclass_table(2000, seed=12).drop_columns(["pred"])
    schema = infer_schema(multi, target="animal", score=[f"score_{a}" for a in ANIMALS])
    m = realised_metrics(profiled(multi, schema))
    proba = np.column_stack([multi.column(f"score_{a}").to_numpy() for a in ANIMALS])
    argmax = np.array(ANIMALS)[proba.argmax(axis=1)]
    expected = sk.accuracy_score(multi.column("animal").to_pylist(), argmax)
    assert m["accuracy"].value == pytest.approx(expected, abs=EXACT)


def test_label_only_predictions_give_no_score_metrics():
    table = multiclass_table(500, seed=13).select(["animal", "pred"])
    m = realised_metrics(profiled(table, infer_schema(table, target="animal", prediction="pred")))
    assert set(m) == {"accuracy", "precision", "recall", "f1"}
