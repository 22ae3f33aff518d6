"""Edge cases: every bad input is a clear Steward error, never a NumPy/scikit-learn traceback."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest
from estimate_helpers import binary, by_check, multiclass, regression, schema_of

from steward._exceptions import (
    CheckError,
    EmptyInput,
    InputError,
    StewardError,
    UnknownCheck,
    UnknownColumn,
)
from steward.checks.estimate import CBPE, DLE
from steward.findings import Verdict


@pytest.fixture(scope="module")
def reference() -> pa.Table:
    return binary(3000, np.random.default_rng(1))


@pytest.fixture(scope="module")
def cbpe(reference: pa.Table) -> CBPE:
    return CBPE().fit(reference, schema_of(reference))


@pytest.fixture(scope="module")
def dle() -> DLE:
    reference = regression(2000, np.random.default_rng(2))
    return DLE(max_iter=50, threads=1).fit(reference, schema_of(reference))


def with_column(table: pa.Table, name: str, values: list) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, pa.array(values))


def test_an_empty_window_is_an_empty_input_error(cbpe: CBPE, dle: DLE) -> None:
    with pytest.raises(EmptyInput, match="window has no rows"):
        cbpe.estimate(binary(10, np.random.default_rng(0)).slice(0, 0))
    with pytest.raises(EmptyInput, match="window has no rows"):
        dle.estimate(regression(10, np.random.default_rng(0)).slice(0, 0))


def test_an_empty_reference_is_an_empty_input_error(reference: pa.Table) -> None:
    with pytest.raises(EmptyInput, match="reference has no rows"):
        CBPE().fit(reference.slice(0, 0), schema_of(reference))


def test_one_row_gives_findings_and_an_undefined_auc_is_unreliable(cbpe: CBPE, dle: DLE) -> None:
    found = by_check(cbpe.estimate(binary(1, np.random.default_rng(3))))
    assert found["roc_auc"].verdict is Verdict.UNRELIABLE
    assert "roc_auc is undefined on this window (1 row(s))" in found["roc_auc"].details["reason"]
    assert found["roc_auc"].to_dict()["statistic"] is None
    assert 0.0 <= found["accuracy"].statistic <= 1.0
    for f in dle.estimate(regression(1, np.random.default_rng(3))):
        assert math.isfinite(f.statistic) and f.lower <= f.statistic <= f.upper


def test_constant_scores_estimate_an_auc_of_one_half(reference: pa.Table) -> None:
    constant = with_column(reference, "score", [0.3] * reference.num_rows)
    cbpe = CBPE().fit(constant, schema_of(reference))
    window = with_column(binary(500, np.random.default_rng(4)), "score", [0.3] * 500)
    found = by_check(cbpe.estimate(window))
    assert found["roc_auc"].statistic == pytest.approx(0.5)
    assert found["roc_auc"].threshold == pytest.approx(0.5)


def test_constant_scores_in_a_window_only(cbpe: CBPE) -> None:
    window = with_column(binary(500, np.random.default_rng(5)), "score", [0.7] * 500)
    assert by_check(cbpe.estimate(window))["roc_auc"].statistic == pytest.approx(0.5)


def test_missing_scores_name_the_column_and_rows(cbpe: CBPE, reference: pa.Table) -> None:
    window = binary(50, np.random.default_rng(6))
    scores = window.column("score").to_pylist()
    scores[3] = None
    scores[7] = float("nan")
    with pytest.raises(
        InputError, match=r"column 'score' of the window has 2 missing .*\(rows 3, 7\)"
    ):
        cbpe.estimate(with_column(window, "score", scores))
    bad = with_column(reference, "score", [None, *reference.column("score").to_pylist()[1:]])
    with pytest.raises(InputError, match="column 'score' of the reference"):
        CBPE().fit(bad, schema_of(reference))


def test_a_missing_score_column_is_named(cbpe: CBPE) -> None:
    with pytest.raises(UnknownColumn, match="window has no column 'score'"):
        cbpe.estimate(binary(50, np.random.default_rng(7)).drop_columns(["score"]))


def test_missing_or_unknown_predictions_are_input_errors(cbpe: CBPE) -> None:
    window = binary(20, np.random.default_rng(8))
    predictions = window.column("prediction").to_pylist()
    with pytest.raises(InputError, match=r"prediction column 'prediction' .* 1 missing"):
        cbpe.estimate(with_column(window, "prediction", [None, *predictions[1:]]))
    with pytest.raises(InputError, match=r"not classes of the target: \['7'\]"):
        cbpe.estimate(with_column(window, "prediction", ["7", *predictions[1:]]))


def test_non_finite_and_missing_features_are_fine(cbpe: CBPE) -> None:
    window = binary(200, np.random.default_rng(9))
    x2 = window.column("x2").to_numpy().copy()
    x2[:5], x2[5:10] = np.nan, np.inf
    found = cbpe.estimate(with_column(window, "x2", x2.tolist()))
    assert found[0].details["out_of_support"] == pytest.approx(5 / 200, abs=0.01)


def test_an_unfitted_estimator_says_so() -> None:
    with pytest.raises(CheckError, match="not fitted"):
        CBPE().estimate(binary(10, np.random.default_rng(0)))
    with pytest.raises(CheckError, match="not fitted"):
        DLE().estimate(regression(10, np.random.default_rng(0)))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: CBPE(metrics=("roc_auc", "mae")), UnknownCheck, r"cannot estimate \['mae'\]"),
        (lambda: CBPE(metrics=()), UnknownCheck, "non-empty list"),
        (lambda: CBPE(calibration="platt"), InputError, "calibration must be one of"),
        (lambda: CBPE(folds=1), CheckError, "folds >= 2"),
    ],
)
def test_bad_parameters_are_named_at_fit(
    reference: pa.Table, make: Callable[[], CBPE], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        make().fit(reference, schema_of(reference))


def test_a_target_with_one_class_cannot_be_estimated(reference: pa.Table) -> None:
    one = with_column(reference, "target", ["1"] * reference.num_rows)
    with pytest.raises(CheckError, match="1 class"):
        CBPE().fit(one, schema_of(reference))


def test_too_few_labelled_reference_rows(reference: pa.Table) -> None:
    labels = [None] * reference.num_rows
    labels[:6] = ["0", "1", "0", "1", "0", "1"]
    with pytest.raises(CheckError, match="at least 10 labelled reference rows"):
        CBPE().fit(with_column(reference, "target", labels), schema_of(reference))


def test_the_schema_must_fit_the_estimator(reference: pa.Table) -> None:
    no_scores = schema_of(reference).override(score={"role": "feature"})
    with pytest.raises(CheckError, match="one score column"):
        CBPE().fit(reference, no_scores)
    numeric = schema_of(reference).override(target={"kind": "numeric"})
    with pytest.raises(CheckError, match="CBPE needs a categorical or boolean target"):
        CBPE().fit(reference, numeric)
    with pytest.raises(CheckError, match="DLE needs a numeric target"):
        DLE().fit(reference, schema_of(reference))
    table = regression(100, np.random.default_rng(0))
    no_prediction = schema_of(table).override(prediction={"role": "feature"})
    with pytest.raises(CheckError, match="role 'prediction'"):
        DLE().fit(table, no_prediction)


def test_a_class_without_a_score_column_is_named() -> None:
    table = multiclass(300, np.random.default_rng(10)).drop_columns(["proba_dog"])
    with pytest.raises(CheckError, match="class 'dog' has none"):
        CBPE().fit(table, schema_of(table))


def test_dle_names_a_missing_feature_and_missing_predictions(dle: DLE) -> None:
    window = regression(30, np.random.default_rng(11))
    with pytest.raises(UnknownColumn, match="window has no column 'site'"):
        dle.estimate(window.drop_columns(["site"]))
    predictions = window.column("prediction").to_pylist()
    with pytest.raises(InputError, match="column 'prediction' of the window has 1 missing"):
        dle.estimate(with_column(window, "prediction", [None, *predictions[1:]]))


CASES = {
    "one row": lambda t: t.slice(0, 1),
    "two rows": lambda t: t.slice(0, 2),
    "all features missing": lambda t: with_column(t, "x1", [None] * t.num_rows),
    "huge values": lambda t: with_column(t, "x1", [1e300] * t.num_rows),
    "unseen categories": lambda t: with_column(
        t, t.column_names[2], [f"new-{i}" for i in range(t.num_rows)]
    ),
    "all labels of one class": lambda t: with_column(
        t, "target", [t.column("target")[0].as_py()] * t.num_rows
    ),
    "no target column": lambda t: t.drop_columns(["target"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kind", ["cbpe", "dle"])
def test_the_edge_case_matrix_gives_findings_or_a_steward_error(
    case: str, kind: str, cbpe: CBPE, dle: DLE
) -> None:
    estimator = cbpe if kind == "cbpe" else dle
    make = binary if kind == "cbpe" else regression
    window = CASES[case](make(100, np.random.default_rng(12)))
    try:
        found = estimator.estimate(window, window_index=0)
    except StewardError:
        return
    assert len(found) == len(estimator.metrics_)
    for f in found:
        data = f.to_dict()
        assert data["statistic"] is None or math.isfinite(data["statistic"])
        assert f.verdict in set(Verdict)
