"""Render a report dict (docs/report-schema.md) as one self-contained, offline HTML page.

The page carries its own CSS and plotly.js (inlined once from the installed ``plotly``), so it
opens on a machine without network and makes no request. Everything taken from the report is
escaped twice over: Jinja2 autoescapes the markup, and figure JSON is written so that no ``<``,
``>`` or ``&`` appears inside a ``<script>`` block. Text handed to Plotly is HTML-escaped too,
because Plotly reads tags and entities in labels.

The rows come from ``_view`` (shared with the terminal renderer); this module builds the
figures and the page.
"""

from __future__ import annotations

import html
import json
import math
import re
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from steward.report._view import (
    SEVERITY,
    CheckRow,
    DriftRow,
    Finding,
    PerformanceRow,
    by_window,
    charted_performance,
    client_rows,
    details,
    drift_rows,
    event_windows,
    feature_names,
    findings_of,
    format_band,
    format_number,
    format_share,
    label_coverage,
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
    short_check,
    skew_checks,
    skew_rows,
    stream_findings,
    unreliable_estimates,
    window_labels,
    worst_segments,
)

MAX_COLUMN_CHARTS = 30
MAX_WINDOW_LINES = 10
MAX_QUALITY_ROWS = 500
MAX_TABLE_ROWS = 200
MAX_PERFORMANCE_CHARTS = 6
MAX_DRIFT_LANES = 4
LANE = 0.07
MAX_TICKS = 8
REFERENCE_COLOUR = "#9ca3af"
CURRENT_COLOUR = "#2563eb"
ESTIMATE_COLOUR = "#ea580c"
UNRELIABLE_COLOUR = "#dc2626"
STREAM_COLOUR = "#7c3aed"
SHADES = {"transient": "rgba(245, 158, 11, 0.22)", "sustained": "rgba(220, 38, 38, 0.16)"}
PALETTE = ("#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "typesetMath": False}
TEMPLATES = Path(__file__).parent / "templates"

# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Chart:
    """One Plotly figure, serialised safe for a ``<script>`` block, and its place on the page."""

    target: str
    figure: str


def script_json(figure: go.Figure) -> str:
    """Figure JSON that cannot end its ``<script>`` element or open a comment."""
    return safe_json(pio.to_json(figure, validate=False))


def safe_json(text: str) -> str:
    """JSON text with ``<``, ``>``, ``&`` and line separators as ``\\uXXXX`` escapes.

    Outside strings JSON has none of these characters, so the value is unchanged.
    """
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def plotly_text(value: Any) -> str:
    """Plotly interprets tags and entities in labels; escaped, a label shows as written."""
    return html.escape(str(value), quote=False)


Shares = tuple[list[str], list[Any], list[Any]]


def distribution_shares(column: dict[str, Any]) -> Shares | None:
    """Labels and reference/current shares: histogram bins (numeric) or top categories."""
    if column.get("histogram"):
        hist = column["histogram"]
        return bin_labels(hist["edges"]), hist["reference"], hist["current"]
    if column.get("categories"):
        cats = column["categories"]
        return [plotly_text(label) for label in cats["labels"]], cats["reference"], cats["current"]
    return None


def bin_labels(edges: list[float]) -> list[str]:
    last = len(edges) - 2
    return [
        f"[{format_number(lo)} – {format_number(hi)}{']' if i == last else ')'}"
        for i, (lo, hi) in enumerate(pairwise(edges))
    ]


def windows_figure(report: dict[str, Any], rows: list[DriftRow]) -> go.Figure:
    """Effect size per window for each charted column, with a dashed line per threshold."""
    labels = _unique_labels(report)
    figure = go.Figure(layout=_layout(height=380, y_format=None))
    figure.update_layout(xaxis_title="window", yaxis_title="effect size")
    for row in rows:
        figure.add_trace(_window_trace(report, row, labels))
    for i, threshold in enumerate(sorted(_thresholds(report, rows))):
        figure.add_hline(
            y=threshold,
            line={"dash": "dash", "color": "#dc2626", "width": 1},
            annotation_text=f"threshold {format_number(threshold)}",
            annotation_position="top right" if i % 2 else "top left",
        )
    return figure


def shares_figure(labels: list[str], reference: list[Any], current: list[Any]) -> go.Figure:
    """Grouped bars, reference in grey and current in blue, y as a share.

    At most ``MAX_TICKS`` labels are written under the axis; hovering shows every bar's.
    """
    figure = go.Figure(layout=_layout(height=300, y_format=".0%"))
    figure.update_layout(barmode="group", bargap=0.15)
    if len(labels) > MAX_TICKS:
        figure.update_xaxes(tickvals=labels[:: math.ceil(len(labels) / MAX_TICKS)])
    for name, shares, colour in (
        ("reference", reference, REFERENCE_COLOUR),
        ("current", current, CURRENT_COLOUR),
    ):
        figure.add_trace(
            go.Bar(
                x=labels,
                y=shares,
                name=name,
                marker_color=colour,
                hovertemplate="%{x}<br>" + name + ": %{y:.2%}<extra></extra>",
            )
        )
    return figure


def _window_trace(report: dict[str, Any], row: DriftRow, labels: dict[int, str]) -> go.Scatter:
    found = [f for f in findings_of(report, "drift") if f.get("column") == row.column]
    found = sorted((f for f in found if f.get("window") in labels), key=lambda f: f["window"])
    return go.Scatter(
        x=[labels[f["window"]] for f in found],
        y=[f.get("effect_size") for f in found],
        name=plotly_text(row.column),
        mode="lines+markers",
        marker={
            "size": 8,
            "symbol": ["circle" if f.get("verdict") == "fail" else "circle-open" for f in found],
        },
        customdata=[plotly_text(f.get("verdict", "")) for f in found],
        hovertemplate="%{x}<br>effect %{y:.3g} (%{customdata})",
    )


def _unique_labels(report: dict[str, Any]) -> dict[int, str]:
    labels = window_labels(report)
    if len(set(labels.values())) < len(labels):
        labels = {index: f"{index}: {label}" for index, label in labels.items()}
    return {index: plotly_text(label) for index, label in labels.items()}


def _thresholds(report: dict[str, Any], rows: list[DriftRow]) -> set[float]:
    names = {row.column for row in rows}
    found = findings_of(report, "drift")
    return {f["threshold"] for f in found if f.get("column") in names and f.get("threshold")}


def _layout(height: int, y_format: str | None) -> go.Layout:
    grid = {"gridcolor": "#e5e7eb", "zerolinecolor": "#d1d5db", "automargin": True}
    return go.Layout(
        template="none",
        height=height,
        margin={"l": 56, "r": 16, "t": 24, "b": 48},
        font={"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12},
        paper_bgcolor="white",
        plot_bgcolor="white",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        xaxis={**grid, "type": "category", "tickangle": -30},
        yaxis={**grid, "tickformat": y_format or ""},
    )


@dataclass(frozen=True)
class WindowAxis:
    """The windows as a category axis: escaped unique labels, in window order, by index."""

    labels: dict[int, str]

    @classmethod
    def of(cls, report: dict[str, Any]) -> WindowAxis:
        return cls(dict(sorted(_unique_labels(report).items())))

    @property
    def categories(self) -> list[str]:
        return list(self.labels.values())

    def position(self, window: Any) -> int | None:
        """Where a window sits on the axis (shapes on a category axis take positions)."""
        return next((i for i, index in enumerate(self.labels) if index == window), None)

    def apply(self, figure: go.Figure) -> None:
        figure.update_xaxes(categoryorder="array", categoryarray=self.categories)


def performance_figure(
    report: dict[str, Any], row: PerformanceRow, detections: list[Finding]
) -> go.Figure:
    """A metric over windows: realised and estimated with their bands, the reference, coverage.

    Unreliable estimates are hollow red markers whose hover text gives the reason; label
    coverage is a faint bar per window on a right-hand axis; stream detections are vertical
    lines.
    """
    axis = WindowAxis.of(report)
    figure = go.Figure(layout=_layout(height=340, y_format=None))
    axis.apply(figure)
    figure.update_layout(yaxis2=_coverage_axis(), yaxis_title=plotly_text(row.metric))
    figure.update_layout(margin_r=48)
    figure.add_trace(_coverage_trace(report, row, axis))
    realised = by_window(report, f"performance.{row.metric}", row.target)
    estimated = by_window(report, f"estimate.{row.metric}", row.target)
    for found, name, colour, dash in (
        (realised, "realised", CURRENT_COLOUR, "solid"),
        (estimated, "estimated", ESTIMATE_COLOUR, "dash"),
    ):
        figure.add_traces([*_band_traces(found, axis, name, colour, dash)])
        if found:
            figure.add_trace(_metric_trace(found, axis, name, colour, dash))
    unreliable = {w: f for w, f in estimated.items() if f.get("verdict") == "unreliable"}
    if unreliable:
        figure.add_trace(_unreliable_trace(unreliable, axis, row.reference))
    if isinstance(row.reference, (int, float)):
        figure.add_hline(
            y=row.reference,
            line={"dash": "dot", "color": "#4b5563", "width": 1.5},
            annotation_text=f"reference {format_number(row.reference)}",
            annotation_position="bottom right",
        )
    _mark_detections(figure, detections, axis)
    return figure


def outlier_figure(
    report: dict[str, Any], rows: list[CheckRow], events: list[Finding]
) -> go.Figure:
    """Outlier rate per window per detector, each with its reference rate (dashed).

    Transient episodes are shaded amber and sustained shifts red: ``outlier.event`` findings
    over the whole height, the summary's transient and sustained drift columns as one lane
    each under the plot.
    """
    axis = WindowAxis.of(report)
    figure = go.Figure(layout=_layout(height=360, y_format=".1%"))
    axis.apply(figure)
    figure.update_layout(yaxis_title="outlier rate")
    for i, row in enumerate(rows):
        figure.add_traces(_rate_traces(report, row, axis, PALETTE[i % len(PALETTE)]))
    lanes = _drift_lanes(report, axis)
    floor = _make_room(figure, len(lanes)) if lanes else 0.0
    spans = list(_event_spans(events, axis))
    levels: dict[int, int] = {}
    for kind, start, end, label in spans:
        levels[start] = levels.get(start, -1) + 1
        _shade(figure, kind, (start, end), (floor, 1), label, 1 - 0.07 * levels[start])
    for lane, (name, kind, runs) in enumerate(lanes):
        for i, (start, end) in enumerate(runs):
            bottom = LANE * lane
            label = f"{kind} drift: {name}" if i == 0 else ""
            _shade(figure, kind, (start, end), (bottom, bottom + LANE * 0.85), label, None)
    for kind in sorted({span[0] for span in spans} | {lane[1] for lane in lanes}):
        figure.add_trace(_legend_swatch(kind))
    return figure


def _coverage_axis() -> dict[str, Any]:
    """Right-hand axis for label coverage, scaled so 100% fills the bottom quarter."""
    return {
        "overlaying": "y",
        "side": "right",
        "range": [0, 4],
        "tickvals": [0, 0.5, 1],
        "tickformat": ".0%",
        "showgrid": False,
        "zeroline": False,
        "title": {"text": "labelled", "font": {"size": 10}},
    }


def _coverage_trace(report: dict[str, Any], row: PerformanceRow, axis: WindowAxis) -> go.Bar:
    shares = {w: s for (t, w), s in label_coverage(report).items() if t == row.target}
    for family in ("estimate", "performance"):
        for window, found in by_window(report, f"{family}.{row.metric}", row.target).items():
            share = details(found).get("label_coverage")
            if share is not None and shares.get(window) is None:
                shares[window] = share
    windows = [w for w in axis.labels if shares.get(w) is not None]
    return go.Bar(
        x=[axis.labels[w] for w in windows],
        y=[shares[w] for w in windows],
        yaxis="y2",
        name="label coverage",
        marker={"color": REFERENCE_COLOUR, "opacity": 0.35},
        hovertemplate="%{x}<br>labelled %{y:.1%}<extra></extra>",
    )


def _metric_trace(
    found: dict[int, Finding], axis: WindowAxis, name: str, colour: str, dash: str
) -> go.Scatter:
    windows = [w for w in axis.labels if w in found]
    return go.Scatter(
        x=[axis.labels[w] for w in windows],
        y=[found[w].get("statistic") for w in windows],
        name=name,
        legendgroup=name,
        mode="lines+markers",
        line={"color": colour, "dash": dash, "width": 2},
        marker={"size": 7},
        customdata=[_band_hover(found[w]) for w in windows],
        hovertemplate=f"%{{x}}<br>{name} %{{customdata}}<extra></extra>",
    )


def _band_traces(
    found: dict[int, Finding], axis: WindowAxis, name: str, colour: str, dash: str
) -> Iterator[go.Scatter]:
    """The 95% band as filled polygons, one per run of windows that have a band.

    Unreliable estimates break the band: it is not drawn across a window it does not cover.
    """
    banded = [w for w in axis.labels if w in found and _has_band(found[w])]
    for run in _runs(banded, axis):
        x = [axis.labels[w] for w in run]
        yield go.Scatter(
            x=x + x[::-1],
            y=[found[w]["upper"] for w in run] + [found[w]["lower"] for w in run[::-1]],
            fill="toself",
            fillcolor=_translucent(colour),
            line={"color": colour, "width": 0.5, "dash": dash},
            mode="lines",
            name=f"{name} 95% band",
            legendgroup=name,
            showlegend=False,
            hoverinfo="skip",
        )


def _unreliable_trace(found: dict[int, Finding], axis: WindowAxis, reference: Any) -> go.Scatter:
    """Hollow red markers; an estimate with no value sits on the reference line."""
    windows = [w for w in axis.labels if w in found]
    values = [found[w].get("statistic") for w in windows]
    return go.Scatter(
        x=[axis.labels[w] for w in windows],
        y=[reference if value is None else value for value in values],
        name="estimate unreliable",
        mode="markers",
        marker={
            "symbol": "circle-open",
            "size": 13,
            "color": UNRELIABLE_COLOUR,
            "line": {"width": 2.5},
        },
        customdata=[_reason_hover(found[w]) for w in windows],
        hovertemplate="%{x}<br>estimate unreliable<br>%{customdata}<extra></extra>",
    )


def _mark_detections(figure: go.Figure, found: list[Finding], axis: WindowAxis) -> None:
    """A vertical line at each window where a stream detector fired, named at the top."""
    names: dict[int, list[str]] = {}
    for finding in found:
        position = axis.position(finding.get("window"))
        if position is not None:
            names.setdefault(position, []).append(_stream_name(finding))
    for position, found_names in names.items():
        figure.add_shape(
            type="line",
            xref="x",
            yref="paper",
            x0=position,
            x1=position,
            y0=0,
            y1=1,
            line={"color": STREAM_COLOUR, "dash": "dashdot", "width": 1.5},
        )
        figure.add_annotation(
            x=position,
            y=1,
            xref="x",
            yref="paper",
            text=plotly_text(", ".join(dict.fromkeys(found_names))),
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 10, "color": STREAM_COLOUR},
        )
    if names:
        figure.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name="stream detection",
                line={"color": STREAM_COLOUR, "dash": "dashdot"},
            )
        )


