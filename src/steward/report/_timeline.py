"""Timelines over the windows: model metrics with their bands, and outlier rates with episodes.

Both put the windows on a category axis (:class:`~steward.report._figures.WindowAxis`) and mark
what happened there: unreliable estimates, stream detections, transient and sustained shifts.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator
from typing import Any

import plotly.graph_objects as go

from steward.report._figures import (
    CURRENT_COLOUR,
    REFERENCE_COLOUR,
    WindowAxis,
    layout,
    plotly_text,
)
from steward.report._findings import Finding, details, findings_of, short_check
from steward.report._text import format_band, format_number
from steward.report._view import CheckRow, PerformanceRow, by_window, event_windows, label_coverage

MAX_DRIFT_LANES = 4


LANE = 0.07


ESTIMATE_COLOUR = "#ea580c"


UNRELIABLE_COLOUR = "#dc2626"


STREAM_COLOUR = "#7c3aed"


SHADES = {"transient": "rgba(245, 158, 11, 0.22)", "sustained": "rgba(220, 38, 38, 0.16)"}


PALETTE = ("#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2")


def performance_figure(
    report: dict[str, Any], row: PerformanceRow, detections: list[Finding]
) -> go.Figure:
    """A metric over windows: realised and estimated with their bands, the reference, coverage.

    Unreliable estimates are hollow red markers whose hover text gives the reason; label
    coverage is a faint bar per window on a right-hand axis; stream detections are vertical
    lines.
    """
    axis = WindowAxis.of(report)
    figure = go.Figure(layout=layout(height=340, y_format=None))
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
    figure = go.Figure(layout=layout(height=360, y_format=".1%"))
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
