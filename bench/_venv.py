"""Find or create the peers' interpreter: a venv holding Evidently and NannyML.

The peers cannot share Steward's environment (evidently 0.7.23 does not import beside
pandas 3), and Steward must never import them, so they live in ``bench/.venv-peers``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEFAULT_VENV = BENCH / ".venv-peers"
DEFAULT_PYTHON = DEFAULT_VENV / "bin" / "python"
# nannyml 0.13.1 imports statsmodels without declaring it.
PINS = ["evidently==0.7.23", "nannyml==0.13.1", "statsmodels", "pandas<3", "pyarrow", "river"]


def peers_python(python: Path) -> Path:
    """``python`` if it exists; the default venv is created when missing; else an error."""
    if python.exists():
        return python
    if python.resolve() != DEFAULT_PYTHON.resolve():
        raise SystemExit(f"--peers-python {python} does not exist")
    create(DEFAULT_VENV)
    return DEFAULT_PYTHON


def create(venv: Path) -> None:
    _say_and_run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    _say_and_run([*pip, "install", "--quiet", "--upgrade", "pip"])
    _say_and_run([*pip, "install", "--quiet", *PINS])


def _say_and_run(command: list[str]) -> None:
    print("peers venv: $ " + " ".join(_quoted(c) for c in command), flush=True)
    subprocess.run(command, check=True)


def _quoted(word: str) -> str:
    return f'"{word}"' if any(ch in word for ch in "<> ") else word
