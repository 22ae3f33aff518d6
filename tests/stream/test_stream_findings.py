"""Detections become findings the report can show."""

from __future__ import annotations

import json

import numpy as np
import pytest
from stream_helpers import bernoulli

from steward import stream
from steward._exceptions import InputError
from steward.findings import Finding, Verdict


def test_detect_records_the_statistic_at_each_detection():
    values = bernoulli(2, 4000, 0.1, 0.5, 2000)
    found = stream.detect("page_hinkley", values, threshold=10.0)
    detector = stream.PageHinkley(threshold=10.0)
    indices = []
    for i, value in enumerate(values.tolist()):
        detector.update(value)
        if detector.drift_detected:
            indices.append(i)
            assert found[len(indices) - 1].statistic == detector.statistic > 10.0
    assert [d.index for d in found] == indices
    assert all(d.threshold == 10.0 for d in found)


def test_detect_takes_an_instance():
    detector = stream.DDM()
    values = bernoulli(2, 4000, 0.1, 0.5, 2000)
    assert [d.index for d in stream.detect(detector, values)] == stream.DDM().update_many(
        values
    ).tolist()
    with pytest.raises(InputError):
        stream.detect(stream.DDM(), values, warm_start=3)


def test_findings_from_detections():
    detections = [stream.Detection(120, 3.5, 3.0), 260]
    windows = np.repeat([0, 1, 2], 100)
    findings = stream.detections_to_findings("ddm", detections, windows)
    assert [f.window for f in findings] == [1, 2]
    first = findings[0]
    assert isinstance(first, Finding)
    assert first.check == "stream.ddm" and first.family == "stream"
    assert first.column is None and first.verdict is Verdict.FAIL and first.failed
    assert (first.statistic, first.threshold) == (3.5, 3.0)
    assert first.details == {"index": 120, "window": 1}
    assert findings[1].statistic is None
    assert Finding.from_dict(json.loads(json.dumps(first.to_dict()))) == first


def test_window_lookup_by_function_or_nothing():
    findings = stream.detections_to_findings("adwin", [5, 1500], lambda i: i // 1000, "errors")
    assert [(f.window, f.column) for f in findings] == [(0, "errors"), (1, "errors")]
    assert stream.detections_to_findings("adwin", [5])[0].window is None


def test_detection_outside_the_windows_is_an_input_error():
    with pytest.raises(InputError, match="outside"):
        stream.detections_to_findings("adwin", [300], np.zeros(100, dtype=int))


def test_findings_for_a_window_series():
    windows = [bernoulli(s, 1000, 0.1, 0.1) for s in range(3)] + [bernoulli(9, 1000, 0.6, 0.6)]
    findings = stream.findings_for_windows("hddm_w", windows)
    assert findings and {f.window for f in findings} == {3}
    assert findings[0].statistic > 1.0 and findings[0].threshold == 1.0
    assert stream.findings_for_windows("hddm_w", []) == []


def test_infinite_statistic_is_json_safe():
    finding = stream.detections_to_findings("ddm", [stream.Detection(3, float("inf"), 3.0)])[0]
    assert json.loads(json.dumps(finding.to_dict()))["statistic"] is None
