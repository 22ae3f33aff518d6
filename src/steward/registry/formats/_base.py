"""What every model format shares: the descriptor, the loaded-model protocol, the registry.

A format is one module holding one :class:`ArtifactFormat` registered in :data:`FORMATS`.
The loader (``steward.registry.loader``) is the only caller of a descriptor's ``load``: it
checks trust and the SHA-256 first, then hands the format a private copy of verified bytes.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from steward._exceptions import ArtifactError, InputError, StewardError
from steward._registry import Registry

UNKNOWN_TASK: dict[str, Any] = {"task": "unknown", "classes": None}


@dataclass(frozen=True)
class Prediction:
    """A model's answer for ``n`` rows.

    ``predictions`` holds labels (classifier) or values (regressor); ``scores`` is the
    ``n × k`` class-probability matrix in the model's ``classes`` order, or ``None`` for
    regressors (and classifiers that give no probabilities).
    """

    predictions: np.ndarray
    scores: np.ndarray | None


class LoadedModel(Protocol):
    """A deserialised model, whatever its format."""

    format: str
    classes: list | None
    features: list[str]

    def predict(self, table: pa.Table) -> Prediction: ...


Loader = Callable[..., LoadedModel]  # (path, features, *, trusted=False) -> LoadedModel
Inspector = Callable[[Path], dict[str, Any]]


@dataclass(frozen=True)
class ArtifactFormat:
    """One artifact format.

    ``suffixes`` drive :func:`~steward.registry.loader.detect_format`; a folder format sets
    ``folder_marker`` instead (the file whose presence identifies it). ``runs_code`` formats
    load only for trusted versions and have no ``inspect``: opening them is running them.
    """

    name: str
    suffixes: tuple[str, ...]
    runs_code: bool
    load: Loader
    inspect: Inspector | None = None
    folder_marker: str | None = None


FORMATS: Registry[ArtifactFormat] = Registry("model format")


def require(module: str, package: str, fmt: str) -> ModuleType:
    """Import ``module`` or say which package the ``fmt`` format needs."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ArtifactError(
            f"loading {fmt} models needs the {package!r} package, which is not installed "
            f"(pip install {package})"
        ) from exc


@contextmanager
def library_errors(fmt: str, path: Path | None = None) -> Iterator[None]:
    """Turn whatever a third-party loader raises into one clear :class:`ArtifactError`.

    ``path`` (a private temporary copy) is cut from the message: it means nothing to users.
    """
    try:
        yield
    except StewardError:
        raise
    except Exception as exc:
        reason = first_line(exc)
        if path is not None:
            reason = reason.replace(f" {path}", "").replace(str(path), "the file")
        raise ArtifactError(f"not a readable {fmt} model: {reason}") from exc


@contextmanager
def rejected_input(fmt: str) -> Iterator[None]:
    """Turn a model's complaint about its input into an :class:`InputError`."""
    try:
        yield
    except StewardError:
        raise
    except Exception as exc:
        raise InputError(f"the {fmt} model rejected the input: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    """The first line of an exception message, without native-library log prefixes."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return re.sub(r"^\[[\d:]+\] \S+: ", "", line)


def empty_prediction(classes: list | None) -> Prediction:
    """The answer for a table without rows (models often refuse zero rows)."""
    if classes is None:
        return Prediction(np.empty(0), None)
    return Prediction(np.asarray(classes)[:0], np.empty((0, len(classes))))


def task_facts(classes: list | None, regression: bool) -> dict[str, Any]:
    """The ``inspect`` answer for a model with these classes."""
    if classes is not None:
        return {"task": "classification", "classes": list(classes)}
    return {"task": "regression" if regression else "unknown", "classes": None}


def input_columns(own: list[str] | None, features: list[str], width: int | None) -> list[str]:
    """The columns a model reads: its own names when it saved them, else ``features``.

    A model without names reads a matrix, so ``features`` must have its width.
    """
    if own:
        return list(own)
    if width is not None and width != len(features):
        raise ArtifactError(
            f"the model takes {width} input columns but the version lists "
            f"{len(features)} features: {features}"
        )
    return list(features)
