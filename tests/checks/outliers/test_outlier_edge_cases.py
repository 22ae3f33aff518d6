"""Every registered detector over an edge-case matrix: a result or a StewardError, never a
raw NumPy or scikit-learn traceback."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from steward._exceptions import CheckError, EmptyInput, InputError, StewardError, UnknownColumn
from steward.checks.outliers import REGISTRY, check_outliers, get
from steward.findings import Verdict
from steward.schema import infer_schema

N = 400
NAMES = sorted(REGISTRY)


def fast(name: str):
    return get(name).factory(**({"n_estimators": 20} if name == "isolation_forest" else {}))


def mixed(n: int = N, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "x": rng.normal(size=n),
            "y": rng.exponential(size=n),
            "plan": rng.choice(["a", "b", "c"], n),
        }
    )


CASES = {
    "all categorical": lambda: pa.table({"plan": np.random.default_rng(1).choice(["a", "b"], N)}),
    "constant numeric": lambda: mixed().append_column("k", pa.array(np.full(N, 5.0))),
    "all constant": lambda: pa.table({"k": np.full(N, 5.0), "j": np.full(N, 1.0)}),
    "nan and inf in reference": lambda: mixed().set_column(
        0,
        "x",
        pa.array(np.r_[np.nan, np.inf, -np.inf, np.random.default_rng(2).normal(size=N - 3)]),
    ),
    "nulls everywhere": lambda: pa.table(
        {"x": pa.array([None] * N, pa.float64()), "plan": pa.array([None] * N, pa.string())}
    ),
    "huge cardinality": lambda: mixed().append_column("tag", pa.array([f"t{i}" for i in range(N)])),
    "numbers as strings": lambda: pa.table(
        {"x": [str(v) for v in np.random.default_rng(3).normal(size=N)], "z": np.arange(N) * 1.0}
    ),
    "booleans only": lambda: pa.table({"b": np.random.default_rng(4).random(N) < 0.3}),
    "two rows": lambda: mixed(2),
}


def outcome(call):
    """The call's result, or the StewardError it raised (anything else fails the test)."""
    try:
        return call()
    except StewardError as exc:
        return exc


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", NAMES)
def test_edge_cases_give_scores_or_a_steward_error(name, case):
    table = CASES[case]()
    schema = infer_schema(
        table, overrides={"tag": {"role": "feature"}} if "tag" in table.column_names else None
    )
    detector = outcome(lambda: fast(name).fit(table, schema))
    if isinstance(detector, StewardError):
        return
    scores = detector.score(table)
    assert scores.shape == (table.num_rows,) and np.isfinite(scores).all()
    (finding,) = check_outliers([detector], table)
    assert finding.verdict in (Verdict.OK, Verdict.FAIL)


@pytest.mark.parametrize("name", NAMES)
def test_nan_and_inf_in_the_window_score_finitely(name):
    detector = fast(name).fit(mixed(), infer_schema(mixed()))
    window = pa.table(
        {"x": [np.nan, np.inf, -np.inf, 0.0], "y": [1.0, 1.0, np.nan, None], "plan": ["a"] * 4}
    )
    scores = detector.score(window)
    assert np.isfinite(scores).all()
    assert scores[1] > detector.threshold_  # +inf is outlying


@pytest.mark.parametrize("name", NAMES)
def test_one_row_and_empty_windows(name):
    detector = fast(name).fit(mixed(), infer_schema(mixed()))
    assert detector.score(mixed(1)).shape == (1,)
    assert detector.score(mixed().slice(0, 0)).shape == (0,)
    (finding,) = check_outliers([detector], mixed(1, seed=9))
    assert finding.details["rows"] == 1


@pytest.mark.parametrize("name", NAMES)
def test_input_errors_name_the_problem(name):
    schema = infer_schema(mixed())
    with pytest.raises(InputError, match="at least 20"):
        fast(name).fit(mixed(5), schema)
    with pytest.raises(EmptyInput):
        fast(name).fit(mixed().slice(0, 0), schema)
    with pytest.raises(InputError, match="false-positive"):
        fast(name).fit(mixed(), schema, fpr=0.7)
    with pytest.raises(CheckError, match="not fitted"):
        fast(name).score(mixed())
    with pytest.raises(UnknownColumn, match="'x'"):
        fast(name).fit(mixed().drop_columns(["x"]), schema)
    detector = fast(name).fit(mixed(), schema)
    with pytest.raises(UnknownColumn, match="'x'"):
        detector.score(mixed().drop_columns(["x"]))


def test_mahalanobis_refuses_constant_and_categorical_only_data():
    for case in ("all constant", "all categorical"):
        table = CASES[case]()
        with pytest.raises(CheckError, match="mahalanobis"):
            get("mahalanobis").factory().fit(table, infer_schema(table))


def test_a_value_off_a_constant_column_is_extreme():
    table = CASES["constant numeric"]()
    detector = get("extreme_value").factory().fit(table, infer_schema(table))
    window = table.slice(0, 2).set_column(3, "k", pa.array([5.0, 5.5]))
    assert detector.flag(window).tolist() == [False, True]


def test_unseen_categories_are_extreme_but_high_cardinality_does_not_flood():
    table = CASES["huge cardinality"]()
    schema = infer_schema(table, overrides={"tag": {"role": "feature"}})
    detector = get("extreme_value").factory().fit(table, schema)
    fresh = mixed(N, seed=5).append_column("tag", pa.array([f"new{i}" for i in range(N)]))
    assert detector.flag(fresh).mean() < 0.05  # every tag is new, and that is normal here
    plain = get("extreme_value").factory().fit(mixed(), infer_schema(mixed()))
    assert plain.flag(mixed(3).set_column(2, "plan", pa.array(["a", "zz", "b"]))).tolist() == [
        False,
        True,
        False,
    ]
