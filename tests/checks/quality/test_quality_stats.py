"""The small exact tests behind the rate checks, checked by hand and by simulation."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.checks.quality import Limits
from steward.checks.quality._rates import compare_rates
from steward.checks.quality._stats import (
    Rate,
    beyond_p_value,
    excess_p_value,
    expected_duplicate_rate,
    pct,
)


def test_beyond_p_value_is_the_exchangeability_probability():
    assert beyond_p_value(2, 2, 2) == pytest.approx(1 / 6)
    assert beyond_p_value(3, 10, 20) == pytest.approx(comb(10, 3) / comb(30, 3))
    assert beyond_p_value(0, 10, 20) == 1.0


def test_beyond_p_value_matches_a_simulation():
    rng = np.random.default_rng(0)
    ref_n, cur_n, count = 50, 40, 2
    ref, cur = rng.random((20_000, ref_n)), rng.random((20_000, cur_n))
    above = (cur > ref.max(axis=1, keepdims=True)).sum(axis=1)
    assert np.mean(above >= count) == pytest.approx(beyond_p_value(count, cur_n, ref_n), abs=0.01)


def test_fisher_excess_p_value_by_hand():
    # 2 events, both in the current half of 4 rows: C(2,2)/C(4,2)
    assert excess_p_value(Rate(0, 2), Rate(2, 2)) == pytest.approx(1 / 6)
    assert excess_p_value(Rate(5, 10), Rate(0, 10)) == 1.0


@given(st.integers(2, 10_000), st.integers(0, 5000))
def test_the_duplicate_model_reproduces_the_reference_at_its_own_size(rows, duplicates):
    duplicates = min(duplicates, rows - 1)
    expected = expected_duplicate_rate(Rate(duplicates, rows), rows)
    assert expected * rows == pytest.approx(max(duplicates, 0.5), rel=1e-3, abs=1e-3)


def test_duplicates_grow_with_the_window():
    ref = Rate(994, 1000)  # six distinct rows seen a thousand times
    assert expected_duplicate_rate(ref, 200_000) == pytest.approx(1 - 6 / 200_000, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 50), st.integers(1, 5000), st.integers(1, 2000), st.data())
def test_more_missing_never_improves_the_verdict(ref_missing, ref_rows, rows, data):
    ref = Rate(min(ref_missing, ref_rows), ref_rows)
    low = data.draw(st.integers(0, rows))
    high = data.draw(st.integers(low, rows))
    limits = Limits(0.02, 0.001)
    before = compare_rates("missing_rate", "x", ref, Rate(low, rows), limits, "missing")
    after = compare_rates("missing_rate", "x", ref, Rate(high, rows), limits, "missing")
    assert after.verdict.severity >= before.verdict.severity


@pytest.mark.parametrize(("share", "text"), [(0.032, "3.2%"), (0.1, "10%"), (2e-6, "0.0002%")])
def test_percentages_read_short(share, text):
    assert pct(share) == text
