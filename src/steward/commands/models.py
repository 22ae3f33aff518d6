"""``steward models``: register versions, move aliases, roll back, read the history.

Scripts rely on two contracts: ``register`` prints the new version number alone on the
last line of stdout (everything else goes to stderr), and every ``--json`` form prints
one JSON document on stdout and nothing else. Without ``--json`` the output is a table.
Errors are one ``error: …`` line and exit code 2 (see :mod:`steward.cli`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from steward._exceptions import InputError
from steward.commands._common import actor, open_store
from steward.registry import AliasEvent, ModelRegistry, ModelVersion

app = typer.Typer(
    help="Register model versions, promote and roll back aliases, show their history.",
    no_args_is_help=True,
)

Name = Annotated[str, typer.Argument(help="model name", show_default=False)]
Version = Annotated[int, typer.Argument(help="version number", show_default=False)]
Reason = Annotated[str, typer.Option(help="why (kept in the history and the audit log)")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON on stdout instead of a table")]
Column = Annotated[str | None, typer.Option(help="column name", show_default=False)]
Pairs = Annotated[list[str] | None, typer.Option(help="KEY=VALUE (repeatable)")]


@contextmanager
def _registry() -> Iterator[ModelRegistry]:
    store = open_store()
    try:
        yield ModelRegistry(store)
    finally:
        store.dispose()


@app.command()
def register(
    name: Name,
    artifact: Annotated[Path, typer.Argument(help="model file or folder", show_default=False)],
    reference: Annotated[
        str, typer.Option(help="reference data file (training or validation rows)")
    ],
    format: Annotated[
        str | None, typer.Option(help="skops, onnx, xgboost, lightgbm, pickle… (default: suffix)")
    ] = None,
    target: Column = None,
    prediction: Column = None,
    score: Annotated[list[str] | None, typer.Option(help="score column(s)")] = None,
    id: Annotated[str | None, typer.Option("--id", help="id column")] = None,
    timestamp: Column = None,
    segment: Annotated[list[str] | None, typer.Option(help="segment column(s)")] = None,
    tag: Pairs = None,
    metric: Pairs = None,
    code_version: Annotated[str | None, typer.Option(help="e.g. the git commit")] = None,
    description: Annotated[str, typer.Option(help="model description (first version)")] = "",
) -> None:
    """Store ARTIFACT as the next version of NAME; prints the version number last."""
    lineage = {
        "tags": _pairs(tag, "--tag"),
        "metrics": {k: _number(v) for k, v in _pairs(metric, "--metric").items()},
        "code_version": code_version,
    }
    with _registry() as registry:
        version = registry.register(
            name,
            artifact,
            reference=reference,
            actor=actor(),
            format=format,
            target=target,
            prediction=prediction,
            score=_one_or_many(score),
            id=id,
            timestamp=timestamp,
            segment=_one_or_many(segment),
            lineage=lineage,
            description=description,
        )
    typer.echo(
        f"registered {name} v{version.version} ({version.format}, {version.task}, "
        f"sha256 {version.sha256[:12]}…)",
        err=True,
    )
    typer.echo(str(version.version))


@app.command("list")
def list_models(as_json: AsJson = False) -> None:
    """Every model with its number of versions and where its aliases point."""
    with _registry() as registry:
        rows = [_summary(registry, name) for name in registry.models()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("model", "versions", "latest", "aliases", title="models")
    for row in rows:
        table.add_row(row["name"], str(row["versions"]), str(row["latest"]), _aliases(row))
    Console().print(table)


@app.command()
def show(
    name: Name,
    version: Annotated[
        str | None, typer.Option(help="a version number or alias (default: newest)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """One version: format, task, features, aliases, lineage, trust."""
    with _registry() as registry:
        found = registry.get(name, version)
    if as_json:
        typer.echo(json.dumps(found.to_dict(), indent=2, default=str))
        return
    Console().print(_version_table(found))


@app.command()
def promote(
    name: Name,
    version: Version,
    alias: Annotated[str, typer.Option(help="champion, challenger, fallback…")] = "champion",
    reason: Reason = "",
) -> None:
    """Point ALIAS (champion by default) at VERSION; the move is recorded."""
    with _registry() as registry:
        event = registry.promote(name, version, alias, actor=actor(), reason=reason)
    was = f" (was v{event.previous})" if event.previous is not None else ""
    typer.echo(f"{name} v{event.version} is now the {alias}{was}")


@app.command()
def demote(
    name: Name,
    version: Annotated[
        int | None, typer.Argument(help="version (default: the alias's only version)")
    ] = None,
    alias: Annotated[str, typer.Option(help="the alias to take off")] = "challenger",
    reason: Reason = "",
) -> None:
    """Take ALIAS (challenger by default) off VERSION; the move is recorded."""
    with _registry() as registry:
        event = registry.demote(name, version, alias, actor=actor(), reason=reason)
    typer.echo(f"{name} v{event.version} is no longer the {alias}")


@app.command()
def rollback(name: Name, reason: Reason = "") -> None:
    """Make the previous champion the champion again, in one step."""
    with _registry() as registry:
        event = registry.rollback(name, actor=actor(), reason=reason)
    typer.echo(f"{name} champion rolled back to v{event.version} (was v{event.previous})")


@app.command()
def history(name: Name, as_json: AsJson = False) -> None:
    """Every alias move of NAME, oldest first, with time, actor and reason."""
    with _registry() as registry:
        events = registry.history(name)
    if as_json:
        typer.echo(json.dumps([e.to_dict() for e in events], indent=2))
        return
    Console().print(_history_table(name, events))


@app.command()
def trust(name: Name, version: Version, reason: Reason = "") -> None:
    """Mark VERSION trusted: formats that run code on load (pickle…) may then load it."""
    with _registry() as registry:
        found = registry.trust(name, version, actor=actor(), reason=reason)
    typer.echo(f"{name} v{found.version} ({found.format}) is trusted")


@app.command()
def verify(
    name: Name,
    version: Annotated[
        str | None, typer.Option(help="a version number or alias (default: newest)")
    ] = None,
    load: Annotated[
        bool, typer.Option("--load", help="also load the model (trust is checked first)")
    ] = False,
) -> None:
    """Check a version's stored bytes against their SHA-256 (and load it with --load)."""
    with _registry() as registry:
        found = registry.get(name, version)
        registry.store.artifacts.verify(found.artifact_id, found.sha256)
        rows = registry.reference_data(name, found.version).num_rows
        if load:
            registry.load(name, found.version)
    loaded = "; it loads" if load else ""
    typer.echo(
        f"{name} v{found.version}: artifact sha256 {found.sha256[:12]}… and "
        f"{rows} reference rows intact{loaded}"
    )


