"""``steward monitor run`` and ``status`` as cron would run them: a real process on a store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from monitor_helpers import build, eight_days

from steward.store import Store


def steward(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STEWARD_DATABASE_URL"}
    env["STEWARD_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "steward", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    store = Store.open(f"sqlite:///{folder / 'steward.db'}", home_dir=folder)
    eight_days(build(store, tmp_path))
    store.dispose()
    return folder


def test_run_prints_json_and_a_second_run_does_nothing(home: Path) -> None:
    first = steward(home, "monitor", "run", "--now", "2024-03-13T00:00:00Z", "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["now"] == "2024-03-13T00:00:00+00:00"
    assert summary["totals"]["closed"] == 8
    assert summary["totals"]["checked"] == 8
    assert summary["totals"]["alerts_fired"] == 1
    assert summary["models"][0]["model"] == "credit"
    again = steward(home, "monitor", "run", "--model", "credit", "--now", "2024-03-13", "--json")
    assert again.returncode == 0, again.stderr
    assert set(json.loads(again.stdout)["totals"].values()) == {0}


def test_run_prints_a_summary_table_and_status_shows_windows(home: Path) -> None:
    ran = steward(home, "monitor", "run", "--now", "2024-03-13T00:00:00+00:00")
    assert ran.returncode == 0, ran.stderr
    assert "credit" in ran.stdout and "total" in ran.stdout and "closed" in ran.stdout
    status = steward(home, "monitor", "status", "credit", "--json")
    assert status.returncode == 0, status.stderr
    found = json.loads(status.stdout)
    assert [w["state"] for w in found["windows"]] == ["closed"] * 8
    assert [a["rule"] for a in found["alerts"]] == ["sustained-drift"]
    table = steward(home, "monitor", "status", "credit")
    assert table.returncode == 0 and "sustained-drift" in table.stdout


def test_bad_input_exits_2_with_one_line(home: Path) -> None:
    bad_time = steward(home, "monitor", "run", "--now", "yesterday")
    assert bad_time.returncode == 2 and "ISO 8601" in bad_time.stderr
    unknown = steward(home, "monitor", "status", "nobody")
    assert unknown.returncode == 2 and "nobody" in unknown.stderr
