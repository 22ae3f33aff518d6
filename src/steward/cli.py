"""The ``steward`` command.

Every Steward error becomes one line on stderr and exit code 2; a report's verdict can set
the exit code with ``--fail-on`` so pipelines can stop on drift.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from steward._exceptions import InputError, StewardError

app = typer.Typer(
    name="steward",
    no_args_is_help=True,
    add_completion=False,
    help="Keep machine-learning models healthy after they ship.",
)
err = Console(stderr=True)
out = Console()

Column = Annotated[str | None, typer.Option(help="column name")]


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except StewardError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def _read_reference(path: str) -> Any:
    from steward.profile import Profile
    from steward.profile.dataset import MAGIC

    file = Path(path)
    if file.is_file():
        with file.open("rb") as handle:
            if handle.read(len(MAGIC)) == MAGIC:
                return Profile.from_bytes(file.read_bytes())
    return path


def _schema(schema_file: Path | None, reference: Any, roles: dict[str, Any]) -> Any:
    from steward.io import to_arrow
    from steward.schema import infer_schema, load_overrides

    if schema_file is None:
        return None
    overrides = load_overrides(schema_file)
    if hasattr(reference, "schema"):
        return reference.schema.override(**overrides)
    return infer_schema(to_arrow(reference), overrides=overrides, **roles)


@app.command()
def report(
    reference: Annotated[str, typer.Argument(help="reference data file, or a saved profile")],
    current: Annotated[str, typer.Argument(help="current data file")],
    schema: Annotated[Path | None, typer.Option(help="YAML schema or column overrides")] = None,
    plan: Annotated[
        Path | None, typer.Option(help="YAML plan (drift policy, expectations)")
    ] = None,
    target: Column = None,
    prediction: Column = None,
    score: Column = None,
    timestamp: Column = None,
    id: Annotated[str | None, typer.Option("--id", help="id column")] = None,
    segment: Annotated[list[str] | None, typer.Option(help="segment column(s)")] = None,
    window: Annotated[
        str | None, typer.Option(help="rows per window, or a period: 1h, 1D, 1W")
    ] = None,
    labels: Annotated[
        str | None, typer.Option(help="labels file (id + target), joined by --id")
    ] = None,
    estimate: Annotated[
        bool | None,
        typer.Option(
            "--estimate/--no-estimate",
            help="label-free estimates (default: when labels are missing)",
        ),
    ] = None,
    skew: Annotated[
        str | None, typer.Option(help="training data: check training-serving skew")
    ] = None,
    multivariate: Annotated[
        bool,
        typer.Option("--multivariate/--no-multivariate", help="PCA and domain-classifier drift"),
    ] = True,
    outliers: Annotated[
        bool | None,
        typer.Option(
            "--outliers/--no-outliers", help="outlier detectors (default: with a target or score)"
        ),
    ] = None,
    segments: Annotated[
        bool | None,
        typer.Option(
            "--segments/--no-segments", help="worst segments (default: with a target or score)"
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the JSON report here")
    ] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="write the HTML report here")
    ] = None,
    fail_on: Annotated[str | None, typer.Option(help="exit 1 on: drift, quality or any")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no terminal summary")] = False,
) -> None:
    """Compare CURRENT with REFERENCE: drift and data quality, optionally per window."""
    from steward.compare import compare

    if fail_on not in (None, "drift", "quality", "any"):
        raise InputError(f"--fail-on takes drift, quality or any, not {fail_on!r}")
    roles = dict(
        target=target,
        prediction=prediction,
        score=score,
        timestamp=timestamp,
        id=id,
        segment=segment or None,
    )
    ref = _read_reference(reference)
    schema_obj = _schema(schema, ref, roles)
    with _progress() as bar:
        task = bar.add_task("reading reference", total=None)

        def tell(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        result = compare(
            ref,
            current,
            schema_obj,
            plan,
            window=window,
            labels=labels,
            estimate=estimate,
            multivariate=multivariate,
            outliers=outliers,
            segments=segments,
            skew=skew,
            progress=tell,
            **roles,
        )
    _write(result, json_out, html_out)
    if not quiet:
        result.print(out)
    _exit(result.summary, fail_on)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _write(result: Any, json_out: Path | None, html_out: Path | None) -> None:
    for path in (json_out, html_out):
        if path is not None and not path.parent.exists():
            raise InputError(f"folder does not exist: {path.parent}")
    if json_out is not None:
        result.to_json(json_out)
        err.print(f"JSON report: {json_out}")
    if html_out is not None:
        result.to_html(html_out)
        err.print(f"HTML report: {html_out}")


def _exit(summary: dict[str, Any], fail_on: str | None) -> None:
    drift = bool(summary["drifted_columns"])
    quality = summary["quality_problems"] > 0
    if (
        (fail_on == "drift" and drift)
        or (fail_on == "quality" and quality)
        or (fail_on == "any" and (drift or quality))
    ):
        raise typer.Exit(1)


@app.command("profile")
def profile_command(
    data: Annotated[str, typer.Argument(help="data file to profile")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="where to save the profile")],
    schema: Annotated[Path | None, typer.Option(help="YAML schema or column overrides")] = None,
    target: Column = None,
    prediction: Column = None,
    score: Column = None,
    timestamp: Column = None,
    id: Annotated[str | None, typer.Option("--id", help="id column")] = None,
) -> None:
    """Profile DATA once and save it, to use as a stored reference with `report`."""
    from steward.io import to_arrow
    from steward.profile import profile
    from steward.schema import infer_schema

    roles = dict(target=target, prediction=prediction, score=score, timestamp=timestamp, id=id)
    table = to_arrow(data, require_rows=True)
    schema_obj = _schema(schema, table, roles) or infer_schema(table, **roles)
    result = profile(table, schema_obj)
    out_file.write_bytes(result.to_bytes())
    err.print(f"profile of {result.rows} rows × {len(schema_obj)} columns: {out_file}")


@app.command("schema")
def schema_command(
    data: Annotated[str, typer.Argument(help="data file")],
    target: Column = None,
    prediction: Column = None,
    score: Column = None,
    timestamp: Column = None,
    id: Annotated[str | None, typer.Option("--id", help="id column")] = None,
) -> None:
    """Print the inferred schema as YAML (edit it and pass it back with --schema)."""
    from steward.schema import infer_schema

    roles = dict(target=target, prediction=prediction, score=score, timestamp=timestamp, id=id)
    typer.echo(infer_schema(data, **roles).to_yaml(), nl=False)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the demo's files")] = Path(
        "steward-demo"
    ),
    days: Annotated[int, typer.Option(help="simulated days", min=9, max=365)] = 35,
    rows: Annotated[int, typer.Option(help="applications per day", min=200)] = 400,
) -> None:
    """Serve a model for simulated days: drift, alerts, retraining, shadow, gated promotion."""
    from steward.demo import run_demo

    run_demo(out_dir, days=days, rows_per_day=rows, console=out, progress=_progress())


# --- sub-command groups: one Typer app per module under steward/commands -----------------
# (each import is one line so parallel edits do not collide)
from steward.commands.backup import backup_command, restore_command  # noqa: E402
from steward.commands.models import app as models_app  # noqa: E402
from steward.commands.monitor import app as monitor_app  # noqa: E402
from steward.commands.plan import app as plan_app  # noqa: E402
from steward.commands.serve import serve as serve_cmd  # noqa: E402
from steward.commands.serve import token_app  # noqa: E402

app.add_typer(plan_app, name="plan")
app.add_typer(monitor_app, name="monitor")
app.command("serve")(serve_cmd)
app.add_typer(token_app, name="token")
app.add_typer(models_app, name="models")
app.command("backup")(backup_command)
app.command("restore")(restore_command)


if __name__ == "__main__":
    main()
