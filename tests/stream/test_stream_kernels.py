"""The shared arithmetic of the two update paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.stream._kernels import Recurrence, decay, last_argbest


@pytest.mark.parametrize("a", [1.0, 0.9999, 0.95, 0.3])
def test_recurrence_blocks_equal_steps_and_the_plain_recursion(a):
    d = decay(a)
    b = np.random.default_rng(0).standard_normal(3 * d.block + 17)
    stepped = Recurrence()
    values = [stepped.step(v, d) for v in b.tolist()]
    batched = Recurrence()
    trace = batched.run(b, d)
    assert trace[0].tolist() == values
    batched.seek(trace, len(b) - 1)
    assert batched == stepped
    plain, y = [], 0.0
    for v in b.tolist():
        y = a * y + v
        plain.append(y)
    np.testing.assert_allclose(values, plain, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("a", [0.9999, 0.95, 0.5])
def test_powers(a):
    d = decay(a)
    k = np.array([0, 1, 17, 4095, 4096, 4097, 10_000, 10**6])
    assert d.powers(k).tolist() == [d.power(int(i)) for i in k]
    np.testing.assert_allclose(d.powers(k), a ** k.astype(float), rtol=1e-9, atol=1e-300)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(-5, 5), max_size=40),
    st.sampled_from([np.inf, -np.inf, 0.0]),
    st.booleans(),
    st.booleans(),
)
def test_last_argbest_matches_the_loop(values, prior, lower, strict):
    best, at, expected = prior, -1, []
    for i, v in enumerate(values):
        better = (
            (v < best if strict else v <= best) if lower else (v > best if strict else v >= best)
        )
        if better:
            best, at = v, i
        expected.append(at)
    got = last_argbest(np.asarray(values, dtype=float), prior, lower=lower, strict=strict)
    assert got.tolist() == expected
