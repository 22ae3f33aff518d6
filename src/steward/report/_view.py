"""The report dict (docs/report-schema.md) shaped into rows, shared by the HTML and terminal views.

Nothing here formats markup: rows keep the report's values, and each renderer escapes them its
own way. Where a check has findings on all current rows (``window`` null) and per window, a row
leads with the one on all rows and counts the windows where the check failed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from steward.report._findings import (
    SEVERITY,
    Finding,
    column_kind,
    details,
    failed_windows,
    findings_of,
    grouped,
    headline,
    number,
    overall,
    recency,
    short_check,
    window_labels,
    windowed,
    worst,
    worst_first,
)
from steward.report._text import feature_names, format_band, format_number, format_share

__all__ = [
    "CHARTED_FIRST",
    "DRIFT_RANK",
    "OUTLIER_EVENTS",
    "PERFORMANCE_METRICS",
    "SEVERITY",
    "SKEW_ROW_CHECKS",
    "CheckRow",
    "ClientRow",
    "DriftRow",
    "Finding",
    "FindingRow",
    "PerformanceRow",
    "QualityRow",
    "SegmentRow",
    "by_window",
    "charted_performance",
    "check_rows",
    "client_rows",
    "column_kind",
    "details",
    "drift_rows",
    "event_windows",
    "feature_names",
    "findings_of",
    "format_band",
    "format_number",
    "format_share",
    "headline",
    "label_coverage",
    "mismatch_rows",
    "multivariate_rows",
    "outlier_events",
    "outlier_rows",
    "overall",
    "performance_rows",
    "quality_rows",
    "segment_drift",
    "segment_drivers",
    "segment_metrics",
    "segments_clear",
    "short_check",
    "skew_checks",
    "skew_rows",
    "stream_findings",
    "unreliable_estimates",
    "window_labels",
    "worst_segments",
]

DRIFT_RANK = {"none": 0, "transient": 1, "drifted": 2, "sustained": 3}


PERFORMANCE_METRICS = (
    "accuracy", "precision", "recall", "f1", "roc_auc", "average_precision", "log_loss",
    "brier", "calibration_error", "mae", "rmse", "mape", "r2",
)  # fmt: skip


CHARTED_FIRST = ("roc_auc", "accuracy", "f1", "mae", "rmse", "r2")


SKEW_ROW_CHECKS = ("skew.row_mismatch", "skew.row_join", "skew.preprocessing")


OUTLIER_EVENTS = ("outlier.client", "outlier.event")


@dataclass(frozen=True)
class DriftRow:
    """The headline drift (or skew) test of one column, with its status across windows."""

    column: str
    kind: str
    check: str
    statistic: float | None
    p_value: float | None
    q_value: float | None
    effect_size: float | None
    threshold: float | None
    verdict: str
    drift: str
    windows_failed: int

    @property
    def drifting(self) -> bool:
        return self.verdict in ("warn", "fail") or self.drift != "none"

    @property
    def sort_key(self) -> tuple[float, ...]:
        """Worst first: verdict, then drift status, failed windows, effect over threshold."""
        return (
            -SEVERITY.get(self.verdict, 0),
            -DRIFT_RANK.get(self.drift, 0),
            -self.windows_failed,
            -_effect_ratio(self.effect_size, self.threshold),
        )


@dataclass(frozen=True)
class FindingRow:
    """One finding shown as a table row."""

    finding: Finding

    @property
    def verdict(self) -> str:
        return str(self.finding.get("verdict", ""))

    @property
    def problem(self) -> bool:
        return self.verdict in ("warn", "fail")

    @property
    def details(self) -> dict[str, Any]:
        return details(self.finding)

    @property
    def name(self) -> str:
        """The check without its family: ``outlier.mahalanobis`` → ``mahalanobis``."""
        return short_check(self.finding.get("check", ""))


@dataclass(frozen=True)
class QualityRow(FindingRow):
    """One quality check on one column: its worst finding and the windows where it failed.

    Among findings of equal severity, the one on all current rows (``window`` null) wins,
    then the latest window.
    """

    windows_failed: list[str]

    @property
    def sort_key(self) -> tuple[Any, ...]:
        f = self.finding
        return (-SEVERITY.get(self.verdict, 0), str(f.get("check")), str(f.get("column")))


@dataclass(frozen=True)
class CheckRow(FindingRow):
    """A check's headline finding (all rows, else the latest window) and its failed windows."""

    windows_failed: list[str]
    windowed: bool


