"""``steward monitor retrain`` and ``steward monitor gate`` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from action_helpers import NAME, Setup, audits, fit_trainer, labelled_traffic, setup
from typer.testing import CliRunner

from steward._exceptions import NotFound, TrainingError
from steward.cli import app
from steward.monitor.trainers import register_trainer, unregister_trainer
from steward.plan.versions import apply_plan
from steward.store import Store
from steward.store.tables import utcnow

ENTRY = "tests_actions.cli:train"
PLAN = f"""model: {NAME}
retrain:
  entry_point: {ENTRY}
  min_labelled: 100
  cooldown: 1D
gate: {{min_samples: 500}}
"""
runner = CliRunner()


@pytest.fixture
def made(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("STEWARD_DATABASE_URL", store_url)
    monkeypatch.setenv("STEWARD_ACTOR", "ci-bot")
    register_trainer(ENTRY, fit_trainer)
    store = Store.open(store_url, home_dir=tmp_path / "home")
    made = setup(store, tmp_path)
    yield made
    store.dispose()
    unregister_trainer(ENTRY)


def test_retrain_then_gate_from_the_command_line(made: Setup) -> None:
    apply_plan(made.store, PLAN, actor="ann")
    labelled_traffic(made, 200, utcnow() - timedelta(hours=1))
    result = runner.invoke(app, ["monitor", "retrain", NAME, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["state"], body["version"], body["rows"]) == ("done", 2, 200)
    assert audits(made.store, "retrain")[0].actor == "ci-bot"
    again = runner.invoke(app, ["monitor", "retrain", NAME])
    assert again.exit_code == 0 and "skipped: cooldown 1D" in again.output
    forced = runner.invoke(app, ["monitor", "retrain", NAME, "--force"])
    assert "registered v3 as challenger" in forced.output
    gate = runner.invoke(app, ["monitor", "gate", NAME])
    assert gate.exit_code == 0
    assert "v3: insufficient" in gate.output and "v2: insufficient" in gate.output
    as_json = json.loads(runner.invoke(app, ["monitor", "gate", NAME, "--json"]).output)
    assert [d["challenger_version"] for d in as_json["decisions"]] == [3, 2]


def test_failures_are_errors(made: Setup) -> None:
    missing = runner.invoke(app, ["monitor", "gate", NAME])
    assert isinstance(missing.exception, NotFound)
    apply_plan(made.store, PLAN, actor="ann")
    failed = runner.invoke(app, ["monitor", "retrain", NAME])  # no labelled traffic yet
    assert isinstance(failed.exception, TrainingError)
    assert "0 labelled rows" in str(failed.exception)
    assert len(audits(made.store, "retrain.failed")) == 1
