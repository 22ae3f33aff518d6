"""Plotly figures of the report's distributions and drift per window, and how they are embedded.

Figure JSON is written so that no ``<``, ``>`` or ``&`` appears inside a ``<script>`` block, and
text handed to Plotly is HTML-escaped, because Plotly reads tags and entities in labels.
:class:`WindowAxis` and :func:`layout` are shared with the timelines of ``_timeline``.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from steward.report._findings import findings_of, window_labels
from steward.report._text import format_number
from steward.report._view import DriftRow

MAX_TICKS = 8


REFERENCE_COLOUR = "#9ca3af"


CURRENT_COLOUR = "#2563eb"


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
    figure = go.Figure(layout=layout(height=380, y_format=None))
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
    figure = go.Figure(layout=layout(height=300, y_format=".0%"))
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


def layout(height: int, y_format: str | None) -> go.Layout:
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