@dataclass(frozen=True)
class SegmentRow(FindingRow):
    """A ``segment.worst`` finding: a slice of rows where the model's error is higher."""

    @property
    def conditions(self) -> str:
        conditions = self.details.get("conditions") or []
        if not isinstance(conditions, list):
            return str(conditions)
        return " and ".join(map(str, conditions)) or "all rows"


@dataclass(frozen=True)
class ClientRow(FindingRow):
    """An ``outlier.client`` finding: one client whose traffic looks unlike the reference."""

    @property
    def client(self) -> str:
        return str(self.details.get("client", "–"))

    @property
    def reasons(self) -> str:
        reasons = self.details.get("reasons") or []
        return "; ".join(map(str, reasons)) if isinstance(reasons, list) else str(reasons)


@dataclass(frozen=True)
class PerformanceRow:
    """One model metric on all current rows: realised from labels and estimated without them."""

    metric: str
    target: str | None
    realised: Finding | None
    estimated: Finding | None
    coverage: float | None

    @property
    def reference(self) -> Any:
        for found in (self.realised, self.estimated):
            if found and found.get("threshold") is not None:
                return found["threshold"]
            if found and details(found).get("reference_value") is not None:
                return details(found)["reference_value"]
        return None

    @property
    def verdict(self) -> str:
        """The worse of realised and estimated; ``unreliable`` only when nothing else is known."""
        verdicts = [str(f.get("verdict")) for f in (self.realised, self.estimated) if f]
        known = [v for v in verdicts if v in ("ok", "warn", "fail")]
        if known:
            return max(known, key=lambda v: SEVERITY[v])
        return verdicts[0] if verdicts else ""

    @property
    def unreliable_reason(self) -> str | None:
        if self.estimated is None or self.estimated.get("verdict") != "unreliable":
            return None
        return str(details(self.estimated).get("reason") or "no reason given")

    @property
    def method(self) -> str | None:
        method = details(self.estimated or {}).get("method")
        return None if method is None else str(method)

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (_metric_order(self.metric), self.metric, str(self.target))


def drift_rows(report: dict[str, Any]) -> list[DriftRow]:
    """One row per column with drift findings, worst first."""
    return _column_test_rows(report, findings_of(report, "drift"), persistence=True)


def multivariate_rows(report: dict[str, Any]) -> list[CheckRow]:
    """Drift checks over all feature columns at once (``column`` null), worst first."""
    found = [f for f in findings_of(report, "drift") if f.get("column") is None]
    return worst_first(check_rows(report, found))


def quality_rows(report: dict[str, Any]) -> list[QualityRow]:
    """One row per quality check and column, fail and warn first."""
    labels = window_labels(report)
    groups = grouped(findings_of(report, "quality"), _check_and_column)
    rows = [_quality_row(group, labels) for group in groups]
    return sorted(rows, key=lambda row: row.sort_key)


def check_rows(
    report: dict[str, Any], found: list[Finding], key: Callable[[Finding], Hashable] | None = None
) -> list[CheckRow]:
    """One row per check and column (or ``key``), in the order the checks first appear."""
    labels = window_labels(report)
    return [
        CheckRow(headline(group), failed_windows(group, labels), windowed(group))
        for group in grouped(found, key or _check_and_column)
    ]


