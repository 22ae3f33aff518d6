"""``steward monitor``: run one monitoring pass, or show a model's windows and alerts.

``run`` is what cron or an orchestrator calls: one pass over every model with a plan (or the
models named), then a summary. Running it twice with nothing new in between changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from steward._exceptions import InputError, NotFound
from steward.commands._common import open_store

app = typer.Typer(
    help="Run monitoring passes and show windows and alerts.",
    no_args_is_help=True,
)
out = Console()
COUNTS = ("closed", "checked", "rechecked", "findings", "alerts_fired", "alerts_resolved")
COUNTS += ("notifications_sent",)


@app.command()
def run(
    model: Annotated[
        list[str] | None, typer.Option("--model", help="only this model (repeatable)")
    ] = None,
    now: Annotated[
        str | None, typer.Option(help="the pass's time, ISO 8601 (default: the clock)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the summary as JSON")] = False,
) -> None:
    """One pass: close finished windows, check them, alert, notify, act."""
    from steward.monitor.passes import run_pass

    at = parse_time(now) if now else None
    store = open_store()
    try:
        result = run_pass(store, now=at, models=model or None)
    finally:
        store.dispose()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    out.print(_summary(result.to_dict()))


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        example = "2024-03-01T00:00Z"
        raise InputError(f"--now {text!r} is not an ISO 8601 time such as {example}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _summary(result: dict[str, Any]) -> Table:
    table = Table(title=f"monitoring pass at {result['now']}")
    table.add_column("model")
    for name in COUNTS:
        table.add_column(name.replace("_", " "), justify="right")
    table.add_column("note")
    for row in result["models"]:
        table.add_row(row["model"], *(str(row[k]) for k in COUNTS), _note(row))
    totals = result["totals"]
    table.add_row("total", *(str(totals[k]) for k in COUNTS), "", style="bold")
    return table


def _note(row: dict[str, Any]) -> str:
    if row["skipped"]:
        return f"skipped: {row['skipped']}"
    return f"{len(row['actions'])} action(s)" if row["actions"] else ""


@app.command()
def status(
    name: Annotated[str, typer.Argument(help="model name", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="as JSON")] = False,
) -> None:
    """A model's windows (open and closed) and its active alerts."""
    store = open_store()
    try:
        found = model_status(store, name)
    finally:
        store.dispose()
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    out.print(_windows_table(found))
    out.print(_alerts_table(found))


def model_status(store: Any, name: str) -> dict[str, Any]:
    """Windows (newest first, at most 50) and active alerts of ``name``, as plain data."""
    from sqlalchemy import select

    from steward.monitor.alerts import AlertManager
    from steward.store.tables import VersionRow, WindowRow

    model_id = _model_id(store, name)
    query = (
        select(WindowRow, VersionRow.version)
        .join(VersionRow, VersionRow.id == WindowRow.version_id)
        .where(WindowRow.model_id == model_id)
        .order_by(WindowRow.start.desc(), WindowRow.role)
        .limit(50)
    )
    with store.session() as session:
        windows = [_window(row, version) for row, version in session.execute(query)]
    alerts = [_alert(a) for a in AlertManager(store).active_alerts(model_id)]
    return {"model": name, "windows": windows, "alerts": alerts}


def _model_id(store: Any, name: str) -> int:
    from sqlalchemy import select

    from steward.store.tables import ModelRow

    with store.session() as session:
        found = session.scalar(select(ModelRow.id).where(ModelRow.name == name))
    if found is None:
        raise NotFound(f"unknown model {name!r}")
    return int(found)


def _window(row: Any, version: int) -> dict[str, Any]:
    stamp = [row.start, row.end, row.closed_at, row.checked_at]
    start, end, closed, checked = (t.isoformat() if t else None for t in stamp)
    return {
        "id": row.id,
        "version": version,
        "role": row.role,
        "start": start,
        "end": end,
        "state": row.state,
        "rows": row.rows,
        "labelled": row.labelled,
        "closed_at": closed,
        "checked_at": checked,
    }


def _alert(alert: Any) -> dict[str, Any]:
    fired = alert.fired_at.isoformat() if alert.fired_at else None
    return {
        "rule": alert.rule,
        "group": alert.group_key,
        "state": alert.state,
        "severity": alert.severity,
        "fired_at": fired,
        "summary": alert.summary,
    }


def _windows_table(found: dict[str, Any]) -> Table:
    table = Table(title=f"windows of {found['model']}")
    for name in ("version", "role", "start", "end", "state", "rows", "labelled", "checked_at"):
        table.add_column(name.replace("_", " "))
    for w in found["windows"]:
        cells = (w["version"], w["role"], w["start"], w["end"], w["state"], w["rows"])
        table.add_row(*(str(c) for c in cells), str(w["labelled"]), str(w["checked_at"] or "-"))
    return table


def _alerts_table(found: dict[str, Any]) -> Table:
    table = Table(title=f"active alerts of {found['model']}")
    for name in ("rule", "state", "severity", "fired at", "summary"):
        table.add_column(name)
    for a in found["alerts"]:
        table.add_row(a["rule"], a["state"], a["severity"], a["fired_at"] or "-", a["summary"])
    return table


# --- the automated actions by hand (defined in steward.commands.actions) -------------------

from steward.commands.actions import gate_command, retrain_command  # noqa: E402

app.command("retrain")(retrain_command)
app.command("gate")(gate_command)