def _rate_traces(
    report: dict[str, Any], row: CheckRow, axis: WindowAxis, colour: str
) -> list[go.Scatter]:
    found = by_window(report, row.finding["check"], row.finding.get("column"))
    windows = [w for w in axis.labels if w in found]
    name = plotly_text(_check_label(row.finding))
    traces = [
        go.Scatter(
            x=[axis.labels[w] for w in windows],
            y=[found[w].get("statistic") for w in windows],
            name=name,
            legendgroup=name,
            mode="lines+markers",
            line={"color": colour},
            marker={"size": 7},
            customdata=[_rate_hover(found[w]) for w in windows],
            hovertemplate="%{x}<br>%{fullData.name} %{y:.2%}<br>%{customdata}<extra></extra>",
        )
    ]
    reference = row.finding.get("threshold")
    if isinstance(reference, (int, float)) and axis.categories:
        traces.append(
            go.Scatter(
                x=axis.categories,
                y=[reference] * len(axis.categories),
                name=f"{name} reference",
                legendgroup=name,
                showlegend=False,
                mode="lines",
                line={"color": colour, "dash": "dash", "width": 1},
                hovertemplate="%{fullData.name} rate %{y:.2%}<extra></extra>",
            )
        )
    return traces


Span = tuple[str, int, int, str]
Lane = tuple[str, str, list[tuple[int, int]]]


