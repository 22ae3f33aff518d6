"""pickle, joblib and cloudpickle files: they run code when loaded, so trusted versions only.

Deserialising one of these files executes whatever the file says, so the loader refuses
them before opening unless an admin marked the version trusted. The loaded object must
behave like a scikit-learn estimator (``predict``, optionally ``predict_proba``).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from steward.registry.formats._base import (
    FORMATS,
    ArtifactFormat,
    LoadedModel,
    library_errors,
    require,
)
from steward.registry.formats._estimator import wrap_estimator


def _pickle(path: Path) -> Any:
    with path.open("rb") as handle:
        return pickle.load(handle)


def _joblib(path: Path) -> Any:
    return require("joblib", "joblib", "joblib").load(path)


def _cloudpickle(path: Path) -> Any:
    cloudpickle = require("cloudpickle", "cloudpickle", "cloudpickle")
    with path.open("rb") as handle:
        return cloudpickle.load(handle)


def _loader(name: str, deserialise: Callable[[Path], Any]) -> Callable[..., LoadedModel]:
    def load(path: Path, features: list[str], *, trusted: bool = False) -> LoadedModel:
        """Unpickle ``path`` (the loader calls this for trusted versions only)."""
        with library_errors(name):
            estimator = deserialise(path)
        return wrap_estimator(estimator, name, features)

    return load


for _name, _suffixes, _deserialise in (
    ("pickle", (".pkl", ".pickle"), _pickle),
    ("joblib", (".joblib",), _joblib),
    ("cloudpickle", (".cloudpickle", ".cpkl"), _cloudpickle),
):
    FORMATS.register(_name, ArtifactFormat(_name, _suffixes, True, _loader(_name, _deserialise)))
