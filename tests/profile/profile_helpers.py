"""Strategies and field-by-field comparisons shared by the profile tests."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import strategies as st

from steward.profile import (
    CategoricalProfile,
    DatetimeProfile,
    KeyProfile,
    NumericProfile,
    Profile,
    TextProfile,
)
from steward.schema import Column, Kind, Role, Schema

SCHEMA = Schema(
    columns=(
        Column(name="x", kind=Kind.NUMERIC),
        Column(name="n", kind=Kind.NUMERIC),
        Column(name="c", kind=Kind.CATEGORICAL),
        Column(name="b", kind=Kind.BOOLEAN),
        Column(name="t", kind=Kind.TEXT),
        Column(name="d", kind=Kind.DATETIME),
        Column(name="id", kind=Kind.NUMERIC, role=Role.ID),
    )
)
TYPES = {
    "x": pa.float64(),
    "n": pa.int64(),
    "c": pa.string(),
    "b": pa.bool_(),
    "t": pa.string(),
    "d": pa.timestamp("us"),
    "id": pa.int64(),
}
SPREAD = 2e3  # finite floats lie in [-1e3, 1e3]

floats = st.one_of(
    st.floats(-1e3, 1e3),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.none(),
)
rows = st.tuples(
    floats,
    st.one_of(st.none(), st.integers(-5, 5)),
    st.one_of(st.none(), st.sampled_from(["a", "b", "c", "é", ""]), st.text(max_size=2)),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.text(max_size=30)),
    st.one_of(st.none(), st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1))),
    st.integers(0, 40),
)


def table_of(records: list[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*records, strict=True)) if records else [[] for _ in TYPES]
    arrays = [
        pa.array(list(values), type=typ)
        for typ, values in zip(TYPES.values(), columns, strict=True)
    ]
    return pa.table(dict(zip(TYPES, arrays, strict=True)))


tables = st.lists(rows, max_size=60).map(table_of)
reference_tables = st.lists(rows, min_size=1, max_size=60).map(table_of)


@st.composite
def partitioned(draw: st.DrawFn) -> tuple[pa.Table, list[pa.Table]]:
    """A table and three contiguous partitions of it (any of which may be empty)."""
    table = draw(tables)
    cuts = sorted(draw(st.lists(st.integers(0, table.num_rows), min_size=2, max_size=2)))
    bounds = [0, *cuts, table.num_rows]
    parts = [table.slice(lo, hi - lo) for lo, hi in itertools.pairwise(bounds)]
    return table, parts


# --- comparisons ---------------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """A value that compares equal to itself when it is NaN."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def sample_rows(profile: Profile) -> list[tuple[Any, ...]]:
    """The reservoir's rows (key column included), in reservoir order."""
    table = profile.reservoir.table
    return [tuple(canonical(v) for v in row.values()) for row in table.to_pylist()]


def close(a: float, b: float, scale: float, rel: float = 1e-9) -> bool:
    """Equal up to ``rel`` of the quantity's natural scale (n·spread^k for moments)."""
    return abs(a - b) <= rel * scale + 1e-12


def assert_numeric_equal(a: NumericProfile, b: NumericProfile, rel: float = 1e-9) -> None:
    assert (a.rows, a.nulls, a.nans, a.pos_inf, a.neg_inf) == (
        b.rows,
        b.nulls,
        b.nans,
        b.pos_inf,
        b.neg_inf,
    )
    assert (a.minimum, a.maximum) == (b.minimum, b.maximum)
    assert a.moments.n == b.moments.n
    n = max(a.moments.n, 1)
    spread = a.maximum - a.minimum if a.moments.n else 0.0
    size = max(abs(a.minimum), abs(a.maximum), 1.0) if a.moments.n else 1.0
    assert close(a.moments.mean, b.moments.mean, size, rel)
    for k, (x, y) in enumerate(
        [(a.moments.m2, b.moments.m2), (a.moments.m3, b.moments.m3), (a.moments.m4, b.moments.m4)],
        start=2,
    ):
        assert close(x, y, n * spread**k, rel), (k, x, y)
    np.testing.assert_array_equal(a.edges, b.edges)
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_allclose(a.sums, b.sums, rtol=rel, atol=rel * n * max(spread, 1.0))
    np.testing.assert_array_equal(a.hll.registers, b.hll.registers)
    assert (a.kll is None) == (b.kll is None)
    if a.kll is not None:
        assert a.kll.n == b.kll.n == a.moments.n
        if a.moments.n:
            assert a.kll.get_min_value() == b.kll.get_min_value() == a.minimum
            assert a.kll.get_max_value() == b.kll.get_max_value() == a.maximum


def assert_categorical_equal(a: CategoricalProfile, b: CategoricalProfile) -> None:
    assert (a.rows, a.nulls, a.other, a.kind) == (b.rows, b.nulls, b.other, b.kind)
    assert a.counts == b.counts
    assert a.vocabulary == b.vocabulary
    np.testing.assert_array_equal(a.hll.registers, b.hll.registers)


def assert_column_equal(a: Any, b: Any, rel: float = 1e-9, duplicates: bool = True) -> None:
    assert type(a) is type(b)
    if isinstance(a, NumericProfile):
        assert_numeric_equal(a, b, rel)
    elif isinstance(a, TextProfile):
        assert_numeric_equal(a.length, b.length, rel)
    elif isinstance(a, CategoricalProfile):
        assert_categorical_equal(a, b)
    elif isinstance(a, DatetimeProfile):
        assert a == b
    elif isinstance(a, KeyProfile):
        assert (a.rows, a.nulls) == (b.rows, b.nulls)
        if duplicates:
            assert a.duplicates == b.duplicates
        np.testing.assert_array_equal(a.hll.registers, b.hll.registers)
    else:  # pragma: no cover - a new column profile type needs a comparison here
        raise AssertionError(f"no comparison for {type(a).__name__}")


def assert_profiles_equal(
    a: Profile, b: Profile, rel: float = 1e-9, duplicates: bool = True
) -> None:
    """Field by field: counts exact, moments to ``rel`` of their scale, samples identical."""
    assert a.schema == b.schema
    assert a.rows == b.rows
    assert a.config == b.config
    assert {k: v for k, v in a.unparsed.items() if v} == {k: v for k, v in b.unparsed.items() if v}
    if duplicates:
        assert a.duplicate_rows == b.duplicate_rows
    assert list(a.columns) == list(b.columns)
    for name in a.columns:
        assert_column_equal(a[name], b[name], rel, duplicates)
    if duplicates:
        assert sample_rows(a) == sample_rows(b)
    else:
        # identical rows are told apart by their occurrence within a batch, so where a
        # partition boundary splits repeated rows, merged partitions draw another sample of
        # the same size (merge itself stays associative and commutative)
        assert len(a.reservoir) == len(b.reservoir)
    assert a.reservoir.capacity == b.reservoir.capacity