def _event_spans(events: list[Finding], axis: WindowAxis) -> Iterator[Span]:
    for event in events:
        info = details(event)
        kind = "sustained" if info.get("kind") == "sustained" else "transient"
        label = f"{kind}: {info.get('signal', short_check(event.get('check')))}"
        if info.get("peak") is not None:
            label += f" (peak {format_number(info['peak'])})"
        for run in _runs(event_windows(event), axis):
            yield kind, _position(axis, run[0]), _position(axis, run[-1]), label


def _drift_lanes(report: dict[str, Any], axis: WindowAxis) -> list[Lane]:
    """The summary's sustained then transient columns, each with the windows it drifted in."""
    summary = report.get("summary", {})
    drift = findings_of(report, "drift")
    lanes = []
    for kind in ("sustained", "transient"):
        for name in summary.get(kind) or []:
            failed = [f.get("window") for f in drift if f.get("column") == name and _failed(f)]
            runs = [(_position(axis, r[0]), _position(axis, r[-1])) for r in _runs(failed, axis)]
            lanes.append((str(name), kind, runs))
    return [lane for lane in lanes if lane[2]][:MAX_DRIFT_LANES]


def _make_room(figure: go.Figure, lanes: int) -> float:
    """Lift the plot so the drift lanes sit between it and the window axis; its new floor."""
    floor = LANE * lanes + 0.03
    figure.update_layout(height=360 + 24 * lanes)
    figure.update_yaxes(domain=[floor, 1])
    figure.update_xaxes(anchor="free", position=0)
    return floor


