"""Schema inference does what a person would; explicit roles and overrides win."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from steward._exceptions import SchemaError, StewardError, UnknownColumn
from steward.schema import (
    Column,
    Kind,
    Role,
    Schema,
    align,
    infer_kind,
    infer_schema,
    load_overrides,
    load_schema,
)

RNG = np.random.default_rng(0)
N = 200
SENTENCES = [f"this is free text number {i}, written by a person with words" for i in range(N)]
TABLE = pa.table(
    {
        "ints_few": RNG.integers(0, 5, N),
        "ints_many": RNG.integers(0, 10_000, N),
        "binary": RNG.integers(0, 2, N),
        "yesno": RNG.choice(["yes", "no"], N),
        "yn_mixed_case": RNG.choice(["Y", "n", " Yes "], N),
        "tf": RNG.choice(["true", "False"], N),
        "code": [f"u{i:04d}" for i in range(N)],
        "comment": SENTENCES,
        "when": [dt.datetime(2024, 1, 1) + dt.timedelta(hours=i) for i in range(N)],
        "day": [f"2024-01-{1 + i % 28:02d}" for i in range(N)],
        "number_strings": [f"{x:.3f}" for x in RNG.normal(size=N)],
        "colour": RNG.choice(["red", "green", "blue"], N),
        "amount": RNG.normal(size=N),
        "flag": RNG.random(N) < 0.5,
        "customer_id": RNG.permutation(N),
        "target": RNG.integers(0, 2, N),
        "score": RNG.random(N),
        "pred": RNG.integers(0, 2, N),
        "empty": pa.array([None] * N, pa.string()),
    }
)
SCHEMA = infer_schema(TABLE)


@pytest.mark.parametrize(
    ("name", "kind", "role"),
    [
        ("ints_few", Kind.CATEGORICAL, Role.FEATURE),
        ("ints_many", Kind.NUMERIC, Role.FEATURE),
        ("binary", Kind.CATEGORICAL, Role.FEATURE),
        ("yesno", Kind.BOOLEAN, Role.FEATURE),
        ("yn_mixed_case", Kind.BOOLEAN, Role.FEATURE),
        ("tf", Kind.BOOLEAN, Role.FEATURE),
        ("code", Kind.CATEGORICAL, Role.ID),
        ("comment", Kind.TEXT, Role.FEATURE),
        ("when", Kind.DATETIME, Role.TIMESTAMP),
        ("day", Kind.DATETIME, Role.FEATURE),  # the timestamp role is taken by the first
        ("number_strings", Kind.NUMERIC, Role.FEATURE),
        ("colour", Kind.CATEGORICAL, Role.FEATURE),
        ("amount", Kind.NUMERIC, Role.FEATURE),
        ("flag", Kind.BOOLEAN, Role.FEATURE),
        ("customer_id", Kind.NUMERIC, Role.ID),
        ("target", Kind.CATEGORICAL, Role.TARGET),
        ("score", Kind.NUMERIC, Role.SCORE),
        ("pred", Kind.CATEGORICAL, Role.PREDICTION),
        ("empty", Kind.CATEGORICAL, Role.FEATURE),
    ],
)
def test_inferred_kind_and_role(name, kind, role):
    column = SCHEMA[name]
    assert (column.kind, column.role) == (kind, role)
    assert column.dtype == str(TABLE.schema.field(name).type)


def test_order_and_names_follow_the_data():
    assert SCHEMA.names == TABLE.column_names
    assert len(SCHEMA) == TABLE.num_columns
    assert "amount" in SCHEMA and "nope" not in SCHEMA
    assert SCHEMA.first(Role.TARGET).name == "target"
    assert SCHEMA.first(Role.SEGMENT) is None
    assert {c.name for c in SCHEMA.features()} >= {"amount", "colour", "comment"}


def test_integer_kinds_depend_on_how_many_distinct_values():
    few = pa.chunked_array([list(range(5)) * 20])
    many = pa.chunked_array([list(range(21)) * 20])
    sparse = pa.chunked_array([[1, 2, 3, 4, 5]])  # 5 distinct in 5 rows: not "few"
    assert infer_kind(few) is Kind.CATEGORICAL
    assert infer_kind(many) is Kind.NUMERIC
    assert infer_kind(sparse) is Kind.NUMERIC


def test_unique_strings_are_ids_only_with_enough_rows():
    small = infer_schema(pa.table({"code": [f"u{i}" for i in range(20)]}))
    assert small["code"].role is Role.FEATURE
    big = infer_schema(pa.table({"code": [f"u{i}" for i in range(60)]}))
    assert big["code"].role is Role.ID


def test_short_unique_strings_without_spaces_are_not_text():
    table = pa.table({"word": [f"word{i}" * 5 for i in range(N)]})
    assert infer_schema(table)["word"].kind is Kind.CATEGORICAL


def test_explicit_roles_win():
    schema = infer_schema(
        TABLE,
        target="binary",
        prediction="ints_few",
        score=["amount", "score"],
        timestamp="day",
        id="code",
        segment=["colour"],
        client="yesno",
        ignore=["comment"],
    )
    roles = {c.name: c.role for c in schema}
    assert roles["binary"] is Role.TARGET
    assert roles["ints_few"] is Role.PREDICTION
    assert roles["amount"] is roles["score"] is Role.SCORE
    assert roles["day"] is Role.TIMESTAMP
    assert roles["code"] is Role.ID
    assert roles["colour"] is Role.SEGMENT
    assert roles["yesno"] is Role.CLIENT
    assert roles["comment"] is Role.IGNORED
    # the guessed roles those names would have had are not given twice
    assert roles["target"] is Role.FEATURE and roles["pred"] is Role.FEATURE
    assert roles["when"] is Role.FEATURE


def test_unknown_role_columns():
    with pytest.raises(UnknownColumn, match=r"unknown column\(s\) \['nope'\]") as info:
        infer_schema(TABLE, target="nope")
    assert isinstance(info.value, StewardError) and isinstance(info.value, KeyError)
    assert str(info.value).startswith("unknown column(s)")  # not quoted like a KeyError


def test_overrides_from_python():
    schema = infer_schema(
        TABLE, overrides={"ints_few": {"kind": "numeric"}, "colour": {"role": "segment"}}
    )
    assert schema["ints_few"].kind is Kind.NUMERIC
    assert schema["colour"].role is Role.SEGMENT
    assert schema["amount"] == SCHEMA["amount"]
    again = SCHEMA.override(amount={"kind": Kind.CATEGORICAL, "role": Role.TARGET})
    assert (again["amount"].kind, again["amount"].role) == (Kind.CATEGORICAL, Role.TARGET)
    assert SCHEMA["amount"].kind is Kind.NUMERIC  # schemas are immutable


def test_bad_overrides():
    with pytest.raises(UnknownColumn, match=r"\['nope'\]"):
        infer_schema(TABLE, overrides={"nope": {"kind": "numeric"}})
    with pytest.raises(SchemaError, match=r"column 'amount': kind: Input should be"):
        SCHEMA.override(amount={"kind": "fancy"})
    with pytest.raises(SchemaError, match="column 'amount'"):
        SCHEMA.override(amount={"colour": "blue"})


def test_unknown_column_lookup():
    with pytest.raises(UnknownColumn, match=r"unknown column 'nope'; the schema has \["):
        SCHEMA["nope"]


def test_overrides_from_yaml(tmp_path: Path):
    path = tmp_path / "overrides.yaml"
    path.write_text("ints_few:\n  kind: numeric\ncolour: {role: segment}\n")
    overrides = load_overrides(path)
    assert overrides == {"ints_few": {"kind": "numeric"}, "colour": {"role": "segment"}}
    schema = infer_schema(TABLE, overrides=overrides)
    assert schema["ints_few"].kind is Kind.NUMERIC and schema["colour"].role is Role.SEGMENT


def test_overrides_from_a_columns_list(tmp_path: Path):
    path = tmp_path / "schema.yaml"
    path.write_text("columns:\n  - {name: amount, kind: categorical}\n  - {name: flag}\n")
    assert load_overrides(path) == {"amount": {"kind": "categorical"}, "flag": {}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [", "not valid YAML"),
        ("- a\n- b\n", "must hold a mapping"),
        ("amount: numeric\n", r"overrides of \['amount'\] must be mappings"),
        ("columns:\n  - {kind: numeric}\n", "needs a 'name'"),
    ],
)
def test_bad_override_files(tmp_path: Path, text, message):
    path = tmp_path / "overrides.yaml"
    path.write_text(text)
    with pytest.raises(SchemaError, match=message):
        load_overrides(path)


def test_schema_yaml_round_trip(tmp_path: Path):
    path = tmp_path / "schema.yaml"
    text = SCHEMA.to_yaml(path)
    assert path.read_text() == text
    assert load_schema(path) == SCHEMA
    assert Schema.from_dict(SCHEMA.to_dict()) == SCHEMA


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: [", "not valid YAML"),
        ("- 1\n", "must hold a mapping with 'columns'"),
        ("columns:\n  - {name: a, kind: fancy}\n", r"invalid schema: columns\.0\.kind"),
        ("columns:\n  - {name: a, kind: numeric, colour: red}\n", "Extra inputs"),
    ],
)
def test_bad_schema_files(tmp_path: Path, text, message):
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    with pytest.raises(SchemaError, match=message):
        load_schema(path)


def test_missing_schema_file(tmp_path: Path):
    for load in (load_schema, load_overrides):
        with pytest.raises(SchemaError, match="schema file not found"):
            load(tmp_path / "nope.yaml")


def test_inference_reads_any_input():
    frame = pd.DataFrame({"age": [31, 45, 27, 52], "churn": [0, 1, 0, 0]})
    schema = infer_schema(frame, target="churn")
    assert (schema["age"].kind, schema["churn"].role) == (Kind.NUMERIC, Role.TARGET)
    records = infer_schema([{"ok": "yes"}, {"ok": "no"}, {"ok": None}])
    assert records["ok"].kind is Kind.BOOLEAN


def test_inference_looks_at_a_sample_of_rows():
    table = pa.table({"x": list(range(5)) * 100 + list(range(1_000, 2_000))})
    assert infer_schema(table, sample_rows=500)["x"].kind is Kind.CATEGORICAL
    assert infer_schema(table)["x"].kind is Kind.NUMERIC


def test_align_turns_boolean_strings_into_booleans():
    schema = Schema(
        columns=(Column(name="ok", kind=Kind.BOOLEAN), Column(name="x", kind=Kind.NUMERIC))
    )
    table = pa.table({"ok": ["Yes", " no ", "1", "0", "maybe", None, "T"], "x": [1] * 7})
    aligned = align(table, schema)
    assert aligned.column("ok").to_pylist() == [True, False, True, False, None, None, True]
    assert aligned.column("x").to_pylist() == [1] * 7
