"""One adapter from whatever the user holds to an Arrow table, with clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steward._exceptions import EmptyInput, InputError, StewardError, UnreadableInput
from steward.io import to_arrow

EXPECTED = [
    {"x": 1.5, "n": 1, "s": "a"},
    {"x": 2.5, "n": 2, "s": None},
    {"x": -1.0, "n": 3, "s": "c"},
]


def rows(table: pa.Table) -> list[dict]:
    return table.to_pylist()


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.5, 2.5, -1.0], "n": [1, 2, 3], "s": ["a", None, "c"]})


def test_pyarrow_table_is_returned_as_is():
    table = pa.table({"a": [1, 2]})
    assert to_arrow(table) is table


def test_record_batch():
    batch = pa.record_batch({"a": [1, 2], "b": ["x", "y"]})
    assert rows(to_arrow(batch)) == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


def test_pandas(frame):
    table = to_arrow(frame)
    assert table.column_names == ["x", "n", "s"]
    assert rows(table) == EXPECTED
    assert pa.types.is_floating(table.schema.field("x").type)
    assert pa.types.is_integer(table.schema.field("n").type)


def test_pandas_index_is_not_a_column(frame):
    frame.index = [10, 20, 30]
    assert to_arrow(frame).column_names == ["x", "n", "s"]
    assert rows(to_arrow(frame)) == EXPECTED


def test_pandas_nullable_and_categorical_dtypes():
    frame = pd.DataFrame(
        {
            "i": pd.array([1, None, 3], dtype="Int64"),
            "c": pd.Categorical(["a", "b", "a"]),
            "t": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
        }
    )
    table = to_arrow(frame)
    assert table.column("i").to_pylist() == [1, None, 3]
    assert table.column("c").to_pylist() == ["a", "b", "a"]
    assert table.column("t").to_pylist() == [dt.datetime(2024, 1, 1), None, dt.datetime(2024, 1, 3)]


def test_pandas_mixed_types_become_strings():
    frame = pd.DataFrame({"m": [1, "a", 2.5, None], "x": [1.0, 2.0, 3.0, 4.0]})
    table = to_arrow(frame)
    assert table.column("m").to_pylist() == ["1", "a", "2.5", None]
    assert table.column("x").to_pylist() == [1.0, 2.0, 3.0, 4.0]


def test_polars_eager_and_lazy(frame):
    eager = pl.from_pandas(frame)
    assert rows(to_arrow(eager)) == EXPECTED
    assert rows(to_arrow(eager.lazy())) == EXPECTED
    lazy = eager.lazy().filter(pl.col("n") > 1).select("n", "s")
    assert rows(to_arrow(lazy)) == [{"n": 2, "s": None}, {"n": 3, "s": "c"}]


def test_numpy_two_and_one_dimensional():
    assert rows(to_arrow(np.array([[1.0, 2.0], [3.0, 4.0]]))) == [
        {"col_0": 1.0, "col_1": 2.0},
        {"col_0": 3.0, "col_1": 4.0},
    ]
    assert to_arrow(np.arange(3)).column("col_0").to_pylist() == [0, 1, 2]


def test_numpy_structured_array():
    array = np.array([(1, 2.5), (2, 3.5)], dtype=[("i", "i8"), ("f", "f8")])
    assert rows(to_arrow(array)) == [{"i": 1, "f": 2.5}, {"i": 2, "f": 3.5}]


def test_numpy_three_dimensions_is_refused():
    with pytest.raises(UnreadableInput, match="1 or 2 dimensions, not 3"):
        to_arrow(np.zeros((2, 2, 2)))


def test_dict_of_columns():
    assert rows(to_arrow({"a": [1, 2], "b": ["x", None]})) == [
        {"a": 1, "b": "x"},
        {"a": 2, "b": None},
    ]
    with pytest.raises(InputError, match="cannot build a table"):
        to_arrow({"a": [1, 2], "b": [1]})


def test_list_of_dicts_unions_keys_and_stringifies_mixed_values():
    table = to_arrow([{"a": 1, "b": "x"}, {"a": 2, "c": 3.0}, {"a": "three"}])
    assert table.column_names == ["a", "b", "c"]
    assert rows(table) == [
        {"a": "1", "b": "x", "c": None},
        {"a": "2", "b": None, "c": 3.0},
        {"a": "three", "b": None, "c": None},
    ]


@pytest.mark.parametrize("kind", ["csv", "tsv", "parquet", "pq", "jsonl", "ndjson"])
def test_paths(tmp_path: Path, frame, kind):
    path = tmp_path / f"data.{kind}"
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if kind in ("csv", "tsv"):
        frame.to_csv(path, index=False, sep="\t" if kind == "tsv" else ",")
    elif kind in ("parquet", "pq"):
        pq.write_table(table, path)
    else:
        frame.to_json(path, orient="records", lines=True)
    for given in (path, str(path)):
        assert rows(to_arrow(given)) == EXPECTED


def test_parquet_directory(tmp_path: Path, frame):
    pq.write_table(
        pa.Table.from_pandas(frame.iloc[:2], preserve_index=False), tmp_path / "part-0.parquet"
    )
    pq.write_table(
        pa.Table.from_pandas(frame.iloc[2:], preserve_index=False), tmp_path / "part-1.parquet"
    )
    assert sorted(to_arrow(tmp_path).column("n").to_pylist()) == [1, 2, 3]


def test_missing_file(tmp_path: Path):
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError, match=r"file not found: .*nope\.csv"):
        to_arrow(path)


def test_unknown_extension(tmp_path: Path):
    path = tmp_path / "data.xlsx"
    path.write_text("whatever")
    with pytest.raises(UnreadableInput, match=r"unreadable format: .*data\.xlsx \(expected \.csv"):
        to_arrow(path)


def test_empty_csv(tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(EmptyInput, match=r"the file .*empty\.csv is empty"):
        to_arrow(path)


def test_header_only_csv_has_columns_but_no_rows(tmp_path: Path):
    path = tmp_path / "header.csv"
    path.write_text("a,b\n")
    assert to_arrow(path).column_names == ["a", "b"]
    assert to_arrow(path).num_rows == 0
    with pytest.raises(EmptyInput, match="no rows"):
        to_arrow(path, require_rows=True)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.csv", "a,b\n1,2,3\n", r"unreadable CSV file .*bad\.csv: CSV parse error"),
        ("bad.parquet", "not parquet", r"unreadable Parquet file .*bad\.parquet"),
        ("bad.jsonl", "{nope\n", r"unreadable JSON-lines file .*bad\.jsonl"),
    ],
)
def test_damaged_files_name_the_file(tmp_path: Path, name, content, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(UnreadableInput, match=message):
        to_arrow(tmp_path / name)


@pytest.mark.parametrize("data", [42, object(), pd.Series([1, 2])])
def test_unsupported_objects(data):
    with pytest.raises(UnreadableInput, match=f"cannot read data of type {type(data).__name__}"):
        to_arrow(data)


@pytest.mark.parametrize("data", [{}, [], pd.DataFrame()])
def test_no_columns(data):
    with pytest.raises(EmptyInput, match="no columns"):
        to_arrow(data)


def test_every_error_is_a_steward_error_and_a_value_error():
    for error in (InputError, UnreadableInput, EmptyInput):
        assert issubclass(error, StewardError) and issubclass(error, ValueError)


def test_empty_csv_fields_are_missing_in_every_column(tmp_path: Path):
    path = tmp_path / "gaps.csv"
    path.write_text("x,s\n1.5,a\n,\nNA,NA\n2,\n")
    table = to_arrow(path)
    assert table.column("x").to_pylist() == [1.5, None, None, 2.0]
    assert table.column("s").to_pylist() == ["a", None, None, None]
