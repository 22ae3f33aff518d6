"""Render a report dict (docs/report-schema.md) as one self-contained, offline HTML page.

The page carries its own CSS and plotly.js (inlined once from the installed ``plotly``), so it
opens on a machine without network and makes no request. Everything taken from the report is
escaped twice over: Jinja2 autoescapes the markup, and figure JSON is written so that no ``<``,
``>`` or ``&`` appears inside a ``<script>`` block. Text handed to Plotly is HTML-escaped too,
because Plotly reads tags and entities in labels.

The first half of this module shapes the report into rows (shared with the terminal renderer);
the second half builds the figures and the page.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

MAX_COLUMN_CHARTS = 30
MAX_WINDOW_LINES = 10
MAX_QUALITY_ROWS = 500
MAX_TICKS = 8
SEVERITY = {"ok": 0, "unreliable": 1, "warn": 2, "fail": 3}
DRIFT_RANK = {"none": 0, "transient": 1, "drifted": 2, "sustained": 3}
REFERENCE_COLOUR = "#9ca3af"
CURRENT_COLOUR = "#2563eb"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "typesetMath": False}
TEMPLATES = Path(__file__).parent / "templates"

# --------------------------------------------------------------------------- view model


@dataclass(frozen=True)
class DriftRow:
    """The headline drift finding of one column, with its status across windows."""

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
class QualityRow:
    """One quality check on one column: its worst finding and the windows where it failed.

    Among findings of equal severity, the one on all current rows (``window`` null) wins,
    then the latest window.
    """

    finding: dict[str, Any]
    windows_failed: list[str]

    @property
    def verdict(self) -> str:
        return str(self.finding.get("verdict", ""))

    @property
    def problem(self) -> bool:
        return self.verdict in ("warn", "fail")

    @property
    def sort_key(self) -> tuple[Any, ...]:
        f = self.finding
        return (-SEVERITY.get(self.verdict, 0), str(f.get("check")), str(f.get("column")))


def drift_rows(report: dict[str, Any]) -> list[DriftRow]:
    """One row per column with drift findings, worst first."""
    by_column: dict[str, list[dict[str, Any]]] = {}
    for finding in findings_of(report, "drift"):
        if finding.get("column") is not None:
            by_column.setdefault(finding["column"], []).append(finding)
    rows = [_drift_row(report, name, found) for name, found in by_column.items()]
    return sorted(rows, key=lambda row: (row.sort_key, row.column))


def quality_rows(report: dict[str, Any]) -> list[QualityRow]:
    """One row per quality check and column, fail and warn first."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in findings_of(report, "quality"):
        key = (str(finding.get("check")), str(finding.get("column")))
        groups.setdefault(key, []).append(finding)
    labels = window_labels(report)
    rows = [_quality_row(group, labels) for group in groups.values()]
    return sorted(rows, key=lambda row: row.sort_key)


def findings_of(report: dict[str, Any], family: str) -> list[dict[str, Any]]:
    prefix = family + "."
    return [f for f in report.get("findings", []) if str(f.get("check", "")).startswith(prefix)]


def window_labels(report: dict[str, Any]) -> dict[int, str]:
    windows = enumerate(report.get("windows", []))
    return {w.get("index", i): str(w.get("label", w.get("index", i))) for i, w in windows}


def column_kind(report: dict[str, Any], name: str) -> str:
    column = report.get("columns", {}).get(name)
    if column and column.get("kind"):
        return str(column["kind"])
    schema = report.get("schema", {}).get("columns", [])
    return next((str(c.get("kind")) for c in schema if c.get("name") == name), "")


def format_number(value: Any) -> str:
    """Short, stable text for a number: ``1,234``, ``41.2``, ``0.34``, ``1.2e-09``."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if abs(value) >= 1 else f"{value:.3g}"


def format_share(value: Any) -> str:
    return "–" if value is None else f"{value * 100:.3g}%"


def headline(found: list[dict[str, Any]]) -> dict[str, Any]:
    """The finding on all current rows (``window`` null) if there is one, else the latest."""
    return max(found, key=_recency)


def _drift_row(report: dict[str, Any], name: str, found: list[dict[str, Any]]) -> DriftRow:
    latest = headline(found)
    column = report.get("columns", {}).get(name, {})
    return DriftRow(
        column=name,
        kind=column_kind(report, name),
        check=str(latest["check"]),
        statistic=latest.get("statistic"),
        p_value=latest.get("p_value"),
        q_value=(latest.get("details") or {}).get("q_value"),
        effect_size=latest.get("effect_size"),
        threshold=latest.get("threshold"),
        verdict=str(latest.get("verdict", "ok")),
        drift=str(column.get("drift", "drifted" if latest.get("verdict") == "fail" else "none")),
        windows_failed=sum(
            f.get("window") is not None and f.get("verdict") == "fail" for f in found
        ),
    )


def _quality_row(group: list[dict[str, Any]], labels: dict[int, str]) -> QualityRow:
    failed = sorted(
        (f["window"] for f in group if f.get("window") is not None and _is_problem(f)),
    )
    return QualityRow(
        finding=max(group, key=lambda f: (SEVERITY.get(str(f.get("verdict")), 0), _recency(f))),
        windows_failed=[labels.get(window, str(window)) for window in failed],
    )


def _is_problem(finding: dict[str, Any]) -> bool:
    return finding.get("verdict") in ("warn", "fail")


def _recency(finding: dict[str, Any]) -> float:
    """All current rows (``window`` null) before any window, then later windows first."""
    window = finding.get("window")
    return math.inf if window is None else float(window)


def _effect_ratio(effect: float | None, threshold: float | None) -> float:
    if effect is None:
        return 0.0
    return effect / threshold if threshold else effect


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
        customdata=[f.get("verdict", "") for f in found],
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
    return {
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
        "plotly_js": _plotly_js(),
        "plotly_config": safe_json(json.dumps(PLOTLY_CONFIG)),
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
    env.filters.update(num=format_number, share=format_share)
    env.globals["severity"] = SEVERITY
    return env
