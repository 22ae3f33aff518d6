"""``steward plan``: validate, apply and show a model's maintenance plan.

``validate`` needs no store, so it runs in CI on every change to a plan file; its errors
name the file, line and column of each mistake. ``apply`` stores a new plan version (the
same text twice is one version); ``show`` prints a stored version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from steward.commands._common import actor, open_store
from steward.plan.loading import read_plan_file, validate_text
from steward.plan.schema import MaintenancePlan

app = typer.Typer(
    help="Validate, apply and show maintenance plans (YAML, one per model).",
    no_args_is_help=True,
)

PlanFile = Annotated[Path, typer.Argument(help="the plan's YAML file", show_default=False)]


@app.command()
def validate(file: PlanFile) -> None:
    """Check FILE against the plan schema; every error is listed as FILE:LINE:COL."""
    plan = validate_text(read_plan_file(file), filename=str(file))
    typer.echo(f"{file}: valid plan for model {plan.model}")


@app.command()
def apply(
    file: PlanFile,
    model: Annotated[
        str | None, typer.Option(help="refuse unless the plan is for this model")
    ] = None,
) -> None:
    """Store FILE as the newest plan version of its model (unchanged text: no new version)."""
    from steward.plan.versions import apply_plan

    text = read_plan_file(file)
    validate_text(text, filename=str(file))  # a bad file fails before the store is opened
    store = open_store()
    try:
        stored = apply_plan(store, text, actor=actor(), model=model, filename=str(file))
    finally:
        store.dispose()
    typer.echo(f"plan v{stored.version} for model {stored.model}")


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="model name", show_default=False)],
    version: Annotated[int | None, typer.Option(help="a plan version (default: newest)")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="the validated plan with defaults, as JSON")
    ] = False,
) -> None:
    """Print model NAME's plan as written (YAML), or validated with defaults (--json)."""
    from steward._exceptions import NotFound
    from steward.plan.versions import current_plan, get_plan

    store = open_store()
    try:
        stored = current_plan(store, name) if version is None else get_plan(store, name, version)
    finally:
        store.dispose()
    if stored is None:
        raise NotFound(f"model {name!r} has no plan yet; store one with `steward plan apply`")
    if as_json:
        typer.echo(json.dumps(stored.plan.model_dump(mode="json", by_alias=True), indent=2))
    else:
        typer.echo(stored.source, nl=not stored.source.endswith("\n"))


@app.command()
def schema() -> None:
    """Print the plan's JSON Schema (for editors; docs/plan-schema.json is this output)."""
    typer.echo(json.dumps(plan_json_schema(), indent=2))


def plan_json_schema() -> dict[str, object]:
    """The JSON Schema of a plan file, keys spelled as in YAML (``for``, not ``for_``)."""
    return MaintenancePlan.model_json_schema(by_alias=True)
