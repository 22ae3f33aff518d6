"""Models for serving tests: a real LogisticRegression (skops) and pickled misbehavers.

The misbehaving models are small scikit-learn-like classes registered as pickles (and
trusted), so a ``steward serve`` subprocess can load them when this folder is on its
``PYTHONPATH``. :class:`FlagModel` changes behaviour while the server runs: it hangs (or
raises) while its flag file exists, so a test can break and heal a champion from outside.
"""

from __future__ import annotations

import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FEATURES = ["x1", "x2"]


def reference_frame(seed: int = 0, n: int = 300) -> pd.DataFrame:
    """Two numeric features and a binary target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = (frame.x1 + 0.5 * frame.x2 + rng.normal(0, 0.5, n) > 0).astype(int)
    return frame


class _Base:
    """Predicts ``x1 > 0`` (or its opposite) on the two-feature matrix."""

    def __init__(self, invert: bool = False) -> None:
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = 2
        self.invert = invert

    def _labels(self, x: np.ndarray) -> np.ndarray:
        labels = (np.asarray(x)[:, 0] > 0).astype(int)
        return 1 - labels if self.invert else labels

    def predict(self, x: np.ndarray) -> np.ndarray:
        self._act()
        return self._labels(x)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = self._labels(x) * 0.8 + 0.1
        return np.column_stack([1 - p, p])

    def _act(self) -> None:
        """What the model does before answering (nothing)."""


class GoodModel(_Base):
    pass


class SleepyModel(_Base):
    """Sleeps ``seconds`` before every answer."""

    def __init__(self, seconds: float, invert: bool = False) -> None:
        super().__init__(invert)
        self.seconds = seconds

    def _act(self) -> None:
        time.sleep(self.seconds)


class FailingModel(_Base):
    """Raises on every call."""

    def _act(self) -> None:
        raise RuntimeError("this model always fails")


class FlagModel(_Base):
    """Hangs for ``seconds`` (``mode="hang"``) or raises (``"raise"``) while ``flag`` exists,
    and counts its calls in ``flag + ".calls"`` (one byte appended per call)."""

    def __init__(self, flag: str, mode: str = "hang", seconds: float = 5.0) -> None:
        super().__init__()
        self.flag, self.mode, self.seconds = flag, mode, seconds

    def _act(self) -> None:
        with open(self.flag + ".calls", "ab") as handle:
            handle.write(b".")
        if not Path(self.flag).exists():
            return
        if self.mode == "raise":
            raise RuntimeError("flagged to fail")
        time.sleep(self.seconds)

    def calls(self) -> int:
        path = Path(self.flag + ".calls")
        return path.stat().st_size if path.exists() else 0


def dump_pickle(model: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.pkl"
    path.write_bytes(pickle.dumps(model))
    return path


def dump_logistic(folder: Path, seed: int = 0) -> Path:
    """A LogisticRegression fitted on :func:`reference_frame`, saved as skops."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    frame = reference_frame(seed)
    model = LogisticRegression().fit(frame[FEATURES].to_numpy(), frame.y)
    path = folder / f"logistic{seed}.skops"
    sio.dump(model, path)
    return path


def register(registry: Any, name: str, artifact: Path, *, alias: str | None = None) -> int:
    """Register ``artifact`` (trusting pickles) and optionally point ``alias`` at it."""
    version = registry.register(name, artifact, reference=reference_frame(), target="y", actor="t")
    if artifact.suffix == ".pkl":
        registry.trust(name, version.version, actor="t")
    if alias is not None:
        registry.promote(name, version.version, alias, actor="t")
    return version.version
