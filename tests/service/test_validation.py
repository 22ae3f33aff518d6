"""Request rows → Arrow: names, types, missing values and the row each error is in."""

from __future__ import annotations

import time

import pyarrow as pa
import pytest

from steward._exceptions import InputError
from steward.schema import Column, Kind, Role, Schema
from steward.service.validation import check_ids, rows_to_table

SCHEMA = Schema(
    columns=(
        Column(name="age", kind=Kind.NUMERIC, dtype="int64"),
        Column(name="income", kind=Kind.NUMERIC, dtype="double"),
        Column(name="plan", kind=Kind.CATEGORICAL, dtype="string"),
        Column(name="stars", kind=Kind.CATEGORICAL, dtype="int64"),
        Column(name="active", kind=Kind.BOOLEAN, dtype="bool"),
        Column(name="seen", kind=Kind.DATETIME, dtype="timestamp[us]"),
        Column(name="region", kind=Kind.CATEGORICAL, role=Role.SEGMENT, dtype="string"),
        Column(name="y", kind=Kind.CATEGORICAL, role=Role.TARGET, dtype="int64"),
    )
)
ROW = {
    "age": 41,
    "income": 3.5,
    "plan": "pro",
    "stars": 4,
    "active": True,
    "seen": "2026-03-01T10:00:00",
}


def test_builds_typed_columns_in_schema_order() -> None:
    table = rows_to_table([ROW, {**ROW, "income": 2, "age": None}], SCHEMA)
    assert table.column_names == ["age", "income", "plan", "stars", "active", "seen"]
    assert table.column("age").type == pa.int64()
    assert table.column("age").to_pylist() == [41, None]
    assert table.column("income").to_pylist() == [3.5, 2.0]
    assert table.column("plan").type == pa.string()
    assert table.column("active").to_pylist() == [True, True]
    assert pa.types.is_timestamp(table.column("seen").type)


def test_optional_input_columns_are_kept_when_sent() -> None:
    table = rows_to_table([{**ROW, "region": "eu"}, ROW], SCHEMA)
    assert table.column("region").to_pylist() == ["eu", None]


def test_unknown_columns_are_named_with_their_row() -> None:
    with pytest.raises(InputError, match=r"unknown column\(s\) \['colour'\] \(first in row 1\)"):
        rows_to_table([ROW, {**ROW, "colour": "red"}], SCHEMA)


def test_target_is_not_an_input() -> None:
    with pytest.raises(InputError, match=r"unknown column\(s\) \['y'\]"):
        rows_to_table([{**ROW, "y": 1}], SCHEMA)


def test_missing_features_are_named_with_their_row() -> None:
    partial = {k: v for k, v in ROW.items() if k not in ("plan", "stars")}
    with pytest.raises(InputError, match=r"missing feature column\(s\) \['plan', 'stars'\] "):
        rows_to_table([ROW, ROW, partial], SCHEMA)
    with pytest.raises(InputError, match=r"first in row 2"):
        rows_to_table([ROW, ROW, partial], SCHEMA)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("age", "41", "expected a number"),
        ("income", {"a": 1}, "expected a number"),
        ("age", True, "expected a number"),
        ("plan", 3, "expected a string"),
        ("plan", ["pro"], "expected a string"),
        ("stars", "four", "expected a number"),
        ("active", "yes", "expected a boolean"),
        ("seen", "yesterday", "not an ISO 8601 date-time"),
    ],
)
def test_wrong_types_name_the_column_and_row(column: str, value: object, expected: str) -> None:
    rows = [ROW, ROW, {**ROW, column: value}]
    with pytest.raises(InputError) as info:
        rows_to_table(rows, SCHEMA)
    message = str(info.value)
    assert f"column {column!r}" in message
    assert "row 2" in message
    assert expected in message


def test_every_bad_column_is_reported_at_once() -> None:
    with pytest.raises(InputError) as info:
        rows_to_table([{**ROW, "age": "x", "plan": 1.5}], SCHEMA)
    assert "'age'" in str(info.value) and "'plan'" in str(info.value)


def test_empty_rows_are_refused() -> None:
    with pytest.raises(InputError, match="rows is empty"):
        rows_to_table([], SCHEMA)


def test_ids_default_and_checked() -> None:
    assert check_ids(None, 2, "r1") == ["r1:0", "r1:1"]
    assert check_ids(["a", 7], 2, "r1") == ["a", "7"]
    with pytest.raises(InputError, match="ids has 1 values but rows has 2"):
        check_ids(["a"], 2, "r1")
    with pytest.raises(InputError, match=r"ids\[1\]"):
        check_ids(["a", 1.5], 2, "r1")


def test_large_batches_are_fast() -> None:
    rows = [dict(ROW, age=i) for i in range(10_000)]
    started = time.perf_counter()
    table = rows_to_table(rows, SCHEMA)
    elapsed = time.perf_counter() - started
    assert table.num_rows == 10_000
    assert table.column("age").to_pylist()[-1] == 9_999
    assert elapsed < 0.5, f"10 000 rows took {elapsed:.3f} s"
