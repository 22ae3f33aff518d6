"""``steward models``, ``steward backup`` and ``steward restore`` as a new user runs them.

Most calls run in-process (fast): through ``CliRunner`` for output, and through
``steward.cli.main`` where the exit code and the one-line error matter. A few run the
real ``python -m steward`` to pin the entry point and the stdout contract scripts rely on.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from steward.cli import app, main

Run = Callable[..., tuple[int, str, str]]
runner = CliRunner()


def _frame(seed: int = 0, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = (frame.x1 + rng.normal(0, 0.5, n) > 0).astype(int)
    frame["rid"] = [f"r{i}" for i in range(n)]
    frame["ts"] = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC")
    return frame


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    frame = _frame()
    model = LogisticRegression().fit(frame[["x1", "x2"]], frame.y)
    paths = {"model": tmp_path / "model.skops", "ref": tmp_path / "ref.parquet"}
    sio.dump(model, paths["model"])
    frame.to_parquet(paths["ref"])
    return paths


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> Run:
    """Run ``steward ARGS`` through its real ``main`` in-process: (exit code, stdout, stderr)."""
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("STEWARD_ACTOR", "ann")

    def run(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["steward", *map(str, args)])
        with pytest.raises(SystemExit) as stopped:
            main()
        out, err = capsys.readouterr()
        return int(stopped.value.code or 0), out, err

    return run


def _ok(run: Run, *args: object) -> str:
    code, out, err = run(*args)
    assert code == 0, err
    return out


def _register(run: Run, files: dict[str, Path], *extra: object) -> int:
    out = _ok(run, "models", "register", "credit", files["model"], "--reference", files["ref"],
              "--target", "y", *extra)  # fmt: skip
    return int(out.splitlines()[-1])


def test_register_prints_the_version_last_and_records_lineage(
    cli: Run, files: dict[str, Path]
) -> None:
    args = ["--reference", str(files["ref"]), "--target", "y", "--id", "rid", "--timestamp", "ts"]
    extra = ["--tag", "team=risk", "--tag", "tier=1", "--metric", "auc=0.91"]
    extra += ["--metric", "note=fine", "--code-version", "abc123"]
    result = runner.invoke(
        app, ["models", "register", "credit", str(files["model"]), *args, *extra]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "1"
    assert _register(cli, files) == 2
    shown = json.loads(_ok(cli, "models", "show", "credit", "--version", "1", "--json"))
    assert (shown["model"], shown["version"], shown["format"]) == ("credit", 1, "skops")
    assert shown["lineage"]["tags"] == {"team": "risk", "tier": "1"}
    assert shown["lineage"]["metrics"] == {"auc": 0.91, "note": "fine"}
    assert shown["lineage"]["code_version"] == "abc123"
    assert shown["created_by"] == "ann"
    assert shown["features"] == ["x1", "x2"]
    roles = {c["name"]: c["role"] for c in shown["schema"]["columns"]}
    assert (roles["rid"], roles["ts"], roles["y"]) == ("id", "timestamp", "target")
    newest = json.loads(_ok(cli, "models", "show", "credit", "--json"))
    assert newest["version"] == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_promote_rollback_history(
    cli: Run,
    files: dict[str, Path],
    backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if backend == "postgresql":
        monkeypatch.setenv("STEWARD_DATABASE_URL", request.getfixturevalue("pg_url"))
    for _ in range(3):
        _register(cli, files)
    assert _ok(cli, "models", "promote", "credit", 1, "--reason", "first") == (
        "credit v1 is now the champion\n"
    )
    _ok(cli, "models", "promote", "credit", 2, "--reason", "better auc")
    _ok(cli, "models", "promote", "credit", 3, "--alias", "challenger")
    _ok(cli, "models", "promote", "credit", 3, "--reason", "gate passed")
    monkeypatch.setenv("STEWARD_ACTOR", "ops")
    assert _ok(cli, "models", "rollback", "credit", "--reason", "error rate") == (
        "credit champion rolled back to v2 (was v3)\n"
    )
    _ok(cli, "models", "promote", "credit", 1, "--alias", "fallback")
    _ok(cli, "models", "demote", "credit", "--alias", "fallback", "--reason", "old")
    history = json.loads(_ok(cli, "models", "history", "credit", "--json"))
    assert [(e["action"], e["alias"], e["version"], e["previous"]) for e in history] == [
        ("promote", "champion", 1, None),
        ("promote", "champion", 2, 1),
        ("promote", "challenger", 3, None),
        ("promote", "champion", 3, 2),
        ("rollback", "champion", 2, 3),
        ("promote", "fallback", 1, None),
        ("demote", "fallback", 1, 1),
    ]
    assert [e["actor"] for e in history] == ["ann"] * 4 + ["ops"] * 3
    assert [e["reason"] for e in history][:5] == [
        "first",
        "better auc",
        "",
        "gate passed",
        "error rate",
    ]
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)
    champion = json.loads(_ok(cli, "models", "show", "credit", "--version", "champion", "--json"))
    assert (champion["version"], champion["aliases"]) == (2, ["champion"])
    listed = json.loads(_ok(cli, "models", "list", "--json"))
    assert listed == [{"name": "credit", "versions": 3, "latest": 3, "aliases": {"champion": [2]}}]


def test_tables_without_json(cli: Run, files: dict[str, Path]) -> None:
    _register(cli, files, "--code-version", "abc123")
    _ok(cli, "models", "promote", "credit", 1, "--reason", "first one")
    listed = _ok(cli, "models", "list")
    assert "credit" in listed and "champion → v1" in listed
    shown = _ok(cli, "models", "show", "credit")
    assert "skops" in shown and "abc123" in shown and "champion" in shown
    history = _ok(cli, "models", "history", "credit")
    assert "promote" in history and "first one" in history and "ann" in history
    assert _ok(cli, "models", "list", "--json") != listed


def test_trust_and_verify(cli: Run, files: dict[str, Path]) -> None:
    _register(cli, files)
    assert _ok(cli, "models", "trust", "credit", 1, "--reason", "reviewed") == (
        "credit v1 (skops) is trusted\n"
    )
    shown = json.loads(_ok(cli, "models", "show", "credit", "--json"))
    assert shown["trusted"] is True
    out = _ok(cli, "models", "verify", "credit", "--load")
    assert out.startswith("credit v1: artifact sha256") and "200 reference rows" in out


def _corrupt_artifact(home: Path, run: Run) -> None:
    shown = json.loads(_ok(run, "models", "show", "credit", "--json"))
    for path in (home / "artifacts").iterdir():
        if hashlib.sha256(path.read_bytes()).hexdigest() == shown["sha256"]:
            data = bytearray(path.read_bytes())
            data[len(data) // 2] ^= 0xFF
            path.write_bytes(bytes(data))


ERRORS = [
    (["models", "show", "nope"], "unknown model 'nope'; registered: ['credit']"),
    (["models", "show", "credit", "--version", "7"], "has no version 7; versions: [1, 2]"),
    (["models", "promote", "credit", "9"], "has no version 9"),
    (["models", "promote", "credit", "1"], "credit v1 is already the champion"),
    (["models", "rollback", "credit"], "no previous champion to roll back to"),
    (["models", "demote", "credit", "2", "--alias", "fallback"], "v2 is not the fallback"),
    (["models", "promote", "credit", "2", "--alias", "Bad Alias"], "alias 'Bad Alias' must be"),
    (["models", "register", "credit", "{model}", "--reference", "{ref}", "--format", "xyz"],
     "unknown model format 'xyz'"),
    (["models", "register", "credit", "{model}", "--reference", "{ref}", "--format", "onnx"],
     "not a readable onnx model"),
    (["models", "register", "credit", "{missing}", "--reference", "{ref}"], "artifact not found"),
    (["models", "register", "credit", "{model}", "--reference", "{ref}", "--tag", "x"],
     "--tag takes KEY=VALUE, not 'x'"),
    (["restore", "{missing}"], "backup archive not found"),
    (["restore", "{model}"], "is not a Steward backup"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), ERRORS, ids=[" ".join(a[:3]) for a, _ in ERRORS])
def test_errors_are_one_line_exit_2(
    cli: Run, files: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    _register(cli, files)
    _register(cli, files)
    _ok(cli, "models", "promote", "credit", 1)
    names = {"model": files["model"], "ref": files["ref"], "missing": tmp_path / "gone.skops"}
    code, out, err = cli(*[a.format(**names) for a in args])
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_changed_artifact_is_refused(cli: Run, files: dict[str, Path], tmp_path: Path) -> None:
    _register(cli, files)
    _corrupt_artifact(tmp_path / "home", cli)
    code, out, err = cli("models", "verify", "credit", "--load")
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and "has changed since registration" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = cli("backup", tmp_path / "b.tar.gz")
    assert code == 2 and "changed since registration" in err


def test_backup_corrupt_restore_as_a_user(
    cli: Run, files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(2):
        _register(cli, files)
    _ok(cli, "models", "promote", "credit", 1)
    _ok(cli, "models", "promote", "credit", 2, "--reason", "newer")
    _ok(cli, "models", "rollback", "credit", "--reason", "bad")
    history = _ok(cli, "models", "history", "credit", "--json")
    archive = tmp_path / "backup.tar.gz"
    assert _ok(cli, "backup", archive).startswith(f"backup {archive}:")
    assert "intact" in _ok(cli, "restore", archive, "--check")
    code, _, err = cli("restore", archive)  # the store it came from is not empty
    assert code == 2 and "--force" in err
    damaged = tmp_path / "damaged.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 3] ^= 0x04
    damaged.write_bytes(bytes(data))
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "new-home"))
    code, _, err = cli("restore", damaged)
    assert code == 2 and err.startswith("error: backup") and "damaged" in err
    assert not (tmp_path / "new-home").exists()
    assert "restored" in _ok(cli, "restore", archive)
    assert _ok(cli, "models", "history", "credit", "--json") == history
    assert (
        json.loads(_ok(cli, "models", "show", "credit", "--version", "champion", "--json"))[
            "version"
        ]
        == 1
    )
    assert "it loads" in _ok(cli, "models", "verify", "credit", "--version", "2", "--load")


def _steward(*args: object, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STEWARD_DATABASE_URL"}
    env.update(STEWARD_HOME=str(home), STEWARD_ACTOR="ci")
    return subprocess.run(
        [sys.executable, "-m", "steward", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=home.parent,
    )


def test_real_entry_point(files: dict[str, Path], tmp_path: Path) -> None:
    home = tmp_path / "home"
    model, ref = files["model"], files["ref"]
    registered = _steward("models", "register", "credit", model, "--reference", ref, home=home)
    assert registered.returncode == 0, registered.stderr
    assert registered.stdout.splitlines()[-1] == "1"
    shown = _steward("models", "show", "credit", "--json", home=home)
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["created_by"] == "ci"
    failed = _steward("models", "rollback", "credit", home=home)
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr.strip() == "error: credit has no champion to roll back from"
