"""Render a report dict (docs/report-schema.md) as one self-contained, offline HTML page.

The page carries its own CSS and plotly.js (inlined once from the installed ``plotly``), so it
opens on a machine without network and makes no request. Everything taken from the report is
escaped twice over: Jinja2 autoescapes the markup, and figure JSON is written so that no ``<``,
``>`` or ``&`` appears inside a ``<script>`` block. Text handed to Plotly is HTML-escaped too,
because Plotly reads tags and entities in labels.

The rows come from ``_view`` (shared with the terminal renderer), the figures from ``_figures``
(distributions, drift per window) and ``_timeline`` (metrics and outlier rates over windows);
this module assembles the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from plotly.offline import get_plotlyjs

from steward.report._figures import (
    CURRENT_COLOUR,
    MAX_TICKS,
    REFERENCE_COLOUR,
    Chart,
    Shares,
    WindowAxis,
    bin_labels,
    distribution_shares,
    plotly_text,
    safe_json,
    script_json,
    shares_figure,
    windows_figure,
)
from steward.report._timeline import (
    ESTIMATE_COLOUR,
    LANE,
    MAX_DRIFT_LANES,
    PALETTE,
    SHADES,
    STREAM_COLOUR,
    UNRELIABLE_COLOUR,
    Lane,
    Span,
    outlier_figure,
    performance_figure,
)
from steward.report._view import (
    SEVERITY,
    DriftRow,
    charted_performance,
    client_rows,
    drift_rows,
    event_windows,
    feature_names,
    format_band,
    format_number,
    format_share,
    mismatch_rows,
    multivariate_rows,
    outlier_events,
    outlier_rows,
    performance_rows,
    quality_rows,
    segment_drift,
    segment_drivers,
    segment_metrics,
    segments_clear,
    skew_checks,
    skew_rows,
    stream_findings,
    unreliable_estimates,
    window_labels,
    worst_segments,
)

__all__ = [
    "CURRENT_COLOUR",
    "ESTIMATE_COLOUR",
    "LANE",
    "MAX_COLUMN_CHARTS",
    "MAX_DRIFT_LANES",
    "MAX_PERFORMANCE_CHARTS",
    "MAX_QUALITY_ROWS",
    "MAX_TABLE_ROWS",
    "MAX_TICKS",
    "MAX_WINDOW_LINES",
    "PALETTE",
    "PLOTLY_CONFIG",
    "REFERENCE_COLOUR",
    "SHADES",
    "STREAM_COLOUR",
    "TEMPLATES",
    "UNRELIABLE_COLOUR",
    "Chart",
    "Lane",
    "Shares",
    "Span",
    "WindowAxis",
    "bin_labels",
    "distribution_shares",
    "outlier_figure",
    "pair_text",
    "performance_figure",
    "plotly_text",
    "render_html",
    "safe_json",
    "script_json",
    "shares_figure",
    "windows_figure",
]

MAX_COLUMN_CHARTS = 30


MAX_WINDOW_LINES = 10


MAX_QUALITY_ROWS = 500


MAX_TABLE_ROWS = 200


MAX_PERFORMANCE_CHARTS = 6


PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "typesetMath": False}


TEMPLATES = Path(__file__).parent / "templates"


def pair_text(pairs: Any) -> list[str]:
    """``top_pairs`` of a row mismatch as ``training → serving`` text."""
    if not isinstance(pairs, list):
        return [] if pairs is None else [str(pairs)]
    return [_pair(pair) for pair in pairs]


def _pair(pair: Any) -> str:
    if isinstance(pair, (list, tuple)) and len(pair) == 2:
        return f"{format_number(pair[0])} → {format_number(pair[1])}"
    if isinstance(pair, dict):
        return ", ".join(f"{key}: {format_number(value)}" for key, value in pair.items())
    return format_number(pair)


def render_html(report: dict[str, Any]) -> str:
    """The whole report as one HTML page that needs no network.

    >>> page = render_html({"summary": {"verdict": "ok"}, "findings": [], "columns": {}})
    >>> page.startswith("<!DOCTYPE html>") and "https://" not in page.split("<script")[0]
    True
    """
    return _environment().get_template("report.html").render(**_context(report))


def _context(report: dict[str, Any]) -> dict[str, Any]:
    rows = drift_rows(report)
    charted = _chart_columns(report, rows)
    moving = ([row for row in rows if row.drifting] or rows)[:MAX_WINDOW_LINES]
    windowed = bool(report.get("windows")) and bool(moving)
    quality = quality_rows(report)
    context = {
        "report": report,
        "summary": report.get("summary", {}),
        "rows": rows,
        "column_charts": [_column_chart(report, i, *item) for i, item in enumerate(charted)],
        "uncharted": len(rows) - len(charted),
        "windows_chart": Chart("chart-windows", script_json(windows_figure(report, moving)))
        if windowed
        else None,
        "windows_shown": len(moving),
        "windows_drifting": sum(row.drifting for row in rows),
        "window_labels": window_labels(report),
        "quality": quality[:MAX_QUALITY_ROWS],
        "quality_hidden": max(0, len(quality) - MAX_QUALITY_ROWS),
        "multivariate": multivariate_rows(report),
        **_performance_context(report),
        **_segment_context(report),
        **_outlier_context(report),
        **_skew_context(report),
        "plotly_js": _plotly_js(),
        "plotly_config": safe_json(json.dumps(PLOTLY_CONFIG)),
    }
    context["charts"] = _charts(context)
    return context


def _charts(context: dict[str, Any]) -> list[Chart]:
    """Every figure on the page, in page order."""
    charts = [item["chart"] for item in context["performance_charts"]]
    charts += [context["windows_chart"], context["outlier_chart"]]
    charts += [item["chart"] for item in context["column_charts"]]
    return [chart for chart in charts if chart]


def _performance_context(report: dict[str, Any]) -> dict[str, Any]:
    rows = performance_rows(report)
    detections = stream_findings(report)
    charted = charted_performance(rows, MAX_PERFORMANCE_CHARTS) if report.get("windows") else []
    return {
        "performance": rows,
        "performance_charts": [
            {
                "row": row,
                "chart": Chart(
                    f"chart-performance-{i}",
                    script_json(performance_figure(report, row, detections)),
                ),
            }
            for i, row in enumerate(charted)
        ],
        "performance_uncharted": len(rows) - len(charted),
        "performance_targets": len({row.target for row in rows}),
        "detections": detections,
        "unreliable": unreliable_estimates(report)[:MAX_TABLE_ROWS],
    }


def _segment_context(report: dict[str, Any]) -> dict[str, Any]:
    worst = worst_segments(report)
    return {
        "segments": worst[:MAX_TABLE_ROWS],
        "segments_clear": segments_clear(worst),
        "segment_metrics": segment_metrics(report)[:MAX_TABLE_ROWS],
        "segment_drivers": segment_drivers(report)[:MAX_TABLE_ROWS],
        "segment_drift": segment_drift(report)[:MAX_TABLE_ROWS],
    }


def _outlier_context(report: dict[str, Any]) -> dict[str, Any]:
    rows = outlier_rows(report)
    events = outlier_events(report)
    return {
        "outliers": rows,
        "outlier_events": events,
        "outlier_chart": Chart("chart-outliers", script_json(outlier_figure(report, rows, events)))
        if report.get("windows") and any(row.windowed for row in rows)
        else None,
        "clients": client_rows(report)[:MAX_TABLE_ROWS],
    }


def _skew_context(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "skew": skew_rows(report)[:MAX_TABLE_ROWS],
        "mismatches": mismatch_rows(report)[:MAX_TABLE_ROWS],
        "skew_checks": skew_checks(report),
    }


def _chart_columns(report: dict[str, Any], rows: list[DriftRow]) -> list[tuple[DriftRow, Shares]]:
    """The worst columns that have something to chart, with their shares."""
    columns = report.get("columns", {})
    found = ((row, distribution_shares(columns.get(row.column, {}))) for row in rows)
    return [(row, shares) for row, shares in found if shares][:MAX_COLUMN_CHARTS]


def _column_chart(
    report: dict[str, Any], index: int, row: DriftRow, shares: Shares
) -> dict[str, Any]:
    column = report["columns"][row.column]
    return {
        "row": row,
        "chart": Chart(f"chart-{index}", script_json(shares_figure(*shares))),
        "stats": list(_stats(column)),
        "of_length": (column.get("histogram") or {}).get("of") == "length",
    }


def _stats(column: dict[str, Any]) -> Iterable[tuple[str, Any, Any]]:
    reference, current = column.get("reference") or {}, column.get("current") or {}
    for key in ("rows", "missing", "mean", "std", "min", "max", "distinct"):
        if key in reference or key in current:
            yield key, reference.get(key), current.get(key)


@cache
def _plotly_js() -> str:
    """The plotly.js bundle; guarded so it can never close the script element around it."""
    bundle: str = get_plotlyjs()
    return re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=format_number, share=format_share, band=format_band)
    env.globals.update(severity=SEVERITY, features=feature_names, event_windows=event_windows)
    env.filters["pairs"] = pair_text
    return env
