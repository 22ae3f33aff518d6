"""``steward demo``: the main job on the embedded default, start to finish."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter

import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import Progress

from steward.compare import compare
from steward.datasets import credit_stream


def run_demo(
    out_dir: Path,
    weeks: int = 12,
    weekly_rows: int = 5000,
    console: Console | None = None,
    progress: Progress | None = None,
) -> Path:
    """Simulate a scored credit stream, report it weekly, write the files, return the folder."""
    console = console or Console()
    started = perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    console.print(
        f"[bold]Steward demo[/bold]: a credit-risk model, {weeks} weeks of traffic; "
        f"the population starts to change in week {weeks // 2 + 1}."
    )
    stream = credit_stream(weekly_rows=weekly_rows, weeks=weeks, drift_week=weeks // 2)
    pq.write_table(stream.reference, out_dir / "reference.parquet")
    pq.write_table(stream.production, out_dir / "production.parquet")
    roles = dict(
        target="defaulted",
        prediction="prediction",
        score="score",
        timestamp="timestamp",
        id="application_id",
    )
    with progress or Progress(console=console, transient=True) as bar:
        task = bar.add_task("profiling", total=None)
        result = compare(
            stream.reference,
            stream.production,
            window="1W",
            progress=lambda stage, done, total: bar.update(
                task, description=stage, completed=done, total=total
            ),
            **roles,
        )
    result.to_json(out_dir / "report.json")
    result.to_html(out_dir / "report.html")
    result.print(console)
    console.print(
        f"\nwrote [bold]{out_dir / 'report.html'}[/bold] and "
        f"[bold]{out_dir / 'report.json'}[/bold] "
        f"(data: reference.parquet, production.parquet) in "
        f"{perf_counter() - started:.1f} s"
    )
    return out_dir