def performance_rows(report: dict[str, Any]) -> list[PerformanceRow]:
    """One row per metric and target, realised next to estimated, in a fixed metric order."""
    groups: dict[tuple[str, Any], dict[str, list[Finding]]] = {}
    for family in ("performance", "estimate"):
        for finding in findings_of(report, family):
            metric = short_check(finding["check"])
            if finding["check"] != "performance.label_coverage":
                key = (metric, finding.get("column"))
                groups.setdefault(key, {}).setdefault(family, []).append(finding)
    coverage = label_coverage(report)
    rows = [_performance_row(key, group, coverage) for key, group in groups.items()]
    return sorted(rows, key=lambda row: row.sort_key)


def charted_performance(rows: list[PerformanceRow], limit: int) -> list[PerformanceRow]:
    """The metrics worth a chart: the usual ones for the task first, then the worst others."""

    def priority(row: PerformanceRow) -> tuple[int, int, int]:
        if row.metric in CHARTED_FIRST:
            return (0, CHARTED_FIRST.index(row.metric), 0)
        return (1, -SEVERITY.get(row.verdict, 0), _metric_order(row.metric))

    return sorted(rows, key=priority)[:limit]


def unreliable_estimates(report: dict[str, Any]) -> list[Finding]:
    """Estimates judged unreliable: on all rows first, then the latest windows first."""
    found = [f for f in findings_of(report, "estimate") if f.get("verdict") == "unreliable"]
    return sorted(found, key=recency, reverse=True)


def label_coverage(report: dict[str, Any]) -> dict[tuple[Any, Any], Any]:
    """Share of rows labelled by (target, window), from ``performance.label_coverage``."""
    found = findings_of(report, "performance")
    return {
        (f.get("column"), f.get("window")): f.get("statistic")
        for f in found
        if f["check"] == "performance.label_coverage"
    }


def by_window(report: dict[str, Any], check: str, column: Any) -> dict[int, Finding]:
    """The findings of one check on one column, by window (findings on all rows left out)."""
    found = report.get("findings", [])
    return {
        f["window"]: f
        for f in found
        if f.get("check") == check and f.get("column") == column and f.get("window") is not None
    }


def stream_findings(report: dict[str, Any]) -> list[Finding]:
    """Change-point detections, in stream order."""
    found = findings_of(report, "stream")
    return sorted(found, key=lambda f: (recency(f), details(f).get("index") or 0))


def worst_segments(report: dict[str, Any]) -> list[SegmentRow]:
    """``segment.worst`` on all rows (else the latest window), worst first, highest ratio first."""
    rows = [SegmentRow(f) for f in overall(findings_of(report, "segment.worst"))]
    return sorted(rows, key=lambda r: (-SEVERITY.get(r.verdict, 0), -number(r.details, "ratio")))


def segment_metrics(report: dict[str, Any]) -> list[FindingRow]:
    """``segment.metric`` rows, problems first, otherwise in the report's order."""
    return worst_first(FindingRow(f) for f in overall(findings_of(report, "segment.metric")))


def segment_drivers(report: dict[str, Any]) -> list[FindingRow]:
    """``segment.driver`` rows by rank (a driver without a rank last)."""
    rows = [FindingRow(f) for f in overall(findings_of(report, "segment.driver"))]
    return sorted(rows, key=lambda r: number(r.details, "rank", default=math.inf))


def segment_drift(report: dict[str, Any]) -> list[FindingRow]:
    return worst_first(FindingRow(f) for f in overall(findings_of(report, "segment.drift")))


def segments_clear(rows: list[SegmentRow]) -> bool:
    """The check ran and found no segment worse than the rest: one ``ok`` finding."""
    return len(rows) == 1 and rows[0].verdict == "ok"


def outlier_rows(report: dict[str, Any]) -> list[CheckRow]:
    """One row per outlier detector (and column), in the order they appear."""
    found = [f for f in findings_of(report, "outlier") if f["check"] not in OUTLIER_EVENTS]
    return check_rows(report, found)


