"""``steward monitor retrain NAME`` and ``steward monitor gate NAME``: the actions by hand.

Both read the model's stored plan, do what a monitoring pass would do for that one step,
and print the outcome (as JSON with ``--json``). They are plain functions; the ``monitor``
Typer app registers them as its ``retrain`` and ``gate`` commands.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from steward._exceptions import NotFound, PlanError, TrainingError
from steward.commands._common import actor, open_store

Name = Annotated[str, typer.Argument(help="model name", show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="the outcome as JSON")]


def retrain_command(
    name: Name,
    force: Annotated[bool, typer.Option(help="ignore the plan's cooldown")] = False,
    as_json: AsJson = False,
) -> None:
    """Train a new challenger for NAME now with the plan's registered trainer."""
    from steward.monitor.retrain import retrain
    from steward.registry import ModelRegistry

    store = open_store()
    try:
        plan = _plan(store, name)
        if not plan.retrain.trigger.manual:
            raise PlanError(f"the plan of {name!r} does not allow manual retraining")
        result = retrain(store, ModelRegistry(store), name, plan, "manual", actor(), force=force)
    finally:
        store.dispose()
    _print(result.to_dict(), as_json, _retrain_line(result.to_dict()))
    if result.state == "failed":
        raise TrainingError(f"retraining {name!r} failed (job {result.job_id}): {result.error}")


def gate_command(name: Name, as_json: AsJson = False) -> None:
    """Run the promotion gate for every challenger of NAME now, and act on it."""
    from steward.monitor.gate import evaluate_gate
    from steward.registry import ModelRegistry

    store = open_store()
    try:
        plan = _plan(store, name)
        decisions = evaluate_gate(store, ModelRegistry(store), name, plan, actor=actor())
    finally:
        store.dispose()
    evidence = [d.evidence() for d in decisions]
    lines = [_gate_line(e) for e in evidence] or [f"{name} has no challenger"]
    _print({"model": name, "decisions": evidence}, as_json, "\n".join(lines))


def _plan(store: Any, name: str) -> Any:
    from steward.plan.versions import current_plan

    stored = current_plan(store, name)
    if stored is None:
        raise NotFound(f"model {name!r} has no plan yet; store one with `steward plan apply`")
    return stored.plan


def _print(data: dict[str, Any], as_json: bool, line: str) -> None:
    typer.echo(json.dumps(data, indent=2, default=str) if as_json else line)


def _retrain_line(result: dict[str, Any]) -> str:
    if result["state"] == "done":
        return f"job {result['job_id']}: registered v{result['version']} as challenger"
    if result["state"] == "skipped":
        return f"skipped: {result.get('reason', '')} (use --force to retrain anyway)"
    return f"job {result['job_id']} failed: {result['error']}"


def _gate_line(evidence: dict[str, Any]) -> str:
    return f"v{evidence['challenger_version']}: {evidence['decision']} — {evidence['reason']}"