def _shade(
    figure: go.Figure,
    kind: str,
    windows: tuple[int, int],
    height: tuple[float, float],
    label: str,
    label_y: float | None,
) -> None:
    """Shade windows ``start..end`` between two heights (paper units), with a label."""
    start, end = windows
    figure.add_shape(
        type="rect",
        xref="x",
        yref="paper",
        x0=start - 0.5,
        x1=end + 0.5,
        y0=height[0],
        y1=height[1],
        fillcolor=SHADES[kind],
        line={"width": 0},
        layer="below",
    )
    if label:
        figure.add_annotation(
            x=start - 0.45,
            y=sum(height) / 2 if label_y is None else label_y,
            xref="x",
            yref="paper",
            text=plotly_text(label),
            showarrow=False,
            xanchor="left",
            yanchor="middle" if label_y is None else "top",
            font={"size": 10, "color": "#374151"},
        )


def _legend_swatch(kind: str) -> go.Scatter:
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        name=f"{kind} episode",
        marker={"symbol": "square", "size": 12, "color": SHADES[kind]},
    )


def _runs(windows: Iterable[Any], axis: WindowAxis) -> list[list[int]]:
    """Windows on the axis grouped into runs of neighbours, in axis order."""
    order = list(axis.labels)
    placed = sorted({order.index(w) for w in windows if _is_index(w) and w in axis.labels})
    runs: list[list[int]] = []
    for position in placed:
        if runs and position == runs[-1][-1] + 1:
            runs[-1].append(position)
        else:
            runs.append([position])
    return [[order[position] for position in run] for run in runs]


