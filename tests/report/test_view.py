"""The rows both renderers share: which finding leads, in what order, and how values read."""

from __future__ import annotations

from typing import Any

import pytest
from model_findings import client, finding

from steward.report._view import (
    PerformanceRow,
    charted_performance,
    client_rows,
    event_windows,
    feature_names,
    format_band,
    overall,
    performance_rows,
    worst_segments,
)


def row(metric: str, verdict: str = "ok") -> PerformanceRow:
    realised = finding(f"performance.{metric}", "y", None, 1.0, verdict, "", {})
    return PerformanceRow(metric, "y", realised, None, None)


def test_regressors_chart_mae_rmse_r2_before_worse_metrics() -> None:
    rows = [row("mape", "fail"), row("r2"), row("rmse"), row("mae"), row("log_loss", "warn")]
    charted = charted_performance(rows, limit=4)
    assert [r.metric for r in charted] == ["mae", "rmse", "r2", "mape"]


@pytest.mark.parametrize(
    ("realised", "estimated", "verdict"),
    [
        ("ok", "unreliable", "ok"),  # an unreliable estimate does not outweigh labels
        ("ok", "fail", "fail"),
        (None, "unreliable", "unreliable"),
        ("warn", None, "warn"),
    ],
)
def test_performance_verdict_is_the_worse_known_one(
    realised: str | None, estimated: str | None, verdict: str
) -> None:
    made = [
        finding(f"{family}.f1", "y", None, 0.5, v, "", {"reason": "why"})
        for family, v in (("performance", realised), ("estimate", estimated))
        if v
    ]
    (only,) = performance_rows({"findings": made})
    assert only.verdict == verdict
    assert only.unreliable_reason == ("why" if estimated == "unreliable" else None)


def test_coverage_falls_back_to_the_label_coverage_finding() -> None:
    estimate = finding("estimate.mae", "y", None, 3.0, "ok", "", {"method": "dle"})
    coverage = finding("performance.label_coverage", "y", None, 0.25, "ok", "", {})
    (only,) = performance_rows({"findings": [estimate, coverage]})
    assert (only.metric, only.coverage, only.method, only.realised) == ("mae", 0.25, "dle", None)


def test_format_band() -> None:
    found = finding("performance.f1", "y", None, 0.66, "ok", "", {})
    assert format_band(found) == "0.66"
    assert format_band({**found, "lower": 0.63, "upper": 0.69}) == "0.66 [0.63, 0.69]"
    assert format_band(None) == "–"


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (["a", "b"], ["a", "b"]),
        ([{"feature": "age", "importance": 0.62}, {"feature": "plan"}], ["age (0.62)", "plan"]),
        (None, []),
        ("age", ["age"]),
    ],
)
def test_feature_names(value: Any, names: list[str]) -> None:
    assert feature_names(value) == names


def test_overall_prefers_all_rows_then_the_latest_window() -> None:
    windows = [finding("segment.worst", None, w, 1.0, "ok", str(w), {}) for w in (0, 2, 2)]
    assert [f["message"] for f in overall(windows)] == ["2", "2"]
    everything = [*windows, finding("segment.worst", None, None, 1.0, "ok", "all", {})]
    assert [f["message"] for f in overall(everything)] == ["all"]


def test_worst_segments_order_and_conditions() -> None:
    def worst(conditions: list[str], ratio: float, verdict: str) -> dict[str, Any]:
        details = {"conditions": conditions, "ratio": ratio}
        return finding("segment.worst", None, None, ratio, verdict, "", details)

    found = [worst(["a = 1"], 3.0, "warn"), worst(["b = 2", "c > 3"], 2.0, "fail")]
    found.append(worst(["d = 4"], 5.0, "warn"))
    rows = worst_segments({"findings": found})
    assert [r.conditions for r in rows] == ["b = 2 and c > 3", "d = 4", "a = 1"]


def test_a_client_flagged_in_several_windows_is_one_row() -> None:
    once = client("k", 10, 0.1, 0.5, 0.0, None, ["r"], "warn")
    found = [
        once,
        {**once, "window": 1, "verdict": "fail"},
        client("j", 5, 0.2, 0.1, 0, None, [], "ok"),
    ]
    rows = client_rows({"findings": found})
    assert [(r.client, r.verdict) for r in rows] == [("k", "fail"), ("j", "ok")]
    assert rows[0].reasons == "r"


def test_event_windows_fall_back_to_the_finding_window() -> None:
    event = finding("outlier.event", None, 2, 0.1, "warn", "", {"windows": [1, 2]})
    assert event_windows(event) == [1, 2]
    assert event_windows({**event, "details": {}}) == [2]
