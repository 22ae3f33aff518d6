"""Transient events versus sustained shifts on one timeline."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from steward._exceptions import InputError
from steward.checks.events import classify_events, event_findings, events_from_findings
from steward.checks.outliers import ExtremeValueDetector, check_outliers
from steward.findings import Verdict
from steward.schema import infer_schema
from steward.windows import Window, split

BASE = 0.01


def labels(series, **kwargs):
    return [w["label"] for w in classify_events(series, BASE, **kwargs)]


def test_a_one_window_spike_that_recovers_is_transient():
    assert labels([0.01, 0.011, 0.08, 0.012, 0.009, 0.01]) == [
        "normal",
        "normal",
        "transient_event",
        "normal",
        "normal",
        "normal",
    ]


def test_a_two_window_spike_is_transient():
    assert labels([0.01, 0.05, 0.06, 0.01, 0.01]).count("transient_event") == 2


def test_a_sustained_rise_is_a_shift_from_its_first_window():
    assert labels([0.01, 0.01, 0.03, 0.035, 0.04, 0.04]) == ["normal"] * 2 + ["sustained_shift"] * 4


def test_spike_and_shift_on_one_timeline():
    series = [0.01, 0.07, 0.01, 0.01, 0.01, 0.03, 0.03, 0.04, 0.03]
    out = labels(series)
    assert out[1] == "transient_event"
    assert out[5:] == ["sustained_shift"] * 4
    assert out.count("normal") == 4


def test_a_spike_in_the_last_window_is_unresolved():
    assert labels([0.01, 0.01, 0.09])[-1] == "unresolved"


def test_flags_override_the_ratio_rule():
    assert labels([0.5, 0.5, 0.5], flags=[False, True, False]) == [
        "normal",
        "transient_event",
        "normal",
    ]
    assert labels([0.01, 0.019, 0.01], ratio=1.5)[1] == "transient_event"


def test_k_and_n_follow_the_windows_rule():
    series = [0.05, 0.01, 0.05, 0.01, 0.01]
    assert labels(series)[0] == "transient_event"
    assert labels(series, k=2, n=3)[:3] == ["sustained_shift", "normal", "sustained_shift"]


def test_missing_values_are_not_up():
    out = classify_events([0.01, None, float("nan"), 0.09, 0.01], BASE)
    assert [w["label"] for w in out] == ["normal", "normal", "normal", "transient_event", "normal"]
    assert out[1]["value"] is None


def test_bad_input_is_an_input_error():
    with pytest.raises(InputError, match="flags"):
        classify_events([0.1, 0.2], BASE, flags=[True])
    with pytest.raises(InputError, match="numbers"):
        classify_events(["high"], BASE)
    with pytest.raises(InputError, match="k <= n"):
        classify_events([0.1], BASE, k=5, n=4)
    with pytest.raises(InputError, match="windows"):
        event_findings("rate", [0.1, 0.2], [0], baseline=BASE)


def test_event_findings_warn_on_transients_and_fail_on_shifts():
    series = [0.01, 0.07, 0.01, 0.01, 0.03, 0.05, 0.03, 0.03]
    windows = [Window(10 + i, f"w{i}", 100) for i in range(len(series))]
    transient, sustained = event_findings("outlier.extreme_value", series, windows, baseline=BASE)
    assert transient.check == sustained.check == "outlier.event"
    assert transient.verdict is Verdict.WARN and sustained.verdict is Verdict.FAIL
    assert transient.details == {
        "signal": "outlier.extreme_value",
        "kind": "transient",
        "windows": [11],
        "peak": 0.07,
        "baseline": BASE,
    }
    assert sustained.details["windows"] == [14, 15, 16, 17]
    assert sustained.window == 15 and sustained.statistic == 0.05
    assert sustained.effect_size == pytest.approx(5.0)


def test_a_quiet_series_has_no_events():
    assert event_findings("rate", [0.01] * 6, baseline=BASE) == []


def test_outlier_windows_give_a_spike_and_a_shift():
    """End to end: windows of traffic, ``check_outliers`` per window, events from findings."""
    rng = np.random.default_rng(0)
    reference = pa.table({"x": rng.normal(size=4000), "y": rng.normal(size=4000)})
    detector = ExtremeValueDetector().fit(reference, infer_schema(reference))
    share = np.array([0.0, 0.0, 0.08, 0.0, 0.0, 0.0, 0.06, 0.06, 0.06, 0.06])
    parts = []
    for s in share:
        x = rng.normal(size=1000)
        x[: int(s * 1000)] = 9.0
        parts.append(pa.table({"x": x, "y": rng.normal(size=1000)}))
    windows, _ = split(pa.concat_tables(parts), every=1000)
    findings = [f for w, t in windows for f in check_outliers([detector], t, window=w.index)]
    events = events_from_findings(findings, "outlier.extreme_value")
    assert [(e.details["kind"], e.details["windows"]) for e in events] == [
        ("transient", [2]),
        ("sustained", [6, 7, 8, 9]),
    ]
    assert events_from_findings(findings, "outlier.mahalanobis") == []
