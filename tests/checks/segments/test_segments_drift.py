"""Drift per segment value, with small and new segment values marked unreliable."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from steward.checks.segments import find_drifted_segments, segment_drift
from steward.findings import Verdict
from steward.schema import infer_schema


def _side(rng: np.random.Generator, rows: int, shift: float, values=("a", "b", "c", "tiny")):
    p = [0.5, 0.3, 0.19, 0.01][: len(values)]
    segment = rng.choice(list(values), rows, p=np.array(p) / sum(p))
    x = rng.normal(size=rows) + np.where(segment == "b", shift, 0.0)
    return pa.table({"seg": segment, "x": x, "z": rng.normal(size=rows)})


def test_drift_is_checked_within_each_segment_value():
    rng = np.random.default_rng(0)
    reference, current = _side(rng, 6_000, 0.0), _side(rng, 6_000, 0.6)
    schema = infer_schema(reference, segment="seg")
    findings = segment_drift(reference, current, schema, "seg")
    failed = [(f.details["value"], f.column) for f in findings if f.verdict is Verdict.FAIL]
    assert failed == [("b", "x")]
    tested = {(f.details["value"], f.column) for f in findings if not f.details["small"]}
    assert tested == {(v, c) for v in "abc" for c in ("x", "z")}
    first = findings[0]
    assert first.check == "segment.drift" and first.details["test"] == "drift.ks"
    assert first.details["rows_reference"] > 1000 and first.message.startswith("[seg == 'b']")
    assert first.details["alpha"] == 0.05 / 4  # the rate split across the four values


def test_small_and_new_segment_values_are_unreliable():
    rng = np.random.default_rng(1)
    reference = _side(rng, 4_000, 0.0, values=("a", "b", "tiny"))
    current = _side(rng, 4_000, 0.0, values=("a", "b", "c", "tiny"))
    findings = segment_drift(reference, current, infer_schema(reference, segment="seg"), "seg")
    small = {f.details["value"]: f for f in findings if f.details["small"]}
    assert set(small) == {"tiny", "c"}
    assert all(f.verdict is Verdict.UNRELIABLE for f in small.values())
    assert small["c"].details["reason"] == "small segment (0 rows)"
    assert "a value it does not hold" in small["c"].message


def test_drifted_slices_show_where_the_current_data_moved_in():
    rng = np.random.default_rng(2)
    reference = _side(rng, 5_000, 0.0)
    current = _side(rng, 5_000, 0.0)
    x = current.column("x").to_numpy().copy()
    x[:600] = rng.normal(4.0, 0.2, 600)  # a new cluster of large x
    current = current.set_column(1, "x", pa.array(x))
    schema = infer_schema(reference)
    first = find_drifted_segments(reference, current, schema)[0]
    assert first.verdict is Verdict.FAIL and first.details["features"] == ["x"]
    assert first.details["conditions"][0].startswith("x > ")
    assert first.details["current_share"] > 1.5 * first.details["reference_share"]
    null = find_drifted_segments(reference, _side(rng, 5_000, 0.0), schema)
    assert [f.verdict for f in null] == [Verdict.OK]