def _is_index(window: Any) -> bool:
    return isinstance(window, int) and not isinstance(window, bool)


def _position(axis: WindowAxis, window: Any) -> int:
    position = axis.position(window)
    return -1 if position is None else position


def _has_band(finding: Finding) -> bool:
    bounds = (finding.get("lower"), finding.get("upper"))
    return finding.get("verdict") != "unreliable" and all(b is not None for b in bounds)


def _failed(finding: Finding) -> bool:
    return finding.get("verdict") == "fail" and finding.get("window") is not None


def _band_hover(finding: Finding) -> str:
    return plotly_text(f"{format_band(finding)} · {finding.get('verdict', '')}")


def _reason_hover(finding: Finding) -> str:
    reason = str(details(finding).get("reason") or "no reason given")
    value = format_number(finding.get("statistic"))
    lines = textwrap.wrap(f"value {value}; {reason}", 70) or [""]
    return "<br>".join(plotly_text(line) for line in lines)


def _rate_hover(finding: Finding) -> str:
    info = details(finding)
    flagged = f"{format_number(info.get('flagged'))} of {format_number(info.get('rows'))} rows"
    text = f"{flagged} · p {format_number(finding.get('p_value'))} · {finding.get('verdict', '')}"
    return plotly_text(text)


def _stream_name(finding: Finding) -> str:
    name = short_check(finding.get("check"))
    column = finding.get("column")
    return name if column is None else f"{name} ({column})"


def _check_label(finding: Finding) -> str:
    name = short_check(finding.get("check"))
    column = finding.get("column")
    return name if column is None else f"{name} · {column}"


def _translucent(colour: str, alpha: float = 0.15) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


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


# --------------------------------------------------------------------------- page


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
