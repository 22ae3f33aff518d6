"""The model aggregates of a profile: what they hold, and that they merge exactly."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from performance_helpers import (
    ANIMALS,
    binary_schema,
    binary_table,
    multiclass_schema,
    multiclass_table,
    regression_schema,
    regression_table,
)

from steward._exceptions import ProfileMismatch
from steward.checks.performance import REGISTRY, PerformancePolicy, realised_metrics
from steward.checks.performance._check import _view
from steward.profile import Profile, profile
from steward.profile.model import MAX_CLASSES, ClassCounts, ErrorMoments, ModelProfile
from steward.schema import Column, Kind, Role, Schema, infer_schema

LAWS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- what the aggregates hold --------------------------------------------------------------


def _model(table: pa.Table, **roles) -> ModelProfile:
    model = profile(table, infer_schema(table, **roles)).model
    assert model is not None
    return model


def test_no_target_means_no_model_aggregates():
    assert profile(pa.table({"x": [1.0, 2.0]})).model is None


def test_task_follows_the_target_kind():
    assert _model(binary_table(50), target="y").task == "binary"
    assert _model(multiclass_table(50), target="animal").task == "multiclass"
    assert _model(regression_table(50), target="target").task == "regression"


@pytest.mark.parametrize(
    ("labels", "positive"),
    [
        (["0", "1"], "1"),
        ([0, 1], "1"),
        (["no", "yes"], "yes"),
        (["true", "false"], "true"),
        (["cat", "dog"], "dog"),
        (["b", "a"], "b"),
        ([2, 10], "10"),
        (["0"], "1"),
    ],
)
def test_the_positive_class(labels, positive):
    table = pa.table({"y": labels * 10, "score": [0.5] * (10 * len(labels))})
    schema = infer_schema(
        table, target="y", score="score", overrides={"y": {"kind": "categorical"}}
    )
    counts = profile(table, schema).model.classes
    assert counts.positive == positive
    assert counts.score_columns == ("score",)


def test_boolean_targets_have_both_classes():
    table = pa.table({"y": [True, True], "p": [1, 1]})
    counts = _model(table, target="y", prediction="p").classes
    assert counts.classes == ("false", "true")
    assert counts.confusion.tolist() == [[0, 0, 0], [0, 2, 0], [0, 0, 0]]


def test_predicted_labels_that_mean_the_same_truth_value():
    table = pa.table({"y": ["yes", "no", "yes", "no"], "p": [1, 0, 0, 0]})
    schema = infer_schema(table, target="y", prediction="p")
    counts = profile(table, schema).model.classes
    assert counts.classes == ("false", "true")  # "yes"/"no" is read as a boolean
    assert int(np.trace(counts.confusion)) == 3


def test_multiclass_score_columns_are_matched_by_name():
    n = 30
    table = pa.table(
        {"label": ["a", "b", "c"] * 10, "proba_a": [0.2] * n, "b": [0.3] * n, "score_c": [0.5] * n}
    )
    counts = _model(table, target="label", score=["score_c", "b", "proba_a"]).classes
    assert counts.score_columns == ("proba_a", "b", "score_c")
    assert counts.score_classes == (0, 1, 2)


def test_unmatched_score_columns_are_not_used():
    table = pa.table({"label": ["a", "b", "c"] * 5, "score_a": [0.2] * 15, "other": [0.3] * 15})
    counts = _model(table, target="label", score=["score_a", "other"]).classes
    assert counts.score_columns == ()
    assert counts.scored == 0


def test_labels_unseen_in_the_reference_go_to_other():
    ref = profile(multiclass_table(300), multiclass_schema())
    window = multiclass_table(100, seed=1)
    fish = pa.array(["fish"] * 10 + window.column("animal").to_pylist()[10:])
    window = window.set_column(0, "animal", fish)
    counts = profile(window, multiclass_schema(), reference=ref).model.classes
    assert counts.classes == ANIMALS
    assert counts.confusion[-1].sum() == 10
    assert counts.scored == 90  # score metrics use rows of known classes


def test_at_most_max_classes_are_kept():
    labels = [f"c{i}" for i in range(MAX_CLASSES + 20)] * 2
    counts = _model(pa.table({"y": labels, "p": labels}), target="y", prediction="p").classes
    assert len(counts.classes) == MAX_CLASSES
    assert counts.confusion[-1, -1] == 40  # the folded classes


def test_missing_and_invalid_scores_are_counted_and_left_out():
    table = pa.table(
        {"y": [0, 1, 0, 1, 1], "score": [0.1, None, float("nan"), 1.5, 0.9]},
        schema=pa.schema([("y", pa.int64()), ("score", pa.float64())]),
    )
    counts = _model(table, target="y", score="score").classes
    assert (counts.missing_scores, counts.invalid_scores, counts.scored) == (2, 1, 2)
    assert counts.unpredicted == 3  # predictions come from the scores here


def test_labels_missing_on_part_of_the_rows():
    table = pa.table({"y": [1.0, None, 3.0, float("nan")], "prediction": [1.0, 2.0, None, 4.0]})
    model = _model(table, target="y", prediction="prediction")
    assert (model.labelled, model.unlabelled, model.coverage) == (2, 2, 0.5)
    assert (model.errors.paired, model.errors.unpredicted) == (1, 1)


def test_an_empty_table_has_zero_coverage():
    model = profile(binary_table(10).slice(0, 0), binary_schema()).model
    assert (model.rows, model.coverage) == (0, 0.0)


# --- merging -------------------------------------------------------------------------------


def assert_models_equal(a: ModelProfile, b: ModelProfile) -> None:
    assert (a.target, a.task, a.labelled, a.unlabelled) == (
        b.target,
        b.task,
        b.labelled,
        b.unlabelled,
    )
    if a.classes is not None:
        _assert_counts_equal(a.classes, b.classes)
    if a.errors is not None:
        _assert_errors_equal(a.errors, b.errors)


def _assert_counts_equal(a: ClassCounts, b: ClassCounts) -> None:
    assert a.layout == b.layout
    for name in ("confusion", "hist"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in ("score_sums", "losses"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-9)
    assert (a.unpredicted, a.missing_scores, a.invalid_scores) == (
        b.unpredicted,
        b.missing_scores,
        b.invalid_scores,
    )


def _assert_errors_equal(a: ErrorMoments, b: ErrorMoments) -> None:
    assert (a.zero_targets, a.unpredicted) == (b.zero_targets, b.unpredicted)
    for name in ("target", "error", "absolute", "percentage"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.n == y.n
        scale = max(1.0, abs(x.mean), x.m2, abs(x.m3), x.m4)
        for field in ("mean", "m2", "m3", "m4"):
            assert getattr(x, field) == pytest.approx(getattr(y, field), abs=1e-7 * scale)
    cross = b.recentred(a.shift)
    np.testing.assert_allclose(a.cross, cross, rtol=1e-7, atol=1e-7 * max(1.0, *np.abs(cross)))


labels = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "zz"]))
scores = st.one_of(st.none(), st.floats(0.0, 1.0), st.sampled_from([float("nan"), 1.5]))
class_rows = st.lists(st.tuples(labels, labels, scores, scores, scores), max_size=40)
# magnitudes below 1e-6 would make |e| / |y| so large that its fourth power overflows
finite = st.floats(-100, 100).filter(lambda v: v == 0 or abs(v) > 1e-6)
numbers = st.one_of(st.none(), finite, st.just(0.0), st.just(float("nan")))
regression_rows = st.lists(st.tuples(numbers, numbers), max_size=40)
CLASS_SCHEMA = Schema(
    columns=(
        Column(name="y", kind=Kind.CATEGORICAL, role=Role.TARGET),
        Column(name="pred", kind=Kind.CATEGORICAL, role=Role.PREDICTION),
        Column(name="score_a", kind=Kind.NUMERIC, role=Role.SCORE),
        Column(name="b", kind=Kind.NUMERIC, role=Role.SCORE),
        Column(name="proba_c", kind=Kind.NUMERIC, role=Role.SCORE),
    )
)
REGRESSION_SCHEMA = Schema(
    columns=(
        Column(name="y", kind=Kind.NUMERIC, role=Role.TARGET),
        Column(name="pred", kind=Kind.NUMERIC, role=Role.PREDICTION),
    )
)
REFERENCE = {
    "class": pa.table(
        {
            "y": ["a", "b", "c"] * 2,
            "pred": ["a"] * 6,
            "score_a": [0.3] * 6,
            "b": [0.7] * 6,
            "proba_c": [0.0] * 6,
        }
    ),
    "regression": pa.table({"y": [1.0, 2.0, 3.0], "pred": [1.0, 2.5, 2.0]}),
}


def _class_table(rows) -> pa.Table:
    names, types = ["y", "pred", "score_a", "b", "proba_c"], [pa.string()] * 2 + [pa.float64()] * 3
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return pa.table(
        {n: pa.array(list(c), type=t) for n, c, t in zip(names, columns, types, strict=True)}
    )


def _regression_table(rows) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [[], []]
    return pa.table(
        {
            n: pa.array(list(c), type=pa.float64())
            for n, c in zip(["y", "pred"], columns, strict=True)
        }
    )


@st.composite
def windows(draw: st.DrawFn) -> tuple[str, list[pa.Table]]:
    task = draw(st.sampled_from(["class", "regression"]))
    rows = draw(class_rows if task == "class" else regression_rows)
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), min_size=2, max_size=2)))
    parts = [rows[: cuts[0]], rows[cuts[0] : cuts[1]], rows[cuts[1] :]]
    make = _class_table if task == "class" else _regression_table
    return task, [make(rows), *(make(p) for p in parts)]


def _profiles(task: str, tables: list[pa.Table]) -> list[Profile]:
    schema = CLASS_SCHEMA if task == "class" else REGRESSION_SCHEMA
    ref = profile(REFERENCE[task], schema)
    return [profile(t, schema, reference=ref) for t in tables]


@LAWS
@given(windows())
def test_merge_is_associative_and_commutative(case):
    _, a, b, c = _profiles(*case)
    assert_models_equal(a.merge(b).merge(c).model, a.merge(b.merge(c)).model)
    assert_models_equal(a.merge(b).model, b.merge(a).model)
    assert_models_equal(a.merge(b).merge(c).model, c.merge(a).merge(b).model)


@LAWS
@given(windows())
def test_merged_windows_equal_the_whole(case):
    whole, a, b, c = _profiles(*case)
    assert_models_equal(a.merge(b).merge(c).model, whole.model)


@LAWS
@given(windows())
def test_model_aggregates_survive_bytes(case):
    whole = _profiles(*case)[0]
    back = Profile.from_bytes(whole.to_bytes())
    assert_models_equal(back.model, whole.model)
    assert back.to_bytes() == whole.to_bytes()


@pytest.mark.parametrize(
    ("table", "schema"),
    [
        (binary_table(3000, seed=1), binary_schema()),
        (multiclass_table(3000, seed=2), multiclass_schema()),
        (regression_table(3000, seed=3), regression_schema()),
    ],
)
def test_metrics_of_merged_windows_equal_metrics_of_all_rows(table, schema):
    ref = profile(table.slice(0, 500), schema)
    whole = profile(table, schema, reference=ref)
    parts = [profile(table.slice(i, 1000), schema, reference=ref) for i in (0, 1000, 2000)]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    expected, found = realised_metrics(whole), realised_metrics(merged)
    assert set(found) == set(expected)
    for name, metric in expected.items():
        assert found[name].value == pytest.approx(metric.value, rel=1e-9, abs=1e-12), name
        assert found[name].lower == pytest.approx(metric.lower, rel=1e-6, abs=1e-9), name
        assert found[name].upper == pytest.approx(metric.upper, rel=1e-6, abs=1e-9), name


@LAWS
@given(regression_rows, regression_rows)
def test_error_moments_merge_across_shifts(first, second):
    a, b = (_errors(rows) for rows in (first, second))
    whole = _errors(first + second)
    merged = a.merge(b)
    _assert_errors_equal(merged, whole)
    _assert_errors_equal(b.merge(a), whole)


def _errors(rows) -> ErrorMoments:
    table = _regression_table(rows)
    y, y_hat = (
        np.asarray(table.column(c).to_numpy(zero_copy_only=False), float) for c in ("y", "pred")
    )
    labelled = np.isfinite(y)
    return ErrorMoments.build(y[labelled], y_hat[labelled], None)


@pytest.mark.filterwarnings("error")
def test_values_whose_powers_overflow_make_metrics_absent_without_warnings():
    y = np.array([1.0, 2.0, 1e-300, 4.0])
    errors = ErrorMoments.build(y, np.full(4, 1e200), None)
    model = ModelProfile("y", "regression", 4, 0, errors=errors)
    view = _view(model, PerformancePolicy())
    assert errors.zero_targets == 1
    for name in ("rmse", "r2"):
        metric = REGISTRY[name].compute(view)
        assert metric is None or not np.isfinite(metric.value)


def test_profiles_with_other_classes_do_not_merge():
    a = profile(pa.table({"y": ["a", "b"]}), infer_schema(pa.table({"y": ["a", "b"]}), target="y"))
    b = profile(pa.table({"y": ["c", "d"]}), a.schema)
    with pytest.raises(ProfileMismatch, match="same reference"):
        a.merge(b)


def test_a_profile_without_model_aggregates_does_not_merge_with_one_that_has_them():
    a = profile(binary_table(20), binary_schema())
    b = Profile(a.schema, a.rows, a.columns, a.reservoir, a.duplicate_rows, a.config, a.unparsed)
    with pytest.raises(ProfileMismatch, match="model aggregates"):
        a.merge(b)