# --- helpers ---------------------------------------------------------------------------


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} takes KEY=VALUE, not {value!r}")
        pairs[key.strip()] = rest
    return pairs


def _number(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value


def _one_or_many(values: list[str] | None) -> str | list[str] | None:
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)


def _summary(registry: ModelRegistry, name: str) -> dict[str, Any]:
    versions = registry.versions(name)
    return {
        "name": name,
        "versions": len(versions),
        "latest": versions[-1].version if versions else None,
        "aliases": registry.aliases(name),
    }


def _aliases(row: dict[str, Any]) -> str:
    return ", ".join(
        f"{alias} → {', '.join(f'v{v}' for v in numbers)}"
        for alias, numbers in row["aliases"].items()
    )


def _version_table(found: ModelVersion) -> Table:
    table = Table("field", "value", title=f"{found.model} v{found.version}", show_header=False)
    lineage = found.lineage
    facts = {
        "format": found.format,
        "task": found.task,
        "classes": ", ".join(map(str, found.classes)) if found.classes else "–",
        "features": ", ".join(found.features),
        "aliases": ", ".join(found.aliases) or "–",
        "status": found.status,
        "trusted": "yes" if found.trusted else "no",
        "registered": f"{found.created_at:%Y-%m-%d %H:%M:%S} UTC by {found.created_by}",
        "sha256": found.sha256,
        "training data": str(lineage.get("training_data", "–")),
        "code version": str(lineage.get("code_version") or "–"),
        "metrics": _inline(lineage.get("metrics")),
        "tags": _inline(lineage.get("tags")),
    }
    for key, value in facts.items():
        table.add_row(key, value)
    return table


def _inline(values: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (values or {}).items()) or "–"


def _history_table(name: str, events: list[AliasEvent]) -> Table:
    table = Table("when (UTC)", "action", "alias", "version", "was", "actor", "reason")
    table.title = f"{name}: alias history"
    for event in events:
        table.add_row(
            f"{event.at:%Y-%m-%d %H:%M:%S}",
            event.action,
            event.alias,
            _v(event.version),
            _v(event.previous),
            event.actor,
            event.reason,
        )
    return table


def _v(number: int | None) -> str:
    return f"v{number}" if number is not None else "–"
