"""``steward serve`` as a real process, and ``steward token`` create/list/revoke."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from steward.cli import app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    return {**env, "STEWARD_HOME": str(home), "STEWARD_MONITOR_EVERY_S": "0"}


def _serve(home: Path, port: int, tmp_path: Path, run: int) -> tuple[str, str]:
    """Start ``steward serve``, use it, SIGTERM it; its stdout and stderr."""
    out, err = tmp_path / f"out{run}", tmp_path / f"err{run}"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "steward", "serve", "--port", str(port)],
            env=_env(home),
            stdout=stdout,
            stderr=stderr,
        )
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", process)
            _use(f"http://127.0.0.1:{port}", out.read_text())
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    return out.read_text(), err.read_text()


def _wait_healthy(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "steward serve exited early"
        try:
            response = httpx.get(f"{url}/healthz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        assert response.json() == {"status": "ok"}
        return
    raise AssertionError("steward serve did not answer /healthz")


def _use(url: str, stdout: str) -> None:
    assert httpx.get(f"{url}/v1/models").status_code == 401
    lines = [line for line in stdout.splitlines() if line.startswith("admin token: ")]
    if lines:
        token = lines[0].removeprefix("admin token: ")
        response = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {token}"})
        assert response.json() == {"items": [], "next": None}


def test_serve_prints_the_admin_token_once_and_stops_cleanly(tmp_path: Path) -> None:
    home, port = tmp_path / "home", _free_port()
    first_out, first_err = _serve(home, port, tmp_path, 1)
    admin_lines = [line for line in first_out.splitlines() if line.startswith("admin token: ")]
    assert len(admin_lines) == 1
    assert admin_lines[0].removeprefix("admin token: ").startswith("stw_")
    access = [json.loads(line) for line in first_err.splitlines() if '"steward.access"' in line]
    assert {(a["path"], a["status"]) for a in access} >= {("/healthz", 200), ("/v1/models", 401)}
    second_out, _ = _serve(home, _free_port(), tmp_path, 2)
    assert "admin token" not in second_out


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for key, value in _env(tmp_path / "home").items():
        if key.startswith("STEWARD_"):
            monkeypatch.setenv(key, value)
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    return CliRunner()


def test_token_create_list_revoke(runner: CliRunner) -> None:
    made = runner.invoke(
        app, ["token", "create", "ci", "--scope", "read", "--scope", "label", "--model", "credit"]
    )
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    prefix = token.split("_")[1]
    assert token.startswith(f"stw_{prefix}_") and len(token) > 50
    listed = runner.invoke(app, ["token", "list", "--json"])
    [entry] = json.loads(listed.stdout)
    assert (entry["name"], entry["scopes"], entry["models"], entry["revoked_at"]) == (
        "ci",
        ["label", "read"],
        ["credit"],
        None,
    )
    assert token not in listed.stdout
    revoked = runner.invoke(app, ["token", "revoke", prefix])
    assert revoked.exit_code == 0 and prefix in revoked.stdout
    table = runner.invoke(app, ["token", "list"]).stdout
    assert prefix in table and "revoked" in table


def test_token_create_refuses_an_unknown_scope(runner: CliRunner) -> None:
    result = runner.invoke(app, ["token", "create", "x", "--scope", "root"])
    assert result.exit_code != 0
    assert "scopes must be some of" in str(result.exception) + result.output


def test_first_start_off_loopback_refuses_without_an_admin_token(tmp_path: Path) -> None:
    """Only a first start on loopback may create and print the admin token."""
    command = [sys.executable, "-m", "steward", "serve", "--host", "0.0.0.0", "--port", "0"]
    done = subprocess.run(
        command, env=_env(tmp_path / "home"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "admin token" not in done.stdout
    assert "not a loopback address" in done.stderr
    assert "Traceback" not in done.stderr
