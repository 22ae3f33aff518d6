"""``steward plan``: validate, apply and show, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_plan_loading import TWO_MISTAKES
from typer.testing import CliRunner

from steward.cli import app
from steward.commands._common import actor
from steward.store import Store
from steward.store.tables import AuditRow, ModelRow

PLAN = "model: credit\nmonitor: {window: 1W}\n"
runner = CliRunner()


def steward(*args: object, home: Path) -> subprocess.CompletedProcess[str]:
    """The real command in a child process (its error handling is the CLI's own)."""
    env = {k: v for k, v in os.environ.items() if k != "STEWARD_DATABASE_URL"}
    env["STEWARD_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "steward", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=home.parent,
    )


@pytest.fixture
def env(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A store with the model ``credit``, named by the environment as the CLI reads it."""
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("STEWARD_DATABASE_URL", store_url)
    monkeypatch.setenv("STEWARD_ACTOR", "ci-bot")
    store = Store.open(store_url, home_dir=tmp_path / "home")
    with store.session() as session:
        session.add(ModelRow(name="credit", created_by="ana"))
    yield store
    store.dispose()


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_validate_accepts_a_valid_plan(tmp_path: Path) -> None:
    file = write(tmp_path, PLAN)
    result = runner.invoke(app, ["plan", "validate", str(file)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{file}: valid plan for model credit\n"


def test_validate_lists_errors_with_lines_and_exits_2(tmp_path: Path) -> None:
    write(tmp_path, TWO_MISTAKES)
    result = steward("plan", "validate", "plan.yaml", home=tmp_path / "home")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "error: plan.yaml: 2 errors in the plan"
    assert lines[1].startswith("plan.yaml:7:16: gate.min_samples: ")
    assert lines[2].startswith("plan.yaml:12:7: alerts.rules.0.colour: unknown key")
    assert not (tmp_path / "home").exists()  # validating needs no store


def test_apply_on_an_unknown_model_is_one_clear_line(tmp_path: Path) -> None:
    write(tmp_path, "model: churn\n")
    result = steward("plan", "apply", "plan.yaml", home=tmp_path / "home")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: model 'churn' is not registered; register it before applying a plan"
    ]


def test_apply_then_show(env: Store, tmp_path: Path) -> None:
    file = write(tmp_path, PLAN)
    first = runner.invoke(app, ["plan", "apply", str(file)])
    again = runner.invoke(app, ["plan", "apply", str(file), "--model", "credit"])
    assert (first.exit_code, first.output) == (0, "plan v1 for model credit\n")
    assert (again.exit_code, again.output) == (0, "plan v1 for model credit\n")
    file.write_text(PLAN + "gate: {margin: 0.02}\n")
    assert runner.invoke(app, ["plan", "apply", str(file)]).output == "plan v2 for model credit\n"

    newest = runner.invoke(app, ["plan", "show", "credit"])
    assert newest.exit_code == 0
    assert newest.output == PLAN + "gate: {margin: 0.02}\n"
    old = runner.invoke(app, ["plan", "show", "credit", "--version", "1"])
    assert old.output == PLAN
    body = json.loads(runner.invoke(app, ["plan", "show", "credit", "--json"]).output)
    assert body["model"] == "credit"
    assert body["gate"]["margin"] == 0.02
    assert body["monitor"] == {
        "every": "1h",
        "window": "1W",
        "min_rows": 100,
        "lateness": "0s",
        "label_horizon": "30D",
    }
    with env.session() as session:
        actors = [row.actor for row in session.query(AuditRow).order_by(AuditRow.id)]
    assert actors == ["ci-bot", "ci-bot"]


def test_apply_refuses_a_plan_for_another_model(env: Store, tmp_path: Path) -> None:
    file = write(tmp_path, PLAN)
    result = runner.invoke(app, ["plan", "apply", str(file), "--model", "fraud"])
    assert result.exit_code != 0
    assert str(result.exception) == "the plan is for model 'credit', not 'fraud'"


def test_show_without_a_plan_says_so(env: Store) -> None:
    result = runner.invoke(app, ["plan", "show", "credit"])
    assert "model 'credit' has no plan yet" in str(result.exception)


def test_schema_prints_the_json_schema() -> None:
    from steward.plan.schema import MaintenancePlan

    result = runner.invoke(app, ["plan", "schema"])
    assert json.loads(result.output) == MaintenancePlan.model_json_schema(by_alias=True)


def test_actor_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    monkeypatch.setenv("STEWARD_ACTOR", "release-bot")
    assert actor() == "release-bot"
    monkeypatch.delenv("STEWARD_ACTOR")
    assert actor() == getpass.getuser()
