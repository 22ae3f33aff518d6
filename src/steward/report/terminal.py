"""Print a report dict (docs/report-schema.md) as a short Rich summary in the terminal.

Values from the report are wrapped in ``rich.text.Text`` (so ``[bold]`` in a column name is not
markup) and control characters are shown as ``\\xNN`` (so a name cannot move the cursor or
recolour the terminal).
"""

from __future__ import annotations

import re
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from steward.report._view import (
    CheckRow,
    ClientRow,
    DriftRow,
    PerformanceRow,
    QualityRow,
    SegmentRow,
    client_rows,
    drift_rows,
    format_band,
    format_number,
    format_share,
    outlier_rows,
    performance_rows,
    quality_rows,
    segments_clear,
    short_check,
    unreliable_estimates,
    window_labels,
    worst_segments,
)

VERDICT_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "unreliable": "magenta"}
MAX_ROWS = 30
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def render_terminal(report: dict[str, Any], console: Console | None = None) -> None:
    """Print the verdict, drifting columns, quality problems and window status.

    >>> from rich.console import Console
    >>> console = Console(width=100, color_system=None)
    >>> render_terminal({"summary": {"verdict": "ok"}, "findings": []}, console)
    OK · 0 of – columns drifted (–) · dataset drift: no · rows – reference / – current
    No column drifts.
    """
    console = console or Console()
    for part in _parts(report):
        console.print(part)


def _parts(report: dict[str, Any]) -> list[RenderableType]:
    parts: list[RenderableType] = [verdict_line(report)]
    performance = performance_rows(report)
    if performance:
        parts += [performance_table(performance), *unreliable_lines(report)]
    parts.append(_drift_part(report))
    segments = worst_segments(report)
    if segments:
        parts.append(_segment_part(segments))
    outliers, clients = outlier_rows(report), [r for r in client_rows(report) if r.problem]
    if outliers:
        parts.append(outlier_table(outliers))
    if clients:
        parts.append(client_table(clients))
    problems = [row for row in quality_rows(report) if row.problem]
    if problems:
        parts.append(quality_table(problems, report))
    if report.get("windows"):
        parts.append(windows_line(report))
    return parts


def verdict_line(report: dict[str, Any]) -> Text:
    summary = report.get("summary", {})
    verdict = str(summary.get("verdict", ""))
    drifted = len(summary.get("drifted_columns", []))
    checked = format_number(summary.get("columns_checked"))
    rows = (format_number(report.get(side, {}).get("rows")) for side in ("reference", "current"))
    return Text.assemble(
        plain(verdict.upper(), VERDICT_STYLE.get(verdict)),
        f" · {drifted} of {checked} columns drifted ({format_share(summary.get('drift_share'))})",
        f" · dataset drift: {'yes' if summary.get('dataset_drift') else 'no'}",
        " · rows {} reference / {} current".format(*rows),
    )


def drift_table(rows: list[DriftRow], windows: int) -> Table:
    table = _table("Drifting columns")
    for header in (
        "column",
        "kind",
        "test",
        "statistic",
        "p / q",
        "effect / min",
        "verdict",
        "status",
    ):
        table.add_column(header, justify="right" if header in _NUMERIC else "left")
    for row in rows[:MAX_ROWS]:
        table.add_row(*_drift_cells(row, windows))
    return table


def quality_table(problems: list[QualityRow], report: dict[str, Any]) -> Table:
    """Problems with, when windowed, the number of windows where each showed."""
    windows = len(report.get("windows", []))
    headers = ["check", "column", "value", "bound", "verdict", "windows", "message"]
    table = _table("Quality problems")
    for header in headers if windows else [h for h in headers if h != "windows"]:
        table.add_column(header, justify="right" if header in _NUMERIC else "left")
    for row in problems[:MAX_ROWS]:
        failed = f"{len(row.windows_failed)}/{windows}" if windows else None
        table.add_row(*_quality_cells(row.finding, failed))
    return table


def performance_table(rows: list[PerformanceRow]) -> Table:
    """Realised and estimated metrics on all current rows, with their 95% bands."""
    table = _table("Model performance")
    for header in ("metric", "realised [band]", "estimated [band]", "reference", "labelled"):
        table.add_column(Text(header), justify="left" if header == "metric" else "right")
    table.add_column("verdict")
    for row in rows[:MAX_ROWS]:
        estimated = format_band(row.estimated)
        if row.unreliable_reason:
            estimated += " (unreliable)"
        table.add_row(
            plain(_metric_name(row, rows), "bold"),
            plain(format_band(row.realised)),
            plain(estimated, "magenta" if row.unreliable_reason else None),
            plain(format_number(row.reference)),
            plain(format_share(row.coverage)),
            plain(row.verdict, VERDICT_STYLE.get(row.verdict)),
        )
    return table


def segment_table(rows: list[SegmentRow]) -> Table:
    """The slices of rows where the model's error is highest."""
    table = _table("Worst segments")
    for header in ("segment", "rows", "support", "error in / out", "ratio", "q", "verdict"):
        table.add_column(header, justify="left" if header in ("segment", "verdict") else "right")
    for row in rows[:MAX_SEGMENTS]:
        d = row.details
        table.add_row(
            plain(row.conditions, "bold"),
            plain(format_number(d.get("rows"))),
            plain(format_share(d.get("support"))),
            plain(f"{format_number(d.get('inside'))} / {format_number(d.get('outside'))}"),
            plain(format_number(d.get("ratio"))),
            plain(format_number(d.get("q_value"))),
            plain(row.verdict, VERDICT_STYLE.get(row.verdict)),
        )
    return table


