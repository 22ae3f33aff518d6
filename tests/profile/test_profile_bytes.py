"""Profiles survive a trip through bytes; profiles that cannot merge say why."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from profile_helpers import SCHEMA, assert_profiles_equal, reference_tables, tables

from steward._exceptions import ProfileMismatch, StewardError
from steward.profile import Profile, ProfileConfig, profile
from steward.schema import Column, Kind, Schema


@settings(max_examples=50, deadline=None)
@given(reference_tables, tables, st.integers(0, 2**32 - 1))
def test_bytes_round_trip(ref_table, table, seed):
    config = ProfileConfig(bins=8, reservoir=10, seed=seed)
    ref = profile(ref_table, SCHEMA, config=config)
    current = profile(table, SCHEMA, reference=ref)
    for p in (ref, current, ref.merge(current)):
        raw = p.to_bytes()
        back = Profile.from_bytes(raw)
        assert_profiles_equal(back, p, rel=0.0)
        assert back.to_bytes() == raw
        assert back.reservoir.table.schema == p.reservoir.table.schema
        for name in ("x", "n"):
            np.testing.assert_array_equal(back[name].quantiles([0.5]), p[name].quantiles([0.5]))


def test_round_tripped_profiles_still_merge():
    table = pa.table({"x": np.arange(100.0), "c": ["a", "b"] * 50})
    ref = profile(
        table,
        Schema(
            columns=(Column(name="x", kind=Kind.NUMERIC), Column(name="c", kind=Kind.CATEGORICAL))
        ),
    )
    back = Profile.from_bytes(ref.to_bytes())
    merged = back.merge(ref)
    assert merged.rows == 200
    assert merged["c"].counts == {"a": 100, "b": 100}
    assert merged["x"].moments.mean == pytest.approx(49.5)


@pytest.mark.parametrize("raw", [b"", b"not a profile", b"STEWARD-PROFILE\x01garbage"])
def test_bytes_that_are_not_a_profile(raw):
    with pytest.raises(ProfileMismatch, match="profile"):
        Profile.from_bytes(raw)


def test_truncated_profile_bytes():
    raw = profile(pa.table({"x": [1.0, 2.0]})).to_bytes()
    with pytest.raises(ProfileMismatch, match="damaged"):
        Profile.from_bytes(raw[:-5])


def _numeric(values) -> Profile:
    return profile(pa.table({"x": values}), Schema(columns=(Column(name="x", kind=Kind.NUMERIC),)))


def test_merging_profiles_with_different_edges_fails():
    a, b = _numeric([1.0, 2.0, 3.0]), _numeric([10.0, 20.0])
    with pytest.raises(ProfileMismatch, match=r"column 'x'.*bin edges"):
        a.merge(b)


def test_merging_profiles_of_different_columns_fails():
    a = _numeric([1.0])
    b = profile(pa.table({"y": [1.0]}), Schema(columns=(Column(name="y", kind=Kind.NUMERIC),)))
    with pytest.raises(ProfileMismatch, match="different columns"):
        a.merge(b)
    assert issubclass(ProfileMismatch, StewardError)


def test_merging_profiles_of_different_kinds_fails():
    a = _numeric([1.0, 2.0])
    b = profile(
        pa.table({"x": ["a", "b"]}), Schema(columns=(Column(name="x", kind=Kind.CATEGORICAL),))
    )
    with pytest.raises(ProfileMismatch, match="column 'x' has kind numeric"):
        a.merge(b)
