"""``steward demo``: register, serve, monitor, retrain and promote — the whole loop, offline.

Everything runs on the embedded SQLite store under ``OUT/store`` and an in-process service
on a loopback port; simulated days pass through the real HTTP API and monitor passes.
Writes ``report.html`` / ``report.json`` (the served traffic against the first model's
reference, week by week), ``timeline.json`` and ``alerts.log`` into ``OUT``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from steward.demo.loop import LoopResult, run_loop


def run_demo(
    out_dir: Path,
    days: int = 35,
    rows_per_day: int = 400,
    console: Console | None = None,
    progress: Progress | None = None,
) -> Path:
    """Run the simulated loop, print what happened, write the files; return the folder."""
    console = console or Console()
    started = perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    change_day = max(2, days // 3)
    console.print(
        f"[bold]Steward demo[/bold]: a credit-default model served for {days} simulated days "
        f"({rows_per_day} applications a day); from day {change_day} the population and the "
        "default pattern change."
    )
    with (
        _alerts_to(out_dir / "alerts.log"),
        progress or Progress(console=console, transient=True) as bar,
    ):
        task = bar.add_task("starting", total=None)
        result = run_loop(
            out_dir,
            days=days,
            rows_per_day=rows_per_day,
            change_day=change_day,
            tell=lambda stage, done, total: bar.update(
                task, description=stage, completed=done, total=total
            ),
        )
    _print(console, result)
    report = _report(result)
    report.to_json(out_dir / "report.json")
    report.to_html(out_dir / "report.html")
    _write_timeline(out_dir / "timeline.json", result)
    console.print(
        f"\nwrote [bold]{out_dir / 'report.html'}[/bold], report.json, timeline.json and "
        f"alerts.log; the store is in [bold]{result.home}[/bold] "
        f"(try: STEWARD_HOME={result.home} steward models history credit) "
        f"in {perf_counter() - started:.1f} s"
    )
    return out_dir


def _print(console: Console, result: LoopResult) -> None:
    console.print(f"\nServed through the HTTP API of an in-process service at {result.url}")
    timeline = Table(title="Timeline", title_justify="left")
    for column in ("day", "what happened"):
        timeline.add_column(column)
    for event in result.events:
        timeline.add_row(str(event.day), event.text)
    console.print(timeline)
    console.print(_weekly(result))
    console.print(_shadow(result.shadow))
    history = Table(title="Alias history (steward models history credit)", title_justify="left")
    for column in ("#", "action", "alias", "version", "previous", "actor"):
        history.add_column(column, no_wrap=True)
    history.add_column("reason", overflow="ellipsis", no_wrap=True, max_width=48)
    for event in result.history:
        history.add_row(
            str(event["id"]),
            event["action"],
            event["alias"],
            _v(event["version"]),
            _v(event["previous"]),
            event["actor"],
            event["reason"],
        )
    console.print(history)


def _weekly(result: LoopResult) -> Table:
    table = Table(title="Served accuracy by week (labels joined afterwards)", title_justify="left")
    for column in ("week", "days", "accuracy", "error rate", "served by"):
        table.add_column(column)
    for start in range(0, len(result.daily), 7):
        week = result.daily[start : start + 7]
        accuracy = sum(d["accuracy"] for d in week) / len(week)
        versions = sorted({v for d in week for v in d["versions"]})
        table.add_row(
            str(start // 7 + 1),
            f"{week[0]['day']}–{week[-1]['day']}",
            f"{accuracy:.3f}",
            f"{1 - accuracy:.3f}",
            ", ".join(f"v{v}" for v in versions),
        )
    return table


def _shadow(shadow: dict[str, Any]) -> Table:
    table = Table(title="Shadow comparison (GET /v1/models/credit/shadow)", title_justify="left")
    for column in (
        "challenger",
        "shadow rows",
        "agreement",
        "labelled",
        "its accuracy",
        "champion's",
    ):
        table.add_column(column)
    for row in shadow.get("challengers", []):
        table.add_row(
            f"v{row['version']}",
            str(row.get("shadow_rows")),
            _f(row.get("agreement")),
            str(row.get("labelled")),
            _f(row.get("challenger_metric")),
            _f(row.get("champion_metric")),
        )
    return table


def _report(result: LoopResult) -> Any:
    from steward.compare import compare

    traffic = pa.concat_tables(result.traffic)
    return compare(
        result.reference,
        traffic.drop_columns(["version"]),
        target="defaulted",
        prediction="prediction",
        score="score",
        timestamp="timestamp",
        id="application_id",
        window="1W",
    )


def _write_timeline(path: Path, result: LoopResult) -> None:
    data = {
        "events": [event.to_dict() for event in result.events],
        "daily": result.daily,
        "shadow": result.shadow,
        "history": result.history,
    }
    path.write_text(json.dumps(data, indent=2, default=str))


@contextmanager
def _alerts_to(path: Path) -> Iterator[None]:
    """Send the log route's notifications to a file instead of the terminal."""
    logger = logging.getLogger("steward.alerts")
    handler = logging.FileHandler(path, mode="w")
    previous = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous
        handler.close()


def _v(version: Any) -> str:
    return f"v{version}" if version is not None else "–"


def _f(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "–"
