"""A pickle that runs code on load never runs until an admin trusts its version.

The pickle is a real fitted model carrying a canary: unpickling it writes a file. The
canary must stay absent through registration, ``show``, ``verify --load``, the Python API,
the loader itself and a backup/restore, and appear only after ``steward models trust``
(which proves the test would catch a loader that unpickles too early).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from steward._exceptions import UntrustedArtifact
from steward.cli import main
from steward.registry import ModelRegistry
from steward.registry.loader import ArtifactRef, load_model
from steward.store import Store
from steward.store.backup import backup, restore


class Canary:
    """Unpickling this object writes ``path``: the stand-in for an attacker's payload."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (f"open({str(self.path)!r}, 'w').write('ran')",))


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x1": rng.normal(size=200), "x2": rng.normal(size=200)})
    data["y"] = (data.x1 > 0).astype(int)
    return data


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    return tmp_path / "canary.txt"


@pytest.fixture
def payload(tmp_path: Path, frame: pd.DataFrame, canary: Path) -> Path:
    model = LogisticRegression().fit(frame[["x1", "x2"]], frame.y)
    model.canary_ = Canary(canary)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    assert not canary.exists()
    return path


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> Any:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("STEWARD_ACTOR", "ann")

    def steward(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["steward", *map(str, args)])
        with pytest.raises(SystemExit) as stopped:
            main()
        out, err = capsys.readouterr()
        return int(stopped.value.code or 0), out, err

    return steward


def test_untrusted_pickle_never_runs(
    run: Any, payload: Path, canary: Path, tmp_path: Path, frame: pd.DataFrame
) -> None:
    frame.to_csv(tmp_path / "ref.csv", index=False)
    code, out, err = run(
        "models", "register", "credit", payload, "--reference", tmp_path / "ref.csv",
        "--target", "y", "--format", "pickle",
    )  # fmt: skip
    assert (code, out) == (0, "1\n"), err
    code, out, _ = run("models", "show", "credit", "--json")
    assert code == 0 and '"format": "pickle"' in out and '"trusted": false' in out
    run("models", "promote", "credit", 1)
    code, _, err = run("models", "verify", "credit", "--load")
    assert code == 2 and "an admin must mark this version trusted" in err
    assert len(err.strip().splitlines()) == 1

    store = Store.open(home_dir=tmp_path / "home")
    registry = ModelRegistry(store)
    for version in (1, "1", "champion", None):
        with pytest.raises(UntrustedArtifact, match="pickle artifacts run code"):
            registry.load("credit", version)
    found = registry.get("credit", 1)
    ref = ArtifactRef(found.artifact_id, found.sha256, "pickle", False, "credit v1")
    with pytest.raises(UntrustedArtifact):
        load_model(store.artifacts, ref, found.features)
    backup(store, tmp_path / "b.tar.gz")
    restore(tmp_path / "b.tar.gz", None, tmp_path / "restored")
    restored = Store.open(home_dir=tmp_path / "restored")
    with pytest.raises(UntrustedArtifact):
        ModelRegistry(restored).load("credit", 1)
    restored.dispose()
    assert not canary.exists()

    code, _, err = run("models", "trust", "credit", 1, "--reason", "test of the test")
    assert code == 0, err
    model = registry.load("credit", 1)
    assert canary.read_text() == "ran"  # trusted: the loader does unpickle, so the test is real
    assert model.features == ["x1", "x2"]
    store.dispose()


def test_real_entry_point_registers_without_running_it(
    payload: Path, canary: Path, tmp_path: Path, frame: pd.DataFrame
) -> None:
    frame.to_csv(tmp_path / "ref.csv", index=False)
    env = {k: v for k, v in os.environ.items() if k != "STEWARD_DATABASE_URL"}
    env["STEWARD_HOME"] = str(tmp_path / "home")
    command = [sys.executable, "-m", "steward", "models", "register", "credit", str(payload)]
    command += ["--reference", str(tmp_path / "ref.csv"), "--format", "pickle"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1"
    assert not canary.exists()
