"""Preprocessing parity: raw training rows replayed through the serving preprocessing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from steward._exceptions import CheckError, InputError
from steward.checks.skew import preprocessing_parity
from steward.findings import Verdict

RAW = pd.DataFrame(
    {
        "id": [10, 11, 12, 13],
        "age": [20.0, 30.0, 40.0, 50.0],
        "city": ["Oslo", "Rome", "oslo", "Lima"],
    }
)
FEATURES = pd.DataFrame(
    {
        "id": [10, 11, 12, 13],
        "age_z": [-1.5, -0.5, 0.5, 1.5],
        "city": ["oslo", "rome", "oslo", "lima"],
    }
)


def correct(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"age_z": (frame["age"] - 35.0) / 10.0, "city": frame["city"].str.lower()})


def _by_column(findings):
    return {f.column: f for f in findings}


def test_a_correct_callable_reproduces_every_feature():
    findings = _by_column(preprocessing_parity(RAW, FEATURES, correct, id="id"))
    join = findings.pop(None)
    assert join.check == "skew.preprocessing_join" and join.verdict is Verdict.OK
    assert list(findings) == ["age_z", "city"]
    assert all(
        f.check == "skew.preprocessing" and f.verdict is Verdict.OK and f.statistic == 0
        for f in findings.values()
    )


def test_a_buggy_callable_fails_the_column_it_gets_wrong_with_the_share():
    def buggy(frame):
        out = correct(frame)
        out.loc[frame["age"] > 35, "age_z"] *= 10  # scaled wrong for half the rows
        return out

    findings = _by_column(preprocessing_parity(RAW, FEATURES, buggy, id="id"))
    age = findings["age_z"]
    assert (age.verdict, age.statistic, age.details["differing"]) == (Verdict.FAIL, 0.5, 2)
    assert age.details["max_abs_diff"] == pytest.approx(13.5)  # 15 instead of 1.5
    assert age.details["examples"][0] == {"id": 12, "training": 0.5, "serving": 5.0}
    assert findings["city"].verdict is Verdict.OK


def test_the_callable_gets_the_type_the_user_passed():
    seen = []

    def spy(rows):
        seen.append(type(rows))
        return correct(rows.to_pandas() if isinstance(rows, pa.Table) else rows)

    preprocessing_parity(RAW, FEATURES, spy, id="id")
    preprocessing_parity(pa.Table.from_pandas(RAW), FEATURES, spy, id="id")
    preprocessing_parity(RAW.to_dict("records"), FEATURES, spy, id="id")
    assert seen == [pd.DataFrame, pa.Table, pa.Table]


def test_rows_align_by_position_without_an_id():
    def arrow(table: pa.Table) -> pa.Table:
        scaled = pc.divide(pc.subtract(table["age"], 35.0), 10.0)
        return pa.table({"age_z": scaled, "city": pc.utf8_lower(table["city"])})

    features = FEATURES.drop(columns=["id"])
    findings = preprocessing_parity(pa.Table.from_pandas(RAW), features, arrow)
    assert [f.column for f in findings] == ["age_z", "city"]
    assert all(f.verdict is Verdict.OK for f in findings)


def test_a_passed_through_column_is_reported_not_failed_unless_required():
    findings = _by_column(preprocessing_parity(RAW, FEATURES, correct))
    assert findings["id"].verdict is Verdict.UNRELIABLE
    assert "passed through" in findings["id"].message
    required = preprocessing_parity(RAW, FEATURES, correct, columns=["id", "age_z"])
    assert required[0].verdict is Verdict.FAIL and required[0].statistic == 1.0


def test_a_feature_the_callable_does_not_produce_fails():
    features = FEATURES.assign(extra=[1, 2, 3, 4])
    findings = _by_column(preprocessing_parity(RAW, features, correct, id="id"))
    assert findings["extra"].verdict is Verdict.FAIL
    assert "did not return" in findings["extra"].message


def test_rows_align_by_id_whatever_order_the_callable_returns():
    def shuffled(frame):
        return correct(frame).assign(id=frame["id"]).iloc[::-1]

    findings = preprocessing_parity(RAW, FEATURES.iloc[[2, 0, 3, 1]], shuffled, id="id")
    assert all(f.verdict is Verdict.OK for f in findings)


def test_missing_feature_rows_fail_the_join():
    findings = preprocessing_parity(RAW.iloc[:3], FEATURES, correct, id="id")
    join = findings[0]
    assert join.verdict is Verdict.FAIL and join.statistic == 0.75
    assert join.details["features_only_ids"] == 1


def test_an_exception_in_the_callable_becomes_a_check_error():
    def broken(frame):
        return frame["no_such_column"]

    with pytest.raises(CheckError, match=r"callable .*broken raised KeyError: 'no_such_column'"):
        preprocessing_parity(RAW, FEATURES, broken, id="id")


def test_an_output_that_is_not_a_table_is_a_check_error():
    with pytest.raises(CheckError, match="returned int, which is not a table"):
        preprocessing_parity(RAW, FEATURES, lambda frame: 42, id="id")


def test_mismatched_lengths_name_both():
    with pytest.raises(InputError, match="raw has 3 rows but features has 4"):
        preprocessing_parity(RAW.iloc[:3], FEATURES, correct)
    with pytest.raises(CheckError, match="returned 2 rows for 4 raw rows"):
        preprocessing_parity(RAW, FEATURES, lambda frame: correct(frame).iloc[:2])


def test_numeric_types_may_differ_within_tolerance():
    def float32(frame):
        return correct(frame).astype({"age_z": np.float32})

    findings = _by_column(preprocessing_parity(RAW, FEATURES, float32, id="id"))
    assert findings["age_z"].verdict is Verdict.OK
