"""``update_many`` leaves exactly the state that ``update`` on every item leaves."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stream_helpers import alternating, item_by_item, make, sample_stream

from steward import stream

NAMES = sorted(stream.REGISTRY)


def _batched(detector, values, cuts) -> list[int]:
    hits, start = [], 0
    for stop in [*sorted(cuts), len(values)]:
        hits += [start + int(i) for i in detector.update_many(values[start:stop])]
        start = stop
    return hits


def _check(name, busy, values, cuts):
    one, many = make(name, busy), make(name, busy)
    assert _batched(many, values, cuts) == item_by_item(one, values)
    assert many.to_dict() == one.to_dict()
    assert many.drift_detected == one.drift_detected
    assert many.statistic == one.statistic


@pytest.mark.parametrize("busy", [False, True], ids=["defaults", "busy"])
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_update_many_equals_update_on_random_streams(name, busy, data):
    n = data.draw(st.integers(0, 700 if name == "kswin" and not busy else 2500), label="n")
    seed = data.draw(st.integers(0, 2**31), label="seed")
    shift = data.draw(st.sampled_from([0.0, 0.2, 0.5]), label="shift")
    values = sample_stream(name, seed, n, shift)
    cuts = data.draw(st.lists(st.integers(0, n), max_size=6), label="cuts")
    _check(name, busy, values, cuts)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_update_many_equals_update_on_arbitrary_values(name, data):
    if stream.get(name).input == "binary":
        item = st.sampled_from([0.0, 1.0])
    else:
        item = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
    values = np.asarray(data.draw(st.lists(item, max_size=300), label="values"), dtype=float)
    cuts = data.draw(st.lists(st.integers(0, len(values)), max_size=4), label="cuts")
    _check(name, True, values, cuts)


@pytest.mark.parametrize("name", NAMES)
def test_many_resets_within_one_call(name):
    values = alternating(name, 11, 6000)
    one, many = make(name, busy=True), make(name, busy=True)
    hits = item_by_item(one, values)
    assert len(hits) >= 3, "the busy parameters should fire several times"
    assert many.update_many(values).tolist() == hits
    assert many.to_dict() == one.to_dict()


@pytest.mark.parametrize("name", NAMES)
def test_call_right_after_a_detection_resets_first(name):
    values = sample_stream(name, 5, 4000, 0.5)
    probe = make(name, busy=True)
    first = int(probe.update_many(values)[0])
    one, many = make(name, busy=True), make(name, busy=True)
    item_by_item(one, values[: first + 1])
    many.update_many(values[: first + 1])
    assert one.drift_detected and many.drift_detected
    assert many.update_many([]).tolist() == []  # nothing taken: still the detection state
    assert many.to_dict() == one.to_dict()
    item_by_item(one, values[first + 1 : first + 50])
    many.update_many(values[first + 1 : first + 50])
    assert many.to_dict() == one.to_dict()
