"""Row-level skew on hand-made tables whose mismatches are known exactly."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from steward._exceptions import UnknownColumn
from steward.checks.skew import row_skew
from steward.findings import Verdict

NAN = float("nan")


def _skew(training, serving, **options):
    findings = row_skew(training, serving, id="id", **options)
    for finding in findings:
        json.dumps(finding.to_dict(), allow_nan=False)
    join = findings[0]
    assert join.check == "skew.row_join" and join.column is None
    return join, {f.column: f for f in findings[1:]}


def test_exact_shares_per_column():
    training = pa.table({"id": [1, 2, 3, 4], "x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "c", "d"]})
    serving = pa.table({"id": [4, 3, 2, 1], "x": [4.0, 3.5, 2.0, 0.0], "c": ["d", "c", "B", "a"]})
    join, columns = _skew(training, serving)
    assert join.verdict is Verdict.OK and join.statistic == 1.0
    assert join.details["joined_rows"] == 4
    x, c = columns["x"], columns["c"]
    assert (x.check, x.statistic, x.verdict, x.threshold) == (
        "skew.row_mismatch",
        0.5,
        Verdict.FAIL,
        0.01,
    )
    assert x.details["mean_abs_diff"] == pytest.approx(0.75)  # |3.5-3| and |0-1|
    assert x.details["max_abs_diff"] == 1.0
    assert x.details["mean_diff"] == pytest.approx(-0.25)
    assert x.details["examples"] == [
        {"id": 1, "training": 1.0, "serving": 0.0},
        {"id": 3, "training": 3.0, "serving": 3.5},
    ]
    assert c.statistic == 0.25
    assert c.details["top_pairs"] == [{"training": "b", "serving": "B", "count": 1}]


def test_nan_equals_nan_and_null_differs_from_a_value():
    training = pa.table(
        {
            "id": [1, 2, 3, 4, 5],
            "x": pa.array([NAN, None, None, 1.0, 2.0]),
            "c": ["a", None, None, "b", "c"],
        }
    )
    serving = pa.table(
        {
            "id": [1, 2, 3, 4, 5],
            "x": pa.array([NAN, None, 7.0, None, 2.0 + 1e-12]),
            "c": ["a", None, "z", None, "c"],
        }
    )
    _, columns = _skew(training, serving)
    assert columns["x"].statistic == 0.4  # rows 3 and 4: missing on one side only
    assert columns["x"].details["missing_mismatch"] == 2
    assert columns["x"].details["mean_abs_diff"] is None  # no pair with two values differs
    assert columns["c"].statistic == 0.4
    pairs = {(p["training"], p["serving"]) for p in columns["c"].details["top_pairs"]}
    assert pairs == {("(missing)", "z"), ("b", "(missing)")}


def test_tolerances():
    training = pa.table({"id": [1, 2, 3], "x": [1.0, 1000.0, 0.0]})
    serving = pa.table({"id": [1, 2, 3], "x": [1.0 + 1e-7, 1000.0 + 1e-4, 1e-10]})
    assert _skew(training, serving)[1]["x"].statistic == 0.0
    strict = _skew(training, serving, rtol=0.0, atol=0.0)[1]["x"]
    assert strict.statistic == 1.0


def test_unmatched_and_duplicated_ids_are_counted_never_dropped_silently():
    training = pa.table({"id": [1, 2, 2, 3, None, 9], "x": [1.0, 2.0, 2.5, 3.0, 0.0, 9.0]})
    serving = pa.table({"id": [1, 2, 3, 4, 5], "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    join, columns = _skew(training, serving)
    d = join.details
    assert d["joined_rows"] == 4  # id 2 pairs with both training rows
    assert (d["training_duplicate_ids"], d["training_duplicate_rows"]) == (1, 1)
    assert (d["training_null_ids"], d["serving_null_ids"]) == (1, 0)
    assert (d["training_only_ids"], d["serving_only_ids"]) == (1, 2)
    assert join.statistic == pytest.approx(3 / 5)  # serving ids found in training
    assert join.verdict is Verdict.WARN  # duplicated and null ids
    assert "duplicated ids: 1 / 0" in join.message
    assert columns["x"].statistic == 0.25  # the second training row of id 2
    assert columns["x"].details["examples"] == [{"id": 2, "training": 2.5, "serving": 2.0}]


def test_warn_and_fail_shares():
    ids = list(range(1000))
    training = pa.table({"id": ids, "x": [0.0] * 1000})
    few = pa.table({"id": ids, "x": [1.0] * 5 + [0.0] * 995})
    many = pa.table({"id": ids, "x": [1.0] * 20 + [0.0] * 980})
    assert _skew(training, training)[1]["x"].verdict is Verdict.OK
    assert _skew(training, few)[1]["x"].verdict is Verdict.WARN  # 0.5%
    assert _skew(training, many)[1]["x"].verdict is Verdict.FAIL  # 2%
    assert _skew(training, many, fail_share=0.05)[1]["x"].verdict is Verdict.WARN


def test_nothing_joined_fails_and_columns_are_not_compared():
    join, columns = _skew(
        pa.table({"id": [1, 2], "x": [1, 2]}), pa.table({"id": [3, 4], "x": [1, 2]})
    )
    assert join.verdict is Verdict.FAIL and join.statistic == 0.0
    assert columns["x"].verdict is Verdict.UNRELIABLE


def test_ids_of_different_types_and_pandas_inputs():
    training = pd.DataFrame({"id": [1, 2, 3], "x": [1, 2, 3], "only_t": [0, 0, 0]})
    serving = pd.DataFrame({"id": ["1", "2", "3"], "x": [1.0, 2.0, 4.0], "only_s": [1, 1, 1]})
    join, columns = _skew(training, serving)
    assert join.details["id_compared_as"] == "string" and join.details["joined_rows"] == 3
    assert join.details["training_only_columns"] == ["only_t"]
    assert join.details["serving_only_columns"] == ["only_s"]
    assert list(columns) == ["x"] and columns["x"].statistic == pytest.approx(1 / 3)


def test_columns_are_chosen_and_checked():
    table = pa.table({"id": [1], "a": [1], "b": [2]})
    assert list(_skew(table, table, columns=["b"])[1]) == ["b"]
    with pytest.raises(UnknownColumn, match="serving"):
        row_skew(table, table.drop_columns(["b"]), id="id", columns=["b"])
    with pytest.raises(UnknownColumn, match="'key'"):
        row_skew(table, table, id="key")