def outlier_table(rows: list[CheckRow]) -> Table:
    """Outlier rate per detector against the reference rate."""
    table = _table("Outlier rates")
    for header in ("detector", "rate", "reference", "p", "flagged / rows", "verdict"):
        table.add_column(header, justify="left" if header in ("detector", "verdict") else "right")
    for row in rows[:MAX_ROWS]:
        f, d = row.finding, row.details
        column = f.get("column")
        table.add_row(
            plain(row.name if column is None else f"{row.name} · {column}", "bold"),
            plain(format_share(f.get("statistic"))),
            plain(format_share(f.get("threshold"))),
            plain(format_number(f.get("p_value"))),
            plain(f"{format_number(d.get('flagged'))} / {format_number(d.get('rows'))}"),
            plain(row.verdict, VERDICT_STYLE.get(row.verdict)),
        )
    return table


def client_table(rows: list[ClientRow]) -> Table:
    """Clients flagged for their volume, outlier rate or probing."""
    table = _table("Flagged clients")
    headers = ("client", "rows", "volume", "outliers", "probing", "verdict", "reasons")
    for header in headers:
        table.add_column(header, justify="left" if header in _TEXT else "right")
    for row in rows[:MAX_ROWS]:
        d = row.details
        table.add_row(
            plain(row.client, "bold"),
            plain(format_number(d.get("rows"))),
            plain(format_share(d.get("volume_share"))),
            plain(format_share(d.get("outlier_rate"))),
            plain(format_share(d.get("probing_share"))),
            plain(row.verdict, VERDICT_STYLE.get(row.verdict)),
            plain(row.reasons),
        )
    return table


def windows_line(report: dict[str, Any]) -> Text:
    summary = report.get("summary", {})
    last = report["windows"][-1]
    return Text.assemble(
        f"{len(report['windows'])} windows (last ",
        plain(last.get("label", last.get("index"))),
        ") · sustained: ",
        _names(summary.get("sustained", []), "bold red"),
        " · transient: ",
        _names(summary.get("transient", []), "yellow"),
    )


def plain(value: Any, style: str | None = None) -> Text:
    """Report data as literal text: no markup, control characters made visible."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
    return Text(text, style=style or "")


_NUMERIC = {"statistic", "p / q", "effect / min", "value", "bound"}
_TEXT = {"client", "verdict", "reasons"}
MAX_SEGMENTS = 10
MAX_UNRELIABLE = 5


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)


def _drift_part(report: dict[str, Any]) -> RenderableType:
    rows = [row for row in drift_rows(report) if row.drifting]
    if not rows:
        return Text("No column drifts.", style="green")
    table = drift_table(rows, len(report.get("windows", [])))
    if len(rows) <= MAX_ROWS:
        return table
    return Group(table, Text(f"… and {len(rows) - MAX_ROWS} more drifting columns"))


def unreliable_lines(report: dict[str, Any]) -> list[RenderableType]:
    """One line per unreliable estimate with its reason, on all rows first, then latest."""
    found = unreliable_estimates(report)
    labels = window_labels(report)
    lines: list[RenderableType] = [
        Text.assemble(
            plain(f"estimate of {short_check(f.get('check'))}", "magenta"),
            " (",
            plain(_where(f, labels)),
            ") unreliable: ",
            plain((f.get("details") or {}).get("reason") or "no reason given"),
        )
        for f in found[:MAX_UNRELIABLE]
    ]
    if len(found) > MAX_UNRELIABLE:
        lines.append(Text(f"… and {len(found) - MAX_UNRELIABLE} more unreliable estimates"))
    return lines


def _where(finding: dict[str, Any], labels: dict[int, str]) -> str:
    window = finding.get("window")
    return "all rows" if window is None else labels.get(window, str(window))


def _segment_part(rows: list[SegmentRow]) -> RenderableType:
    if segments_clear(rows):
        message = rows[0].finding.get("message", "")
        return Text.assemble(plain("Segments: ", "green"), plain(message))
    return segment_table(rows)


def _metric_name(row: PerformanceRow, rows: list[PerformanceRow]) -> str:
    """The metric, with its target when the report has several."""
    several = len({r.target for r in rows}) > 1
    return f"{row.metric} ({row.target})" if several else row.metric


def _drift_cells(row: DriftRow, windows: int) -> list[Text]:
    status = row.drift if not windows else f"{row.drift} {row.windows_failed}/{windows}"
    return [
        plain(row.column, "bold"),
        plain(row.kind),
        plain(short_check(row.check)),
        plain(format_number(row.statistic)),
        plain(f"{format_number(row.p_value)} / {format_number(row.q_value)}"),
        plain(f"{format_number(row.effect_size)} / {format_number(row.threshold)}"),
        plain(row.verdict, VERDICT_STYLE.get(row.verdict)),
        plain(status, "red" if row.drift == "sustained" else None),
    ]


def _quality_cells(finding: dict[str, Any], windows: str | None) -> list[Text]:
    verdict = str(finding.get("verdict", ""))
    column = finding.get("column")
    cells = [
        plain(short_check(finding.get("check", ""))),
        plain("–" if column is None else column, "bold"),
        plain(format_number(finding.get("statistic"))),
        plain(format_number(finding.get("threshold"))),
        plain(verdict, VERDICT_STYLE.get(verdict)),
        plain(finding.get("message", "")),
    ]
    return cells if windows is None else [*cells[:5], plain(windows), cells[5]]


def _names(names: list[Any], style: str) -> Text:
    if not names:
        return Text("none")
    return Text(", ").join(plain(name, style) for name in names)
