"""The steward command, run as a user would: a real process, real files, exit codes."""

import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest


def steward(*args, cwd=None, env=None):
    extra = {key: str(value) for key, value in (env or {}).items()}
    return subprocess.run(
        [sys.executable, "-m", "steward", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **extra} if extra else None,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    ref = pa.table(
        {
            "x": rng.normal(size=5000),
            "c": rng.choice(["a", "b"], 5000),
            "y": rng.integers(0, 2, 5000),
        }
    )
    cur = pa.table(
        {
            "x": rng.normal(1, size=2000),
            "c": rng.choice(["a", "b"], 2000),
            "y": rng.integers(0, 2, 2000),
        }
    )
    pq.write_table(ref, folder / "ref.parquet")
    pcsv.write_csv(cur, folder / "cur.csv")
    (folder / "empty.csv").write_text("x,c,y\n")
    (folder / "data.xlsx").write_text("not really")
    return folder


def test_report_writes_json_and_html(files):
    result = steward(
        "report",
        files / "ref.parquet",
        files / "cur.csv",
        "--target",
        "y",
        "--json",
        files / "r.json",
        "--html",
        files / "r.html",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads((files / "r.json").read_text())
    assert data["summary"]["drifted_columns"] == ["x"]
    assert (files / "r.html").stat().st_size > 10_000
    assert "x" in result.stdout


def test_fail_on_drift_sets_exit_code(files):
    result = steward("report", files / "ref.parquet", files / "cur.csv", "--fail-on", "drift", "-q")
    assert result.returncode == 1


def test_stored_profile_as_reference(files):
    made = steward("profile", files / "ref.parquet", "--out", files / "ref.stwp")
    assert made.returncode == 0, made.stderr
    result = steward(
        "report", files / "ref.stwp", files / "cur.csv", "--json", files / "p.json", "-q"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((files / "p.json").read_text())["summary"]["drifted_columns"] == ["x"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "cur.csv"], "file not found"),
        (["ref.parquet", "data.xlsx"], "unreadable format"),
        (["ref.parquet", "cur.csv", "--target", "nope"], "nope"),
        (["ref.parquet", "empty.csv"], "no rows"),
        (["ref.parquet", "cur.csv", "--window", "fortnight"], "unknown window"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(files, args, message):
    result = steward("report", *args, cwd=files)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_schema_round_trip(files):
    result = steward("schema", files / "ref.parquet", "--target", "y")
    assert result.returncode == 0
    assert "role: target" in result.stdout
    (files / "schema.yaml").write_text("c: {role: ignored}\n")
    report = steward(
        "report",
        files / "ref.parquet",
        files / "cur.csv",
        "--schema",
        files / "schema.yaml",
        "--json",
        files / "s.json",
        "-q",
    )
    assert report.returncode == 0, report.stderr
    findings = json.loads((files / "s.json").read_text())["findings"]
    assert not [f for f in findings if f["column"] == "c" and f["check"].startswith("drift.")]
    assert [f for f in findings if f["column"] == "x" and f["check"].startswith("drift.")]


def test_demo_runs_the_whole_loop(tmp_path):
    """The default demo: drift, alert, retrain, shadow, gated promotion, recovery."""
    out = tmp_path / "demo"
    result = steward("demo", "--out", out)
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["windows"] >= 5
    assert {"income", "region"} <= set(report["summary"]["drifted_columns"])
    assert (out / "report.html").exists()
    timeline = json.loads((out / "timeline.json").read_text())
    kinds = [event["kind"] for event in timeline["events"]]
    assert "alert" in kinds
    assert "retrain" in kinds
    promoted = [e for e in timeline["events"] if e["kind"] == "gate" and "promoted" in e["text"]]
    assert promoted, timeline["events"]
    assert promoted[0]["data"]["p_value"] < 0.05
    assert promoted[0]["data"]["n"] >= 600
    actions = [(e["action"], e["alias"], e["actor"]) for e in timeline["history"]]
    assert actions[:2] == [("promote", "champion", "demo"), ("promote", "fallback", "demo")]
    assert ("promote", "champion", "steward-gate") in actions
    daily = timeline["daily"]
    before = sum(d["accuracy"] for d in daily[:7]) / 7
    worst = min(d["accuracy"] for d in daily[10:20])
    after = sum(d["accuracy"] for d in daily[-7:]) / 7
    assert worst < before - 0.05  # the change hurts the first model
    assert after > worst + 0.05  # and the promoted challenger recovers
    assert timeline["shadow"]["challengers"][0]["shadow_rows"] > 0
    history = steward("models", "history", "credit", "--json", env={"STEWARD_HOME": out / "store"})
    assert history.returncode == 0, history.stderr
    assert len(json.loads(history.stdout)) == len(timeline["history"])