def client_rows(report: dict[str, Any]) -> list[ClientRow]:
    """One row per flagged client (its worst finding), worst first, highest outlier rate first."""
    found = findings_of(report, "outlier.client")
    rows = [ClientRow(worst(group)) for group in grouped(found, _client)]
    return sorted(
        rows, key=lambda r: (-SEVERITY.get(r.verdict, 0), -number(r.details, "outlier_rate"))
    )


def outlier_events(report: dict[str, Any]) -> list[Finding]:
    return findings_of(report, "outlier.event")


def event_windows(event: Finding) -> list[Any]:
    """The windows an ``outlier.event`` spans: ``details.windows``, else its own window."""
    windows = details(event).get("windows")
    return list(windows) if isinstance(windows, list) else [event.get("window")]


def skew_rows(report: dict[str, Any]) -> list[DriftRow]:
    """Per-column distribution tests between training and serving data, worst first."""
    found = [f for f in findings_of(report, "skew") if f["check"] not in SKEW_ROW_CHECKS]
    return _column_test_rows(report, found, persistence=False)


def mismatch_rows(report: dict[str, Any]) -> list[CheckRow]:
    """``skew.row_mismatch`` per column: joined rows whose values differ, worst first."""
    return worst_first(check_rows(report, findings_of(report, "skew.row_mismatch")))


def skew_checks(report: dict[str, Any]) -> list[CheckRow]:
    """The other row-level skew checks (``row_join``, ``preprocessing``), worst first."""
    found = [
        f
        for f in findings_of(report, "skew")
        if f["check"] in SKEW_ROW_CHECKS and f["check"] != "skew.row_mismatch"
    ]
    return worst_first(check_rows(report, found))


def _column_test_rows(
    report: dict[str, Any], found: list[Finding], persistence: bool
) -> list[DriftRow]:
    by_column: dict[str, list[Finding]] = {}
    for finding in found:
        if finding.get("column") is not None:
            by_column.setdefault(finding["column"], []).append(finding)
    rows = [_drift_row(report, name, group, persistence) for name, group in by_column.items()]
    return sorted(rows, key=lambda row: (row.sort_key, row.column))


def _drift_row(
    report: dict[str, Any], name: str, found: list[Finding], persistence: bool
) -> DriftRow:
    latest = headline(found)
    column = report.get("columns", {}).get(name, {}) if persistence else {}
    return DriftRow(
        column=name,
        kind=column_kind(report, name),
        check=str(latest["check"]),
        statistic=latest.get("statistic"),
        p_value=latest.get("p_value"),
        q_value=details(latest).get("q_value"),
        effect_size=latest.get("effect_size"),
        threshold=latest.get("threshold"),
        verdict=str(latest.get("verdict", "ok")),
        drift=str(column.get("drift", "drifted" if latest.get("verdict") == "fail" else "none")),
        windows_failed=sum(
            f.get("window") is not None and f.get("verdict") == "fail" for f in found
        ),
    )


def _quality_row(group: list[Finding], labels: dict[int, str]) -> QualityRow:
    return QualityRow(worst(group), failed_windows(group, labels))


def _performance_row(
    key: tuple[str, Any], group: dict[str, list[Finding]], coverage: dict[tuple[Any, Any], Any]
) -> PerformanceRow:
    metric, target = key
    realised = headline(group["performance"]) if "performance" in group else None
    estimated = headline(group["estimate"]) if "estimate" in group else None
    shares = (details(f).get("label_coverage") for f in (realised, estimated) if f)
    window = (realised or estimated or {}).get("window")
    share = next((s for s in shares if s is not None), coverage.get((target, window)))
    return PerformanceRow(metric, target, realised, estimated, share)


def _client(finding: Finding) -> str:
    return str(details(finding).get("client"))


def _check_and_column(finding: Finding) -> tuple[str, str]:
    return str(finding.get("check")), str(finding.get("column"))


def _metric_order(metric: str) -> int:
    known = PERFORMANCE_METRICS
    return known.index(metric) if metric in known else len(known)


def _effect_ratio(effect: float | None, threshold: float | None) -> float:
    if effect is None:
        return 0.0
    return effect / threshold if threshold else effect
