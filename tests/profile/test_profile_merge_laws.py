"""Profile.merge is associative and commutative, and merging partitions equals the whole."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from profile_helpers import (
    SCHEMA,
    assert_profiles_equal,
    partitioned,
    reference_tables,
)

from steward.profile import Profile, ProfileConfig, profile

LAWS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
configs = st.builds(
    ProfileConfig,
    bins=st.sampled_from([4, 8, 64]),
    reservoir=st.sampled_from([1, 5, 16, 100]),
    seed=st.integers(0, 2**32 - 1),
)


def profiles_of(parts: list[pa.Table], ref: Profile) -> list[Profile]:
    return [profile(part, SCHEMA, reference=ref) for part in parts]


@LAWS
@given(reference_tables, partitioned(), configs)
def test_merge_is_associative(ref_table, data, config):
    ref = profile(ref_table, SCHEMA, config=config)
    a, b, c = profiles_of(data[1], ref)
    assert_profiles_equal(a.merge(b).merge(c), a.merge(b.merge(c)))


@LAWS
@given(reference_tables, partitioned(), configs)
def test_merge_is_commutative(ref_table, data, config):
    ref = profile(ref_table, SCHEMA, config=config)
    a, b, c = profiles_of(data[1], ref)
    assert_profiles_equal(a.merge(b), b.merge(a))
    assert_profiles_equal(a.merge(b).merge(c), c.merge(a).merge(b))


@LAWS
@given(reference_tables, partitioned(), configs)
def test_merged_partitions_equal_the_whole(ref_table, data, config):
    ref = profile(ref_table, SCHEMA, config=config)
    table, parts = data
    whole = profile(table, SCHEMA, reference=ref)
    a, b, c = profiles_of(parts, ref)
    merged = a.merge(b).merge(c)
    # duplicates are counted within each profiled batch, so only the whole sees all of them
    assert_profiles_equal(merged, whole, duplicates=False)
    assert merged.duplicate_rows <= whole.duplicate_rows
    assert merged["id"].duplicates <= whole["id"].duplicates
    assert len(merged.reservoir) == min(table.num_rows, config.reservoir)


@LAWS
@given(reference_tables, partitioned(), configs)
def test_merge_with_an_empty_profile_is_identity(ref_table, data, config):
    ref = profile(ref_table, SCHEMA, config=config)
    table = data[0]
    whole = profile(table, SCHEMA, reference=ref)
    empty = profile(table.slice(0, 0), SCHEMA, reference=ref)
    assert_profiles_equal(whole.merge(empty), whole)
    assert_profiles_equal(empty.merge(whole), whole)
